package privacy

import (
	"encoding/json"
	"strings"
	"testing"
)

func vaultWith(t *testing.T, pairs ...string) (*Vault, map[string]string) {
	t.Helper()
	v := NewVault()
	ph := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		text := pairs[i+1]
		red := v.Redact(text, []Finding{{Category: Category(pairs[i]), Start: 0, End: len(text)}})
		ph[text] = red
	}
	return v, ph
}

func TestVaultRedactRestore(t *testing.T) {
	v := NewVault()
	text := "Mail ada@example.com or ada@example.com, not bob@example.org."
	fs := []Finding{
		{Category: CategoryEmail, Start: 5, End: 20},
		{Category: CategoryEmail, Start: 24, End: 39},
		{Category: CategoryEmail, Start: 45, End: 60},
	}
	red := v.Redact(text, fs)
	want := "Mail <EMAIL_1> or <EMAIL_1>, not <EMAIL_2>."
	if red != want {
		t.Fatalf("redacted = %q, want %q", red, want)
	}
	// The same value keeps its placeholder in another text of the request.
	if got := v.Redact("cc ada@example.com", []Finding{{Category: CategoryEmail, Start: 3, End: 18}}); got != "cc <EMAIL_1>" {
		t.Errorf("second text = %q", got)
	}
	if got := v.Restore(red); got != text {
		t.Errorf("restored = %q", got)
	}
	// Unknown and malformed placeholders pass through untouched.
	for _, s := range []string{"<EMAIL_9>", "<EMAIL_>", "<_1>", "<EMAIL_1", "a < b > c", "<<EMAIL_1>>", "<email_1>"} {
		got := v.Restore(s)
		want := strings.ReplaceAll(strings.ReplaceAll(s, "<EMAIL_1>", "ada@example.com"), "<email_1>", "ada@example.com")
		if got != want {
			t.Errorf("Restore(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestVaultReserve(t *testing.T) {
	v := NewVault()
	v.Reserve("the docs mention <EMAIL_1> as an example")
	red := v.Redact("x@y.io", []Finding{{Category: CategoryEmail, Start: 0, End: 6}})
	if red != "<EMAIL_2>" {
		t.Fatalf("redacted = %q, want <EMAIL_2>", red)
	}
	if got := v.Restore("<EMAIL_1> and <EMAIL_2>"); got != "<EMAIL_1> and x@y.io" {
		t.Errorf("restored = %q", got)
	}
}

func TestRestoreJSON(t *testing.T) {
	tricky := `say "hi" \ C:\temp` + "\n<tab>\t"
	v, ph := vaultWith(t, "secret", tricky, "email", "a@b.co")
	args := `{"note":"` + ph[tricky] + `","to":"` + ph["a@b.co"] + `","esc":"\u003cSECRET_1\u003e"}`
	got := v.RestoreJSON(args)
	var m map[string]string
	if err := json.Unmarshal([]byte(got), &m); err != nil {
		t.Fatalf("restored JSON %q is invalid: %v", got, err)
	}
	if m["note"] != tricky || m["to"] != "a@b.co" || m["esc"] != tricky {
		t.Errorf("restored = %#v", m)
	}
}

// Splitting the stream anywhere, into any number of pieces, gives the same text as restoring
// it whole.
func TestRestorerSplitEverywhere(t *testing.T) {
	v, ph := vaultWith(t, "email", "ada@example.com", "person", "Ada Lovelace", "secret", `p"w\d`)
	inputs := []string{
		"Dear " + ph["Ada Lovelace"] + ", your mail " + ph["ada@example.com"] + " is set.",
		ph["ada@example.com"] + ph["ada@example.com"],
		"<EMA<EMAIL_1><PERSON_1",
		"a < b and <EMAIL_99> and <SECRET_1> <",
		"trailing <PERSON_",
		"ünïcödé " + ph["Ada Lovelace"] + " 日本語",
		`{"k":"<SECRET_1>","j":"\u003cSECRET_1\u003e"}`,
	}
	for _, in := range inputs {
		for _, inJSON := range []bool{false, true} {
			want := v.restore(in, inJSON)
			// Every split into two pieces.
			for cut := 0; cut <= len(in); cut++ {
				r := &Restorer{v: v, inJSON: inJSON}
				got := r.Write(in[:cut]) + r.Write(in[cut:]) + r.Flush()
				if got != want {
					t.Fatalf("json=%v split at %d of %q: got %q, want %q", inJSON, cut, in, got, want)
				}
			}
			// One byte at a time.
			r := &Restorer{v: v, inJSON: inJSON}
			var b strings.Builder
			for i := 0; i < len(in); i++ {
				b.WriteString(r.Write(in[i : i+1]))
			}
			b.WriteString(r.Flush())
			if b.String() != want {
				t.Fatalf("json=%v byte by byte %q: got %q, want %q", inJSON, in, b.String(), want)
			}
		}
	}
}

// A placeholder the model drops or mangles costs nothing: no text is lost or held forever.
func TestRestorerMangled(t *testing.T) {
	v, _ := vaultWith(t, "email", "ada@example.com")
	r := NewRestorer(v)
	out := r.Write("write to <EMAIL")
	out += r.Write(" later, or <EMAIL_1 >, or <EMAILADDRESSANDSOMETHINGVERYLONGINDEED")
	if r.Pending() && len(r.pending) > maxPlaceholder+32 {
		t.Fatalf("holding %d bytes", len(r.pending))
	}
	out += r.Flush()
	want := "write to <EMAIL later, or <EMAIL_1 >, or <EMAILADDRESSANDSOMETHINGVERYLONGINDEED"
	if out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}
