package route

import (
	"strconv"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// Offsets gives the threshold offset outcome learning keeps for a task tag (see Adjuster):
// positive sends more of the tag to the cloud, negative keeps more of it local.
type Offsets interface {
	Offset(tag string) float64
}

// Input is what a decision depends on besides the request.
type Input struct {
	// Quality is the quality knob in [0, 1]: the threshold on p(local ok) a request must reach
	// to stay local. Higher demands more quality and sends more to the cloud; 0 keeps every
	// request local and 1 sends every request to the cloud. Values outside [0, 1] are clamped.
	// The zero value is a valid knob (everything local), so callers apply their default first.
	Quality float64
	// Offsets adds outcome learning's per-tag offset to the threshold; nil adds nothing.
	Offsets Offsets
}

// Decision is the router's answer for one request, JSON-ready for the ledger.
type Decision struct {
	// Local is true when the request goes to the local model.
	Local bool `json:"local"`
	// P is p(local ok).
	P float64 `json:"p_local_ok"`
	// Threshold is Quality plus Offset, clamped to [0, 1]; Local is P ≥ Threshold.
	Threshold float64 `json:"threshold"`
	Quality   float64 `json:"quality"`
	Offset    float64 `json:"offset,omitempty"`
	Tag       string  `json:"tag"`
	Model     string  `json:"model"`
	Features  Summary `json:"features"`
	// Reason says it in one line, e.g. "auto: local, p(local ok)=0.83 >= 0.70". It is ASCII
	// so it can travel in a response header.
	Reason string `json:"reason"`
}

// Decide routes req: local when m's p(local ok) reaches the threshold, Quality plus the
// request tag's learned offset. It is the one decision function: the request path and the
// offline evaluation (Evaluate) both call it. It does not change req.
func Decide(m *Model, req *llm.Request, in Input) Decision {
	f := Extract(req)
	return decideFeatures(m, &f, in)
}

func decideFeatures(m *Model, f *Features, in Input) Decision {
	tag := Tag(f)
	p := m.Score(f)
	q := clamp01(in.Quality)
	var off float64
	if in.Offsets != nil {
		off = in.Offsets.Offset(tag)
	}
	t := clamp01(q + off)
	d := Decision{
		Local:     localAt(p, t),
		P:         p,
		Threshold: t,
		Quality:   q,
		Offset:    off,
		Tag:       tag,
		Model:     m.Name(),
		Features:  f.Summarize(),
	}
	d.Reason = reason(d.Local, p, t, tag, off)
	return d
}

// localAt is the routing rule, shared by Decide and the evaluation's threshold sweep: local
// when p reaches the threshold. Score keeps p inside (0, 1), so threshold 0 is all local and
// threshold 1 is all cloud.
func localAt(p, threshold float64) bool { return p >= threshold }

func reason(local bool, p, t float64, tag string, off float64) string {
	b := make([]byte, 0, 64)
	b = append(b, "auto: "...)
	if local {
		b = append(b, "local, p(local ok)="...)
	} else {
		b = append(b, "cloud, p(local ok)="...)
	}
	b = strconv.AppendFloat(b, p, 'f', 2, 64)
	if local {
		b = append(b, " >= "...)
	} else {
		b = append(b, " < "...)
	}
	b = strconv.AppendFloat(b, t, 'f', 2, 64)
	if off != 0 {
		b = append(b, " ("...)
		b = append(b, tag...)
		if off > 0 {
			b = append(b, " +"...)
		} else {
			b = append(b, " "...)
		}
		b = strconv.AppendFloat(b, off, 'f', 2, 64)
		b = append(b, ')')
	}
	return string(b)
}

func clamp01(x float64) float64 {
	if !(x > 0) { // also NaN
		return 0
	}
	return min(x, 1)
}
