package exchange

import (
	"errors"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// Cascade settings of Routing.
type Cascade struct {
	// On answers "auto" requests that the router sends home locally first, checks the answer
	// and sends the request to the cloud when a check fails.
	On bool
	// HoldStreams cascades streamed requests too: the local answer is held until its checks
	// pass, then streamed. Without it, streams are not cascaded.
	HoldStreams bool
	// Check judges a local answer: ok, or the names of the checks that failed.
	Check func(req *llm.Request, resp *llm.Response) (ok bool, failed []string)
}

// cascadeSplit returns the local targets to try first and the cloud targets to escalate to,
// when the request is to be cascaded; ok is false otherwise.
func (x *Exchange) cascadeSplit(targets []catalog.Target, stream bool) (local, cloud []catalog.Target, ok bool) {
	rt := x.p.Routing
	d := x.decision
	if rt == nil || !rt.Cascade.On || rt.Cascade.Check == nil || d == nil || d.Score == nil || !d.Score.Local ||
		(stream && !rt.Cascade.HoldStreams) {
		return nil, nil, false
	}
	for _, t := range targets {
		if t.Entry.Local {
			local = append(local, t)
		} else {
			cloud = append(cloud, t)
		}
	}
	return local, cloud, len(local) > 0 && len(cloud) > 0
}

// noteCascade records the local attempt in the decision (which finish puts in the ledger).
func (x *Exchange) noteCascade(step *CascadeStep) {
	x.decision.Cascade = step
	switch {
	case step.Escalated && step.Error != "":
		x.decision.Reason = "cascade: local attempt failed; escalated to cloud (" + x.decision.Reason + ")"
	case step.Escalated:
		x.decision.Reason = "cascade: local answer failed " + strings.Join(step.Failed, ",") + "; escalated to cloud (" + x.decision.Reason + ")"
	case step.CloudError != "":
		x.decision.Reason = "cascade: local answer failed " + strings.Join(step.Failed, ",") + ", cloud failed too (" + step.CloudError + "); local answer kept (" + x.decision.Reason + ")"
	default:
		x.decision.Reason += "; cascade checks passed"
	}
	x.w.Header().Set(HeaderRouteReason, x.decision.Reason)
}

// chatCascade answers locally, checks the answer and escalates to the cloud when it fails.
func (x *Exchange) chatCascade(req *llm.Request, local, cloud []catalog.Target) (*llm.Response, catalog.Target, error) {
	send := func(ts []catalog.Target) (*llm.Response, catalog.Target, error) { return x.dispatchChat(req, ts) }
	return cascade(x, req, local, cloud, func(ts []catalog.Target) (*llm.Response, *llm.Response, catalog.Target, error) {
		resp, t, err := send(ts)
		return resp, resp, t, err
	}, send)
}

// streamCascade collects the local stream whole, checks it, and returns a stream that
// replays it, or the cloud's stream when a check fails.
func (x *Exchange) streamCascade(req *llm.Request, local, cloud []catalog.Target) (llm.Stream, catalog.Target, error) {
	send := func(ts []catalog.Target) (llm.Stream, catalog.Target, error) { return x.dispatchStream(req, ts) }
	return cascade(x, req, local, cloud, func(ts []catalog.Target) (llm.Stream, *llm.Response, catalog.Target, error) {
		s, t, err := send(ts)
		if err != nil {
			return nil, nil, t, err
		}
		chunks, resp, err := collect(s)
		s.Close()
		if err != nil {
			return nil, nil, t, err
		}
		return &replay{chunks: chunks}, resp, t, nil
	}, send)
}

// cascade runs the local attempt (try gives the answer to return and the complete response to
// check), and escalates to the cloud (send) when it fails a check or fails outright. When the
// cloud cannot answer either, a local answer that failed its checks is still better than none:
// it is returned, and the record says so.
func cascade[T any](x *Exchange, req *llm.Request, local, cloud []catalog.Target,
	try func([]catalog.Target) (T, *llm.Response, catalog.Target, error),
	send func([]catalog.Target) (T, catalog.Target, error)) (T, catalog.Target, error) {
	ctx := x.r.Context()
	dropped := slices.Clone(req.Dropped)
	step := &CascadeStep{Target: local[0].Name()}
	answer, resp, t, err := try(local)
	if t.Entry != nil {
		step.Target = t.Name()
	}
	answered := false
	switch {
	case err != nil && ctx.Err() != nil:
		return answer, t, err
	case err != nil:
		step.Error = llm.AsError(err).Code
	default:
		ok, failed := x.p.Routing.Cascade.Check(req, resp)
		if ok {
			x.noteCascade(step)
			return answer, t, nil
		}
		answered = true
		step.Failed = failed
		if resp.Usage != nil {
			step.InputTokens, step.OutputTokens = int64(resp.Usage.InputTokens), int64(resp.Usage.OutputTokens)
		}
	}
	step.Escalated = true
	localDropped := req.Dropped
	req.Dropped = dropped
	up, ct, cerr := send(cloud)
	if cerr != nil && answered && ctx.Err() == nil {
		step.Escalated = false
		step.CloudError = llm.AsError(cerr).Code
		req.Dropped = localDropped
		x.noteCascade(step)
		return answer, t, nil
	}
	x.noteCascade(step)
	return up, ct, cerr
}

// collect reads a stream to its end and assembles the answer it carried.
func collect(s llm.Stream) ([]*llm.Chunk, *llm.Response, error) {
	var chunks []*llm.Chunk
	resp := &llm.Response{}
	type call struct {
		llm.ToolCall
		index int
	}
	var (
		text, reasoning, refusal strings.Builder
		calls                    = map[int]*call{} // the current call at each index
		order                    []*call
		finish                   string
		logprobs                 []byte
	)
	for {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		chunks = append(chunks, c)
		if err := c.Decode(); err != nil {
			return nil, nil, err
		}
		if resp.ID == "" {
			resp.ID, resp.Model, resp.Created = c.ID, c.Model, c.Created
		}
		if c.Usage != nil {
			u := *c.Usage
			resp.Usage = &u
		}
		for _, ch := range c.Choices {
			if ch.Index != 0 {
				continue
			}
			text.WriteString(ch.Delta.Content)
			reasoning.WriteString(ch.Delta.Reasoning)
			refusal.WriteString(ch.Delta.Refusal)
			for _, tc := range ch.Delta.ToolCalls {
				k := calls[tc.Index]
				if k == nil || (tc.ID != "" && k.ID != "" && tc.ID != k.ID) {
					// A new call (engines that number every call 0 start the next one with its id).
					k = &call{index: tc.Index}
					calls[tc.Index] = k
					order = append(order, k)
				}
				if tc.ID != "" {
					k.ID = tc.ID
				}
				if tc.Name != "" {
					k.Name = tc.Name
				}
				k.Arguments += tc.Arguments
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
			if len(ch.Logprobs) > 0 {
				logprobs = ch.Logprobs
			}
		}
	}
	msg := llm.Message{Role: llm.RoleAssistant, Refusal: refusal.String()}
	if text.Len() > 0 {
		msg.Content = []llm.Part{{Type: llm.PartText, Text: text.String()}}
	}
	if reasoning.Len() > 0 {
		msg.Thinking = []llm.ThinkingBlock{{Text: reasoning.String()}}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].index < order[j].index })
	for _, k := range order {
		msg.ToolCalls = append(msg.ToolCalls, k.ToolCall)
	}
	resp.Choices = []llm.Choice{{Message: msg, FinishReason: finish, Logprobs: logprobs}}
	return chunks, resp, nil
}

// replay is a stream of chunks already received.
type replay struct {
	chunks []*llm.Chunk
	i      int
}

func (r *replay) Recv() (*llm.Chunk, error) {
	if r.i >= len(r.chunks) {
		return nil, io.EOF
	}
	c := r.chunks[r.i]
	r.chunks[r.i] = nil
	r.i++
	return c, nil
}

func (r *replay) Close() error { return nil }

var _ llm.Stream = (*replay)(nil)
