package gateway

import (
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/config"
	"github.com/sovereign-gateway/sovereign/internal/privacy"
)

func TestPrivacyPolicyFromConfig(t *testing.T) {
	g, err := privacyGuard(&config.Config{Privacy: config.Privacy{
		Cloud:   map[string]string{"default": "allow", "person": "local-only"},
		Models:  map[string]map[string]string{"groq": {"email": "block"}},
		Trusted: []string{"azure"},
		Custom:  []config.CustomPattern{{Name: "clients", Words: []string{"Globex"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range map[privacy.Category]privacy.Action{
		privacy.CategorySecret: privacy.ActionBlock, // a secret stays blocked unless named
		privacy.CategoryEmail:  privacy.ActionAllow,
		privacy.CategoryPerson: privacy.ActionLocalOnly,
	} {
		if got := g.Cloud.ActionFor(c); got != want {
			t.Errorf("cloud %s: %s, want %s", c, got, want)
		}
	}
	if got := g.Local.ActionFor(privacy.CategorySecret); got != privacy.ActionAllow {
		t.Errorf("local secret: %s, want allow", got)
	}
	if got := g.Models["groq"].ActionFor(privacy.CategoryEmail); got != privacy.ActionBlock || !g.Trusted["azure"] {
		t.Errorf("models/trusted not carried over: %+v", g)
	}
	if fs := g.Scanner.Scan("a note for Globex about the deal"); len(fs) != 1 || fs[0].Category != privacy.CategoryCustom {
		t.Errorf("custom words not scanned: %+v", fs)
	}
	if g, err := privacyGuard(&config.Config{Privacy: config.Privacy{Disabled: true}}); g != nil || err != nil {
		t.Errorf("disabled guard = %v, %v", g, err)
	}
}
