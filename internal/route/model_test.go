package route

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// wordHash is the unigram hash Extract gives a lowercase ASCII word.
func wordHash(word string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(word); i++ {
		h = (h ^ uint32(word[i])) * 16777619
	}
	return familyHash(mix(h, seedUnigram), FamilyUnigram)
}

// handModel returns a model whose logit for a one-word request is bias + words[word].
func handModel(t testing.TB, bias float64, words map[string]float64) *Model {
	t.Helper()
	const bits = 12
	info := ModelInfo{
		Name: "hand", FeatureVersion: FeatureVersion, HashBits: bits, Dense: DenseNames[:],
		Mean: make([]float64, NumDense), Std: make([]float64, NumDense), Weights: make([]float64, NumDense),
		Bias: bias, PlattA: 1,
	}
	for i := range info.Std {
		info.Std[i] = 1
	}
	w := make([]float32, 1<<bits)
	used := map[uint32]string{}
	for word, x := range words {
		j := wordHash(word) & (1<<bits - 1)
		if other, ok := used[j]; ok {
			t.Fatalf("words %q and %q share a bucket", word, other)
		}
		used[j] = word
		w[j] = float32(x)
	}
	return newModel(info, w)
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

func TestDefaultModel(t *testing.T) {
	m := Default()
	if m != Default() {
		t.Error("Default parsed the model twice")
	}
	info := m.Info()
	if info.FeatureVersion != FeatureVersion || info.Name == "" || info.Training["rows"] == nil {
		t.Errorf("info = %+v", info)
	}
	for _, text := range []string{
		"hi",
		"Write a haiku about autumn.",
		"Prove that there are infinitely many primes.",
		"Find all x such that x^3 - 6x^2 + 11x - 6 = 0.\nA. 1,2,3\nB. 0\nC. 1\nD. 2,3",
		strings.Repeat("a long prompt ", 500),
	} {
		f := Extract(request(user(text)))
		p := m.Score(&f)
		if !(p >= pMin && p <= pMax) {
			t.Errorf("Score(%.20q) = %v", text, p)
		}
	}
}

func TestModelRoundTrip(t *testing.T) {
	m := Default()
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	f := Extract(request(user("Explain why the sky is blue, step by step.")))
	if a, b := m.Score(&f), m2.Score(&f); a != b {
		t.Errorf("scores differ after a round trip: %v, %v", a, b)
	}
	// The embedded file is exactly what WriteTo writes: training is reproducible byte for byte.
	if !bytes.Equal(buf.Bytes(), defaultModel) {
		t.Error("WriteTo does not reproduce the embedded model's bytes")
	}
}

func TestLoadRejects(t *testing.T) {
	good := func() []byte {
		var buf bytes.Buffer
		if _, err := handModel(t, 0, nil).WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	// editHeader replaces old with new in the JSON header and fixes its length.
	editHeader := func(b []byte, old, new string) []byte {
		end := 12 + int(binary.LittleEndian.Uint32(b[8:12]))
		h := strings.Replace(string(b[12:end]), old, new, 1)
		out := append([]byte{}, b[:8]...)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(h)))
		return append(append(out, h...), b[end:]...)
	}
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		want   string
	}{
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, "not a route model"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-7] }, "weights"},
		{"trailing", func(b []byte) []byte { return append(b, 0) }, "trailing"},
		{"feature version", func(b []byte) []byte {
			return editHeader(b, `"feature_version": `, `"feature_version": 99`)
		}, "retrain"},
		{"unknown field", func(b []byte) []byte { return editHeader(b, `"name"`, `"nmae"`) }, "unknown field"},
		{"dense names", func(b []byte) []byte { return editHeader(b, `"last_tokens"`, `"first_tokens"`) }, "first_tokens"},
		{"no calibration", func(b []byte) []byte { return editHeader(b, `"platt_a": 1`, `"platt_a": 0`) }, "calibration"},
		{"nan weight", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[len(b)-4:], math.Float32bits(float32(math.NaN())))
			return b
		}, "finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(bytes.NewReader(tt.mutate(good())))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// Train learns a signal that is there, and Calibrate maps logits to frequencies.
func TestTrainAndCalibrate(t *testing.T) {
	var ex []Example
	for i := range 400 {
		text, label := "please summarize this note", 1.0
		if i%2 == 1 {
			text, label = "prove the theorem rigorously", 0
		}
		ex = append(ex, Example{F: Extract(request(user(text))), Label: label})
	}
	m := Train(ex, TrainOpts{HashBits: 12, Epochs: 3, Seed: 1})
	easy := Extract(request(user("please summarize this note")))
	hard := Extract(request(user("prove the theorem rigorously")))
	if m.Score(&easy) < 0.9 || m.Score(&hard) > 0.1 {
		t.Fatalf("p(easy) = %v, p(hard) = %v", m.Score(&easy), m.Score(&hard))
	}
	// Same seed, same model.
	m2 := Train(ex, TrainOpts{HashBits: 12, Epochs: 3, Seed: 1})
	if m.Logit(&easy) != m2.Logit(&easy) {
		t.Error("training is not deterministic")
	}
	// Logits of +1 whose labels are 1 nine times in ten, and of -1 three times in ten,
	// calibrate to those frequencies.
	var z, y []float64
	for i := range 1000 {
		z = append(z, 1, -1)
		y = append(y, b2f(i%10 != 0), b2f(i%10 < 3))
	}
	c := Calibrate(m, z, y)
	a, b := c.info.PlattA, c.info.PlattB
	if hi, lo := sigmoid(a+b), sigmoid(-a+b); math.Abs(hi-0.9) > 0.005 || math.Abs(lo-0.3) > 0.005 {
		t.Errorf("calibrated p = %v and %v, want 0.9 and 0.3", hi, lo)
	}
	// Logits all alike calibrate the intercept alone: three in four → 0.75.
	z = make([]float64, 400)
	y = make([]float64, 400)
	for i := range y {
		y[i] = b2f(i%4 != 0)
	}
	if got := sigmoid(Calibrate(m, z, y).info.PlattB); math.Abs(got-0.75) > 0.005 {
		t.Errorf("calibrated p = %v, want 0.75", got)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func BenchmarkScore(b *testing.B) {
	m := Default()
	f := Extract(typicalRequest())
	b.ReportAllocs()
	for b.Loop() {
		m.Score(&f)
	}
}

// typicalRequest is a 1.3 KB prompt: a system prompt, one earlier exchange and a question
// with code.
func typicalRequest() *llm.Request {
	return request(
		msg(llm.RoleSystem, "You are a careful senior engineer. Answer precisely and show code when it helps."),
		user("I have a Go service that reads JSON from a queue and writes rows into PostgreSQL."),
		msg(llm.RoleAssistant, "Sounds good. What is the problem you see?"),
		user(`Under load the service slows down and memory grows until it is killed. Here is the
consumer loop:

`+"```go"+`
for msg := range sub.C {
	var ev Event
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		log.Printf("bad event: %v", err)
		continue
	}
	go func() {
		if _, err := db.Exec(ctx, "INSERT INTO events (id, kind, payload) VALUES ($1, $2, $3)", ev.ID, ev.Kind, ev.Payload); err != nil {
			log.Printf("insert %s: %v", ev.ID, err)
		}
		msg.Ack()
	}()
}
`+"```"+`

The pool has 10 connections. Why does memory grow, and how should I restructure this so that
throughput stays high but memory is bounded? Please explain step by step and show the fixed
loop. Also, should I batch the inserts with COPY, and what are the trade-offs for latency?

For context: events arrive in bursts of about 20,000 per second for a minute, then almost nothing
for ten minutes. Each payload is between 200 bytes and 4 KB of JSON. We run three replicas on
machines with 2 GB of memory each, and PostgreSQL 16 is on a separate host with 8 cores. The
queue is NATS JetStream with explicit acks and a 30 second ack wait.`))
}
