package route

import (
	"fmt"
	"math"
	"sort"
	"sync"
)

// OutcomeSink receives the outcome of a routed request: its tag (Decision.Tag), whether it was
// answered locally, and whether the answer served its caller. The outcomes API calls it.
type OutcomeSink interface {
	Observe(tag string, local bool, success bool)
}

// AdjusterOpts tunes an Adjuster; zero fields take the defaults shown.
type AdjusterOpts struct {
	// Alpha is the weight of each new local outcome in a tag's failure rate, an exponential
	// moving average; 0 means 0.05, so evidence halves in weight after about 14 outcomes.
	Alpha float64
	// Baseline is the local failure rate the model's threshold already expects; a tag failing
	// more often than this moves towards the cloud, less often towards home. 0 means 0.15.
	Baseline float64
	// Gain turns the failure rate's distance from Baseline into a threshold offset; 0 means 1.
	Gain float64
	// Max bounds the offset either way; 0 means 0.2.
	Max float64
}

func (o AdjusterOpts) withDefaults() AdjusterOpts {
	if o.Alpha <= 0 || o.Alpha > 1 {
		o.Alpha = 0.05
	}
	if o.Baseline <= 0 || o.Baseline >= 1 {
		o.Baseline = 0.15
	}
	if o.Gain <= 0 {
		o.Gain = 1
	}
	if o.Max <= 0 {
		o.Max = 0.2
	}
	return o
}

// Adjuster learns a threshold offset per task tag from outcomes: local failures raise the tag's
// threshold (more of it goes to the cloud), local successes lower it (more stays home). The
// offset follows an exponential moving average of the tag's local failure rate, so old evidence
// fades and every move can be undone by later outcomes, and it stays within ±Max. Cloud outcomes
// say nothing about the local model and leave the offset alone.
//
// It is safe for concurrent use; Offset, on the request path, takes a read lock only.
type Adjuster struct {
	opts AdjusterOpts
	mu   sync.RWMutex
	tags map[string]*tagState
}

type tagState struct {
	rate   float64 // EMA of local failures, starting at Baseline
	local  int64   // local outcomes seen
	cloud  int64   // cloud outcomes seen
	offset float64 // cached from rate
}

var (
	_ OutcomeSink = (*Adjuster)(nil)
	_ Offsets     = (*Adjuster)(nil)
)

// NewAdjuster returns an Adjuster with no evidence: every offset 0.
func NewAdjuster(opts AdjusterOpts) *Adjuster {
	return &Adjuster{opts: opts.withDefaults(), tags: map[string]*tagState{}}
}

// Observe records one outcome.
func (a *Adjuster) Observe(tag string, local, success bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.tags[tag]
	if st == nil {
		st = &tagState{rate: a.opts.Baseline}
		a.tags[tag] = st
	}
	if !local {
		st.cloud++
		return
	}
	st.local++
	x := 0.0
	if !success {
		x = 1
	}
	st.rate += a.opts.Alpha * (x - st.rate)
	st.offset = a.offsetFor(st.rate)
}

func (a *Adjuster) offsetFor(rate float64) float64 {
	o := a.opts.Gain * (rate - a.opts.Baseline)
	return min(max(o, -a.opts.Max), a.opts.Max)
}

// Offset returns tag's threshold offset, in [-Max, Max]; 0 for a tag never seen.
func (a *Adjuster) Offset(tag string) float64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if st := a.tags[tag]; st != nil {
		return st.offset
	}
	return 0
}

// TagState is one tag's learned state, for persistence.
type TagState struct {
	Tag string `json:"tag"`
	// FailureRate is the moving average of local failures.
	FailureRate float64 `json:"failure_rate"`
	Local       int64   `json:"local"`
	Cloud       int64   `json:"cloud"`
	Offset      float64 `json:"offset"`
}

// Snapshot returns every tag's state, sorted by tag, to be persisted and given to Restore.
func (a *Adjuster) Snapshot() []TagState {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]TagState, 0, len(a.tags))
	for tag, st := range a.tags {
		out = append(out, TagState{Tag: tag, FailureRate: st.rate, Local: st.local, Cloud: st.cloud, Offset: st.offset})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out
}

// Restore replaces the learned state with a snapshot. It recomputes each offset from the
// failure rate under the current options, so a snapshot taken with other bounds stays within
// these.
func (a *Adjuster) Restore(states []TagState) error {
	tags := make(map[string]*tagState, len(states))
	for _, s := range states {
		if math.IsNaN(s.FailureRate) || s.FailureRate < 0 || s.FailureRate > 1 {
			return fmt.Errorf("tag %q: failure rate %v out of [0, 1]", s.Tag, s.FailureRate)
		}
		if s.Local < 0 || s.Cloud < 0 {
			return fmt.Errorf("tag %q: negative counts", s.Tag)
		}
		if _, dup := tags[s.Tag]; dup {
			return fmt.Errorf("tag %q appears twice", s.Tag)
		}
		tags[s.Tag] = &tagState{rate: s.FailureRate, local: s.Local, cloud: s.Cloud, offset: a.offsetFor(s.FailureRate)}
	}
	a.mu.Lock()
	a.tags = tags
	a.mu.Unlock()
	return nil
}
