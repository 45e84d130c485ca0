package route

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

// The model shipped with the gateway, written by scripts/train-route (see docs/BENCHMARKS.md#router).
//
//go:embed model.bin
var defaultModel []byte

// defaultOnce parses the embedded model on first use. It caches immutable data, not state.
var defaultOnce = sync.OnceValues(func() (*Model, error) { return Load(bytes.NewReader(defaultModel)) })

// Default returns the embedded model. It panics if the embedded file is corrupt, which the
// package's tests rule out for every build.
func Default() *Model {
	m, err := defaultOnce()
	if err != nil {
		panic(fmt.Sprintf("route: embedded model: %v", err))
	}
	return m
}

// Model scores Features with p(local ok): a logistic regression over the standardized dense
// features and the hashed n-grams, followed by a Platt calibration fitted on out-of-fold
// predictions. A Model is immutable and safe for concurrent use.
type Model struct {
	info ModelInfo

	// Folded for scoring: dense weights divided by their std, the means folded into bias.
	dense  [NumDense]float32
	bias   float32
	hashed []float32
	mask   uint32
}

// ModelInfo is a model's header: its parameters except the hashed weights, and how it was made.
type ModelInfo struct {
	// Name identifies the model in decisions and reports, e.g. "lr-mmlu-1".
	Name           string    `json:"name"`
	FeatureVersion int       `json:"feature_version"`
	HashBits       int       `json:"hash_bits"`
	Dense          []string  `json:"dense"`
	Mean           []float64 `json:"mean"`
	Std            []float64 `json:"std"`
	Weights        []float64 `json:"weights"`
	Bias           float64   `json:"bias"`
	// PlattA and PlattB calibrate the raw logit z: p = σ(PlattA·z + PlattB).
	PlattA float64 `json:"platt_a"`
	PlattB float64 `json:"platt_b"`
	// Training records what the model was trained on and how it did in cross-validation.
	Training map[string]any `json:"training,omitempty"`
}

// Score bounds: a router that is certain either way would make a quality knob of 0 or 1
// ambiguous, so p stays inside (0, 1).
const (
	pMin = 0.001
	pMax = 0.999
)

// Score returns p(local ok) for f: the probability that the local model's answer is as good as
// the cloud model's, in [0.001, 0.999].
func (m *Model) Score(f *Features) float64 {
	z := m.info.PlattA*m.Logit(f) + m.info.PlattB
	return min(max(sigmoid(z), pMin), pMax)
}

// Logit returns the uncalibrated log-odds of local ok.
func (m *Model) Logit(f *Features) float64 {
	z := m.bias
	for i, x := range f.Dense {
		z += m.dense[i] * x
	}
	var h float32
	w := m.hashed
	mask := m.mask
	for _, x := range f.Hashed {
		h += w[x.Hash&mask] * x.Value
	}
	return float64(z + h*f.HashNorm)
}

// Info returns the model's header.
func (m *Model) Info() ModelInfo { return m.info }

// Name returns the model's name.
func (m *Model) Name() string { return m.info.Name }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// The file format: the magic, the length of the JSON header (uint32, little endian), the
// header (ModelInfo), then 1<<HashBits float32 hashed weights, little endian.
const modelMagic = "SVROUTE1"

// maxHashBits bounds the weight table a file may ask for (2^24 floats: 64 MiB).
const maxHashBits = 24

// Load reads a model written by WriteTo.
func Load(r io.Reader) (*Model, error) {
	br := bufio.NewReader(r)
	var magic [len(modelMagic)]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || string(magic[:]) != modelMagic {
		return nil, errors.New("not a route model file")
	}
	var n uint32
	if err := binary.Read(br, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("model header: %w", err)
	}
	if n > 1<<20 {
		return nil, fmt.Errorf("model header of %d bytes is too large", n)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, fmt.Errorf("model header: %w", err)
	}
	var info ModelInfo
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		return nil, fmt.Errorf("model header: %w", err)
	}
	if err := info.validate(); err != nil {
		return nil, err
	}
	w := make([]float32, 1<<info.HashBits)
	if err := binary.Read(br, binary.LittleEndian, w); err != nil {
		return nil, fmt.Errorf("model weights: %w", err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, errors.New("model file has trailing bytes")
	}
	for _, x := range w {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, errors.New("model weights are not finite")
		}
	}
	return newModel(info, w), nil
}

func (info *ModelInfo) validate() error {
	if info.FeatureVersion != FeatureVersion {
		return fmt.Errorf("model was trained on feature version %d, this build extracts version %d: retrain it (go run ./scripts/train-route)", info.FeatureVersion, FeatureVersion)
	}
	if info.HashBits < 1 || info.HashBits > maxHashBits {
		return fmt.Errorf("model hash bits %d out of range", info.HashBits)
	}
	if len(info.Dense) != NumDense || len(info.Mean) != NumDense || len(info.Std) != NumDense || len(info.Weights) != NumDense {
		return fmt.Errorf("model has %d dense features, this build has %d", len(info.Dense), NumDense)
	}
	for i, name := range info.Dense {
		if name != DenseNames[i] {
			return fmt.Errorf("model dense feature %d is %q, this build has %q", i, name, DenseNames[i])
		}
		if !(info.Std[i] > 0) {
			return fmt.Errorf("model dense feature %q has std %v", name, info.Std[i])
		}
	}
	if info.PlattA == 0 && info.PlattB == 0 {
		return errors.New("model has no calibration")
	}
	return nil
}

func newModel(info ModelInfo, hashed []float32) *Model {
	m := &Model{info: info, hashed: hashed, mask: uint32(len(hashed) - 1)}
	bias := info.Bias
	for i := range NumDense {
		w := info.Weights[i] / info.Std[i]
		m.dense[i] = float32(w)
		bias -= w * info.Mean[i]
	}
	m.bias = float32(bias)
	return m
}

// WriteTo writes the model in the format Load reads.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	hdr, err := json.MarshalIndent(m.info, "", " ")
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	buf.WriteString(modelMagic)
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(hdr)))
	buf.Write(hdr)
	_ = binary.Write(&buf, binary.LittleEndian, m.hashed)
	return buf.WriteTo(w)
}
