package ollama

import (
	"bufio"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/provider"
)

// showInfo is what the client keeps of a model's /api/show answer.
type showInfo struct {
	ctxLen int           // the model's context window; 0 when not reported
	numCtx int           // num_ctx set in the Modelfile's parameters; 0 when not set
	caps   provider.Caps // Known is false when the answer had no capabilities
	digest string        // from /api/tags when seen there, to notice a re-pulled model
}

func (s showInfo) modelInfo(id string) provider.ModelInfo {
	return provider.ModelInfo{ID: id, ContextLength: s.ctxLen, Caps: s.caps, OwnedBy: ownedBy(id)}
}

// show returns the cached /api/show answer for model, asking Ollama on a miss. Failures are
// not cached, so a model pulled later is found.
func (c *Client) show(ctx context.Context, model string) (showInfo, error) {
	c.mu.Lock()
	info, ok := c.shown[model]
	c.mu.Unlock()
	if ok {
		return info, nil
	}
	ctx, cancel := context.WithTimeout(ctx, min(c.timeout, showTimeout))
	defer cancel()
	body, _ := json.Marshal(map[string]string{"model": model})
	resp, err := provider.Post(ctx, c.hc, c.base+"/api/show", nil, body, c.name, c.decodeError)
	if err != nil {
		return showInfo{}, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return showInfo{}, err
	}
	info, err = parseShow(b)
	if err != nil {
		return showInfo{}, provider.BadResponse(c.name, err)
	}
	c.mu.Lock()
	// Two concurrent misses both ask; the later answer wins, and both are the same model.
	c.shown[model] = info
	c.mu.Unlock()
	return info, nil
}

// forgetIfChanged drops the cached answer for model when /api/tags shows another digest.
func (c *Client) forgetIfChanged(model, digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if info, ok := c.shown[model]; ok && digest != "" && info.digest != "" && info.digest != digest {
		delete(c.shown, model)
	}
}

func (c *Client) noteDigest(model, digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if info, ok := c.shown[model]; ok && digest != "" {
		info.digest = digest
		c.shown[model] = info
	}
}

// parseShow reads an /api/show answer.
func parseShow(b []byte) (showInfo, error) {
	var w struct {
		Parameters   string                     `json:"parameters"`
		ModelInfo    map[string]json.RawMessage `json:"model_info"`
		Capabilities *[]string                  `json:"capabilities"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return showInfo{}, err
	}
	var info showInfo
	var arch string
	_ = json.Unmarshal(w.ModelInfo["general.architecture"], &arch)
	if arch != "" {
		info.ctxLen = jsonInt(w.ModelInfo[arch+".context_length"])
	}
	if info.ctxLen == 0 {
		// No architecture named: take any "<arch>.context_length".
		for k, v := range w.ModelInfo {
			if strings.HasSuffix(k, ".context_length") {
				info.ctxLen = max(info.ctxLen, jsonInt(v))
			}
		}
	}
	info.numCtx = parameterInt(w.Parameters, "num_ctx")
	if w.Capabilities != nil {
		info.caps.Known = true
		for _, c := range *w.Capabilities {
			switch c {
			case "completion":
				info.caps.Completion = true
			case "tools":
				info.caps.Tools = true
			case "vision":
				info.caps.Vision = true
			case "embedding":
				info.caps.Embeddings = true
			case "thinking":
				info.caps.Thinking = true
			}
		}
	}
	return info, nil
}

// jsonInt reads a positive whole number, or 0.
func jsonInt(raw json.RawMessage) int {
	var f float64
	if json.Unmarshal(raw, &f) != nil || f <= 0 || f > 1<<40 {
		return 0
	}
	return int(f)
}

// parameterInt reads "name value" from a Modelfile's parameters text.
func parameterInt(params, name string) int {
	sc := bufio.NewScanner(strings.NewReader(params))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			if n, err := strconv.Atoi(f[1]); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}
