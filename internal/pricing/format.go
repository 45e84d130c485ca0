package pricing

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// FormatTable writes t for people to read, as "sovereign prices" shows it: the date the prices
// were checked, the local rate, and one aligned row per model with its rates in US dollars per
// million tokens ("-" where the provider has no such rate), its long-context tier and its note.
func FormatTable(w io.Writer, t *Table) error {
	if _, err := fmt.Fprintf(w, "Prices as of %s, USD per 1M tokens: vendors' list prices, re-check them before relying on them.\n", t.Date); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "Local models: %s per 1M tokens.\n\n", rate(&t.localRate)); err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tMODEL\tINPUT\tCACHED\tCACHE WRITE\tOUTPUT\tNOTES")
	for _, key := range t.rows {
		e := t.entries[key]
		p, _ := t.resolve(e)
		var notes []string
		if e.sameAs != "" {
			notes = append(notes, "= "+e.sameAs)
		}
		if e.override {
			notes = append(notes, "configured override")
		}
		if lc := p.LongContext; lc != nil {
			notes = append(notes, fmt.Sprintf("above %dk input: %s in / %s out", lc.Above/1000, rate(orPtr(lc.Input, p.Input)), rate(orPtr(lc.Output, p.Output))))
		}
		if p.CacheWrite1h != nil {
			notes = append(notes, "1h cache write "+rate(p.CacheWrite1h))
		}
		if e.note != "" {
			notes = append(notes, e.note)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.provider, e.model, rate(p.Input), rate(p.CachedInput), rate(p.CacheWrite), rate(p.Output), strings.Join(notes, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Rows without notes end in the padding of the empty last column; drop it.
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

func orPtr(a, b *float64) *float64 {
	if a != nil {
		return a
	}
	return b
}

// rate formats a rate with at least two decimals: 2.50, 0.075, 0.005; nil is "-".
func rate(r *float64) string {
	if r == nil {
		return "-"
	}
	s := strconv.FormatFloat(*r, 'f', -1, 64)
	dot := strings.IndexByte(s, '.')
	switch {
	case dot < 0:
		return s + ".00"
	case len(s)-dot-1 < 2:
		return s + "0"
	}
	return s
}
