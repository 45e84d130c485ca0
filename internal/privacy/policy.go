package privacy

import (
	"fmt"
	"strings"
)

// Action is what a policy does with a category of sensitive data.
type Action string

// Actions, weakest first. Block is stronger than local-only (the request goes nowhere), which
// is stronger than redact (the request goes out without the values).
const (
	ActionAllow     Action = "allow"      // send as is
	ActionRedact    Action = "redact"     // replace the values with placeholders, restore them in the answer
	ActionLocalOnly Action = "local-only" // only a local engine may answer
	ActionBlock     Action = "block"      // refuse the request
)

func (a Action) strength() int {
	switch a {
	case ActionAllow:
		return 0
	case ActionRedact:
		return 1
	case ActionLocalOnly:
		return 2
	case ActionBlock:
		return 3
	}
	return -1
}

// ParseAction parses an action's name.
func ParseAction(s string) (Action, error) {
	a := Action(strings.ToLower(strings.TrimSpace(s)))
	if a == "local_only" || a == "localonly" {
		a = ActionLocalOnly
	}
	if a.strength() < 0 {
		return "", fmt.Errorf("privacy: unknown action %q (want allow, redact, local-only or block)", s)
	}
	return a, nil
}

// Policy maps categories to actions. A category without an entry gets Default; a zero Default
// means allow.
type Policy struct {
	Default    Action
	Categories map[Category]Action
}

// DefaultCloud is the policy for requests that leave the machine: secrets are blocked, personal
// data of every other category is redacted.
func DefaultCloud() Policy {
	return Policy{Default: ActionRedact, Categories: map[Category]Action{CategorySecret: ActionBlock}}
}

// DefaultLocal is the policy for local engines: everything is allowed.
func DefaultLocal() Policy { return Policy{Default: ActionAllow} }

// ActionFor returns the action for category c.
func (p Policy) ActionFor(c Category) Action {
	if a, ok := p.Categories[c]; ok && a != "" {
		return a
	}
	if p.Default == "" {
		return ActionAllow
	}
	return p.Default
}

// Validate checks every action's name.
func (p Policy) Validate() error {
	if p.Default != "" && p.Default.strength() < 0 {
		return fmt.Errorf("privacy: unknown default action %q", p.Default)
	}
	for c, a := range p.Categories {
		if categoryIndex(c) < 0 {
			return fmt.Errorf("privacy: unknown category %q", c)
		}
		if a.strength() < 0 {
			return fmt.Errorf("privacy: unknown action %q for %s", a, c)
		}
	}
	return nil
}

// Verdict is what a policy says about a set of findings. It holds categories and counts only,
// never values, so it may be logged, recorded and sent in headers.
type Verdict struct {
	// Action is the strongest action any finding called for; allow when nothing was found.
	Action Action
	// Found lists the categories found, in Categories() order, with their action and count.
	Found []CategoryVerdict
}

// CategoryVerdict is one category's part of a Verdict.
type CategoryVerdict struct {
	Category Category
	Action   Action
	Count    int
}

// Evaluate applies the policy to findings.
func Evaluate(findings []Finding, p Policy) Verdict {
	var counts [16]int
	for _, f := range findings {
		if i := categoryIndex(f.Category); i >= 0 {
			counts[i]++
		}
	}
	v := Verdict{Action: ActionAllow}
	for i, c := range Categories() {
		if counts[i] == 0 {
			continue
		}
		a := p.ActionFor(c)
		v.Found = append(v.Found, CategoryVerdict{c, a, counts[i]})
		if a.strength() > v.Action.strength() {
			v.Action = a
		}
	}
	return v
}

// CategoriesFor lists the categories found whose action is a.
func (v Verdict) CategoriesFor(a Action) []Category {
	var out []Category
	for _, f := range v.Found {
		if f.Action == a {
			out = append(out, f.Category)
		}
	}
	return out
}

// Redacts reports whether category c is to be redacted under this verdict.
func (v Verdict) Redacts(c Category) bool {
	for _, f := range v.Found {
		if f.Category == c {
			return f.Action == ActionRedact
		}
	}
	return false
}

// Header renders the verdict for a response header: "secret=block;email=redact". It is empty
// when nothing was found. It never holds a value.
func (v Verdict) Header() string {
	var b strings.Builder
	for i, f := range v.Found {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(string(f.Category))
		b.WriteByte('=')
		b.WriteString(string(f.Action))
	}
	return b.String()
}

// BlockMessage is the user-safe text for a blocked request: the categories that caused the
// block, never the values.
func (v Verdict) BlockMessage() string {
	cats := v.CategoriesFor(ActionBlock)
	if len(cats) == 0 {
		return ""
	}
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = c.label()
	}
	return "the request was blocked by the privacy policy because it contains " + joinAnd(names) +
		"; remove it, or send the request to a local model"
}

// LocalOnlyMessage is the user-safe text for a request that may only go to a local engine when
// none is available.
func (v Verdict) LocalOnlyMessage() string {
	cats := v.CategoriesFor(ActionLocalOnly)
	if len(cats) == 0 {
		return ""
	}
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = c.label()
	}
	return "the privacy policy keeps requests that contain " + joinAnd(names) + " on local models, and no local model can answer this one"
}

func (c Category) label() string {
	switch c {
	case CategorySecret:
		return "a secret (API key, token, password or private key)"
	case CategoryEmail:
		return "an email address"
	case CategoryPhone:
		return "a phone number"
	case CategoryPaymentCard:
		return "a payment card number"
	case CategoryIBAN:
		return "a bank account number (IBAN)"
	case CategoryNationalID:
		return "a national identity number"
	case CategoryIPAddress:
		return "an IP address"
	case CategoryPerson:
		return "a person's name"
	case CategoryAddress:
		return "a postal address"
	case CategoryDateOfBirth:
		return "a date of birth"
	case CategoryCustom:
		return "a term your configuration protects"
	}
	return string(c)
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
