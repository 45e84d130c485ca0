package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/sovereign-gateway/sovereign/internal/privacy"
)

// sovereign scan FILE|-: what the privacy guard would find in a text, without the values.

type scanFinding struct {
	Line       int     `json:"line,omitempty"`
	Category   string  `json:"category"`
	Rule       string  `json:"rule"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Confidence float64 `json:"confidence"`
}

func scanCmd(ctx context.Context, args []string, env Env) error {
	fs := newFlags("scan", env)
	asJSON := fs.Bool("json", false, "print one JSON object per finding; start and end count Unicode code points")
	jsonl := fs.Bool("jsonl-input", false, "the input is JSONL: scan each line's \"text\" field and report its line number")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "usage: sovereign scan [--json] [--jsonl-input] FILE|-")
		return ErrUsage
	}
	var in io.Reader = env.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	sc, err := privacy.New(privacy.Options{})
	if err != nil {
		return err
	}
	out := bufio.NewWriter(env.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	total := 0
	report := func(line int, text string) error {
		for _, f := range sc.Scan(text) {
			total++
			if *asJSON {
				r := privacy.RuneOffsets(text, f.Start, f.End)
				if err := enc.Encode(scanFinding{line, string(f.Category), f.Rule, r[0], r[1], f.Confidence}); err != nil {
					return err
				}
				continue
			}
			where := ""
			if line > 0 {
				where = fmt.Sprintf("line %d, ", line)
			}
			r := privacy.RuneOffsets(text, f.Start, f.End)
			fmt.Fprintf(out, "%-13s %-30s %schars %d-%d  confidence %.2f  %s\n", f.Category, f.Rule, where, r[0], r[1], f.Confidence, mask(text[f.Start:f.End]))
		}
		return nil
	}
	if *jsonl {
		br := bufio.NewScanner(in)
		br.Buffer(make([]byte, 1<<20), 64<<20)
		n := 0
		for br.Scan() {
			if err := ctx.Err(); err != nil {
				return err
			}
			n++
			var rec struct {
				Text *string `json:"text"`
			}
			if len(br.Bytes()) == 0 {
				continue
			}
			if err := json.Unmarshal(br.Bytes(), &rec); err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			if rec.Text == nil {
				continue
			}
			if err := report(n, *rec.Text); err != nil {
				return err
			}
		}
		if err := br.Err(); err != nil {
			return err
		}
	} else {
		b, err := io.ReadAll(in)
		if err != nil {
			return err
		}
		if err := report(0, string(b)); err != nil {
			return err
		}
	}
	if !*asJSON {
		fmt.Fprintf(out, "%d finding(s)\n", total)
	}
	return nil
}

// mask shows enough of a value to recognise it, never the value: its first characters (up to a
// quarter of it, at most four) and its length, as in "sk-a…(40 chars)".
func mask(v string) string {
	n := utf8.RuneCountInString(v)
	show := min(4, n/4)
	i := 0
	for k := 0; k < show; k++ {
		_, size := utf8.DecodeRuneInString(v[i:])
		i += size
	}
	return fmt.Sprintf("%s…(%d chars)", sanitize(v[:i]), n)
}

// sanitize keeps control characters out of a terminal.
func sanitize(s string) string {
	b := []rune{}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			r = '·'
		}
		b = append(b, r)
	}
	return string(b)
}
