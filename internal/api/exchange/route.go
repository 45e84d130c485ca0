package exchange

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/route"
)

// CodeModelNotAllowed refuses a model the caller may not use.
const CodeModelNotAllowed = "model_not_allowed"

// Headers of the routing decision.
const (
	// HeaderRouteReason says in one line why the request went where it went.
	HeaderRouteReason = "X-Sovereign-Route-Reason"
	// HeaderQuality overrides route.quality for one request (0 to 1).
	HeaderQuality = "X-Sovereign-Quality"
)

// Routing is how the pipeline routes requests for "auto": hard constraints first (privacy,
// the caller's allowed models, what the request needs of a model), then the router's quality
// estimate against the quality knob.
type Routing struct {
	// Model scores p(local ok); nil means route.Default().
	Model *route.Model
	// Quality is the quality knob (route.quality), 0 to 1.
	Quality float64
	// Routed are model names clients send that are routed like "auto".
	Routed map[string]bool
	// Offsets are outcome learning's per-tag threshold offsets; nil adds none.
	Offsets route.Offsets
	// Allow, when set, may refuse a target for this caller (allowed models, budget state),
	// returning why; "" allows it. nil allows every target.
	Allow func(r *http.Request, t catalog.Target) string
	// Cascade checks local answers before they are released.
	Cascade Cascade
}

// mustJSON encodes a decision for the ledger; its types cannot fail to encode.
func mustJSON(d *Decision) []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic("exchange: decision does not encode: " + err.Error())
	}
	return b
}

// Decision is what the ledger keeps of how a request was routed.
type Decision struct {
	// Strategy is how the caller named the model: auto, local, cloud, group (an alias) or
	// explicit (provider/model, or a model name one provider serves).
	Strategy string `json:"strategy"`
	// Constraints are the hard constraints that shaped the candidates.
	Constraints []string `json:"constraints,omitempty"`
	// Rejected are the candidates passed over, and why.
	Rejected []catalog.Rejected `json:"rejected,omitempty"`
	// Score is the router's estimate, when it had a choice to make.
	Score *route.Decision `json:"score,omitempty"`
	// Order is the targets in the order they are tried.
	Order []string `json:"order"`
	// Cascade is what became of a local answer that was checked before it was released.
	Cascade *CascadeStep `json:"cascade,omitempty"`
	Reason  string       `json:"reason"`
}

// CascadeStep records a cascade's local attempt.
type CascadeStep struct {
	Target    string   `json:"target"`
	Failed    []string `json:"failed,omitempty"`
	Escalated bool     `json:"escalated"`
	// Input and output tokens the local attempt used.
	InputTokens  int64 `json:"input_tokens,omitempty"`
	OutputTokens int64 `json:"output_tokens,omitempty"`
	// Error is the local attempt's error code, when it failed outright.
	Error string `json:"error,omitempty"`
	// CloudError is the escalation's error code, when the cloud could not answer either and
	// the local answer was kept.
	CloudError string `json:"cloud_error,omitempty"`
}

// quality is the knob for this request: the x-sovereign-quality header, else the configured
// one.
func (x *Exchange) quality() (float64, error) {
	v := x.r.Header.Get(HeaderQuality)
	if v == "" {
		return x.p.Routing.Quality, nil
	}
	q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || q < 0 || q > 1 || q != q {
		return 0, llm.InvalidRequest(llm.CodeInvalidValue, "", "header %s must be a number from 0 to 1, not %q", HeaderQuality, v)
	}
	return q, nil
}

// Targets resolves the request's model to the targets to try, in order, and records why.
func (x *Exchange) Targets(req *llm.Request) ([]catalog.Target, error) {
	ts, d, err := x.route(req)
	if d != nil {
		d.Order = make([]string, len(ts))
		for i, t := range ts {
			d.Order[i] = t.Name()
		}
		x.decision = d // finish puts it in the ledger
		x.w.Header().Set(HeaderRouteReason, d.Reason)
	}
	return ts, err
}

func (x *Exchange) route(req *llm.Request) ([]catalog.Target, *Decision, error) {
	rt := x.p.Routing
	var q float64
	if rt != nil {
		var err error
		if q, err = x.quality(); err != nil {
			return nil, nil, err
		}
	}
	name := req.Model
	if rt != nil && rt.Routed[name] {
		name = catalog.ModelAuto
	}
	need := catalog.NeedOf(req)
	switch name {
	case catalog.ModelAuto, catalog.ModelLocal, catalog.ModelCloud:
	default:
		strategy := "explicit"
		if x.p.Catalog.IsAlias(name) {
			strategy = "group"
		}
		ts, err := x.p.Catalog.Resolve(name, need)
		d := &Decision{Strategy: strategy}
		if err != nil {
			d.Reason = strategy + ": " + name + " unavailable"
			return nil, d, err
		}
		if rt != nil && rt.Allow != nil {
			if ts = x.allowed(d, ts); len(ts) == 0 {
				d.Reason = strategy + ": " + name + " not allowed"
				return nil, d, &llm.Error{Status: http.StatusForbidden, Type: llm.TypePermission, Code: CodeModelNotAllowed, Param: "model",
					Message: fmt.Sprintf("model %q is not allowed for this caller (%s)", name, d.Rejected[len(d.Rejected)-1].Why)}
			}
		}
		ts, err = x.constrain(d, req, ts)
		if err != nil {
			return nil, d, err
		}
		d.Reason = strategy + ": " + ts[0].Name()
		if strategy == "group" {
			d.Reason = fmt.Sprintf("group %s: %s, %d fallback(s)", name, ts[0].Name(), len(ts)-1)
		}
		return ts, d, nil
	}

	d := &Decision{Strategy: name}
	local, cloud, rejected := x.p.Catalog.Candidates(need)
	d.Rejected = rejected
	if need.Tools {
		d.Constraints = append(d.Constraints, "needs tool calling")
	}
	if need.Vision {
		d.Constraints = append(d.Constraints, "needs image input")
	}
	if rt != nil && rt.Allow != nil {
		local = x.allowed(d, local)
		cloud = x.allowed(d, cloud)
	}
	switch name {
	case catalog.ModelLocal:
		cloud = nil
	case catalog.ModelCloud:
		local = nil
	}
	if len(local)+len(cloud) > 0 {
		all, err := x.constrain(d, req, append(local, cloud...))
		if err != nil {
			return nil, d, err
		}
		local, cloud = local[:0:0], cloud[:0:0]
		for _, t := range all {
			if t.Entry.Local {
				local = append(local, t)
			} else {
				cloud = append(cloud, t)
			}
		}
	}
	if len(local) == 0 && len(cloud) == 0 {
		d.Reason = name + ": no candidate"
		return nil, d, catalog.NoCandidates(name)
	}
	switch {
	case name != catalog.ModelAuto:
		d.Reason = name + ": requested"
		return append(local, cloud...), d, nil
	case len(cloud) == 0:
		d.Reason = "auto: local, no cloud model can take it"
		if len(d.Constraints) > 0 {
			d.Reason = "auto: local, " + d.Constraints[len(d.Constraints)-1]
		}
		return local, d, nil
	case len(local) == 0:
		d.Reason = "auto: cloud, no local model can take it"
		return cloud, d, nil
	case rt == nil:
		d.Reason = "auto: local first"
		return append(local, cloud...), d, nil
	}
	m := rt.Model
	if m == nil {
		m = route.Default()
	}
	score := route.Decide(m, req, route.Input{Quality: q, Offsets: rt.Offsets})
	d.Score = &score
	d.Reason = score.Reason
	if score.Local {
		return append(local, cloud...), d, nil
	}
	return append(cloud, local...), d, nil
}

// allowed drops the targets the caller may not use.
func (x *Exchange) allowed(d *Decision, ts []catalog.Target) []catalog.Target {
	out := ts[:0:0]
	for _, t := range ts {
		if why := x.p.Routing.Allow(x.r, t); why != "" {
			d.Rejected = append(d.Rejected, catalog.Rejected{Target: t.Name(), Why: why})
			continue
		}
		out = append(out, t)
	}
	return out
}
