// Package route decides, for a request to the model "auto", whether the local model can do the
// job or the request should go to the cloud (issue 5).
//
// The decision has four parts, all pure and cheap enough for the request path:
//
//   - Extract reads a request into Features: hashed word unigrams and bigrams of the user's
//     text (the last user turn weighted most) and structural cues such as length, code, math,
//     multi-step wording, multiple-choice shape, script, depth, tools, JSON output and images.
//     Tag names the request's coarse task (code, math, reasoning, …) for outcome learning.
//   - A Model, trained offline by scripts/train-route and embedded in the binary (Default),
//     scores Features with p(local ok): the probability that the local (weak) model's answer is
//     as good as the cloud (strong) model's.
//   - Decide compares p(local ok) with a threshold: the caller's quality knob plus the offset
//     outcome learning keeps for the request's tag (Adjuster). It returns a Decision that says
//     why, ready for the ledger.
//   - Check judges a local answer after the fact (empty, refusal, invalid JSON or tool call,
//     truncated, low token confidence), for cascades that retry in the cloud.
//
// Evaluate replays a data set of requests with both models' scored answers through the same
// Decide and reports the RouteLLM metrics (APGR, CPT) and costs; `sovereign eval route` prints
// them. docs/BENCHMARKS.md (Router) holds the figures and the commands that produced them.
//
// Example:
//
//	m := route.Default()
//	adj := route.NewAdjuster(route.AdjusterOpts{})
//	d := route.Decide(m, req, route.Input{Quality: 0.7, Offsets: adj})
//	if d.Local { /* send to the local model */ }
//	// later, when the caller reports how it went:
//	adj.Observe(d.Tag, d.Local, ok)
package route
