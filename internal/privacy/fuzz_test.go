package privacy

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScan checks that Scan never panics and returns sorted, non-overlapping findings within
// the text, each of a known category.
func FuzzScan(f *testing.F) {
	for _, s := range []string{"", "a@b.co", "+44 20 7946 0958", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32",
		"password = \"x\"", "-----BEGIN PRIVATE KEY-----", "postgres://u:p@h", "Dr. Maria Gonzalez", "2001:db8::1",
		"born 1/2/1990", "<EMAIL_1>", "AB 12 34 56 C", "\xff\xfe@", "12345678Z"} {
		f.Add(s)
	}
	s, err := New(Options{Custom: []Pattern{{Name: "c", Regexp: `CTR-\d+`}}, Dictionaries: []Dictionary{{Name: "d", Words: []string{"acme"}}}})
	if err != nil {
		f.Fatal(err)
	}
	known := map[Category]bool{}
	for _, c := range Categories() {
		known[c] = true
	}
	f.Fuzz(func(t *testing.T, text string) {
		last := 0
		for _, fd := range s.Scan(text) {
			if fd.Start < last || fd.End <= fd.Start || fd.End > len(text) {
				t.Fatalf("bad span %+v (last end %d, len %d)", fd, last, len(text))
			}
			if !known[fd.Category] || fd.Rule == "" || fd.Confidence <= 0 || fd.Confidence > 1 {
				t.Fatalf("bad finding %+v", fd)
			}
			last = fd.End
		}
	})
}

// FuzzRestorer checks the restorer's invariant: whatever the split of the stream, the
// concatenation of Write's and Flush's outputs equals Restore of the whole text.
func FuzzRestorer(f *testing.F) {
	for _, s := range []string{"Mail <EMAIL_1> now", "<EMA", "<<EMAIL_1>>", `{"a":"\u003cSECRET_1\u003e"}`, "<PERSON_12", "a < b"} {
		f.Add(s, uint8(3), false)
		f.Add(s, uint8(1), true)
	}
	v := NewVault()
	v.Redact(`ada@example.com`, []Finding{{Category: CategoryEmail, Start: 0, End: 15}})
	v.Redact(`s"e\cret`, []Finding{{Category: CategorySecret, Start: 0, End: 8}})
	v.Redact(`Ada`, []Finding{{Category: CategoryPerson, Start: 0, End: 3}})
	f.Fuzz(func(t *testing.T, text string, step uint8, inJSON bool) {
		n := int(step%16) + 1
		r := &Restorer{v: v, inJSON: inJSON}
		var b strings.Builder
		for i := 0; i < len(text); i += n {
			b.WriteString(r.Write(text[i:min(i+n, len(text))]))
			if len(r.pending) > 2*maxPlaceholder+32 {
				t.Fatalf("holding %d bytes", len(r.pending))
			}
		}
		b.WriteString(r.Flush())
		if want := v.restore(text, inJSON); b.String() != want {
			t.Fatalf("streamed %q, whole %q", b.String(), want)
		}
		if utf8.ValidString(text) && !utf8.ValidString(b.String()) {
			t.Fatalf("restoring broke UTF-8: %q", b.String())
		}
	})
}
