package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sovereign-gateway/sovereign/internal/privacy"
)

// sovereign eval privacy: precision and recall of the privacy scanner on labelled datasets.
//
// Matching rule (span level, overlap based): a labelled span counts as found (recall) when a
// finding of the mapped category overlaps it by at least one character; a finding counts as
// correct (precision) when it overlaps a labelled span of its category. Datasets that label
// only whether a line holds a secret (detect-secrets) are scored per line. Every record is put
// in split "tune" or "held-out" by a hash of its key (presidio_generated: record index parity),
// and both are reported separately: rules were tuned on "tune" only.

// Dataset formats.
const (
	fmtPresidio      = "presidio"       // presidio-research generated JSON list
	fmtPresidioCases = "presidio-cases" // presidio recognizer test cases (JSONL)
	fmtGitleaks      = "gitleaks"       // gitleaks rule cases (JSONL)
	fmtDetectSecrets = "detect-secrets" // detect-secrets plugin cases (JSONL)
	fmtSovereign     = "sovereign"      // our own JSONL: text + spans with categories
)

// presidioCategories maps Presidio entity types to our categories. Types not listed are not
// claimed by the scanner and are excluded (listed in the report).
var presidioCategories = map[string]privacy.Category{
	"PERSON": privacy.CategoryPerson, "EMAIL_ADDRESS": privacy.CategoryEmail, "PHONE_NUMBER": privacy.CategoryPhone,
	"TR_PHONE_NUMBER": privacy.CategoryPhone, "PH_MOBILE_NUMBER": privacy.CategoryPhone,
	"CREDIT_CARD": privacy.CategoryPaymentCard, "IBAN_CODE": privacy.CategoryIBAN, "IP_ADDRESS": privacy.CategoryIPAddress,
	"ADDRESS": privacy.CategoryAddress, "STREET_ADDRESS": privacy.CategoryAddress, "ZIP_CODE": privacy.CategoryAddress,
	"UK_POSTCODE": privacy.CategoryAddress,
	"US_SSN":      privacy.CategoryNationalID, "US_ITIN": privacy.CategoryNationalID, "UK_NINO": privacy.CategoryNationalID,
	"UK_NHS": privacy.CategoryNationalID, "ES_NIF": privacy.CategoryNationalID, "ES_NIE": privacy.CategoryNationalID,
	"IT_FISCAL_CODE": privacy.CategoryNationalID, "FI_PERSONAL_IDENTITY_CODE": privacy.CategoryNationalID,
	"SE_PERSONNUMMER": privacy.CategoryNationalID, "PL_PESEL": privacy.CategoryNationalID, "CA_SIN": privacy.CategoryNationalID,
	"IN_AADHAAR": privacy.CategoryNationalID, "TR_NATIONAL_ID": privacy.CategoryNationalID, "KR_RRN": privacy.CategoryNationalID,
	"SG_NRIC_FIN": privacy.CategoryNationalID,
}

// evalRecord is one labelled text, whatever the source format.
type evalRecord struct {
	text  string
	spans []evalSpan // byte offsets
	// scored lists the categories this record labels; findings of other categories in it
	// are not scored. For line-level records, lineLevel is set.
	scored    []privacy.Category
	lineLevel bool
	positive  bool    // line-level: the line holds one
	minConf   float64 // line-level: findings below this do not count (detect-secrets ip_public)
	key       string  // for the split hash
	split     string  // "tune" or "held-out"
	group     string  // rule or plugin, for per-group recall
}

type evalSpan struct {
	cat        privacy.Category
	start, end int
}

type evalCounts struct {
	Gold, FoundGold, Pred, CorrectPred int
}

func (c evalCounts) precision() float64 {
	if c.Pred == 0 {
		return 1
	}
	return float64(c.CorrectPred) / float64(c.Pred)
}

func (c evalCounts) recall() float64 {
	if c.Gold == 0 {
		return 1
	}
	return float64(c.FoundGold) / float64(c.Gold)
}

type evalResult struct {
	Dataset  string                 `json:"dataset"`
	Format   string                 `json:"format"`
	Split    string                 `json:"split"`
	Records  int                    `json:"records"`
	Excluded map[string]int         `json:"excluded_entity_types,omitempty"`
	counts   map[string]*evalCounts // category -> counts
	groups   map[string]*evalCounts // rule group -> counts (gitleaks, detect-secrets)
	misses   []string
}

type evalRow struct {
	Dataset   string  `json:"dataset"`
	Split     string  `json:"split"`
	Category  string  `json:"category"`
	Gold      int     `json:"gold"`
	Found     int     `json:"found"`
	Predicted int     `json:"predicted"`
	Correct   int     `json:"correct"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func evalPrivacy(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 && args[0] == "privacy" {
		args = args[1:]
	}
	fs := newFlags("eval privacy", env)
	var data multiFlag
	fs.Var(&data, "data", "dataset file or directory (repeatable)")
	format := fs.String("format", "auto", "dataset format: auto, presidio, presidio-cases, gitleaks, detect-secrets, sovereign")
	asJSON := fs.Bool("json", false, "print one JSON object per dataset, split and category")
	showMisses := fs.Int("misses", 0, "print up to N missed or wrong cases of the tune split per dataset (values masked unless --unmasked)")
	missCat := fs.String("misses-category", "", "only misses of this category")
	unmasked := fs.Bool("unmasked", false, "show missed values in full (for tuning on synthetic data only)")
	groups := fs.Bool("groups", false, "also print recall per rule or plugin (gitleaks, detect-secrets)")
	if err := parse(fs, args); err != nil {
		return err
	}
	data = append(data, fs.Args()...)
	if len(data) == 0 {
		fmt.Fprintln(env.Stderr, "sovereign eval privacy: give at least one --data PATH")
		return ErrUsage
	}
	sc, err := privacy.New(privacy.Options{})
	if err != nil {
		return err
	}
	var files []string
	for _, d := range data {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			files = append(files, d)
			continue
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range entries {
			n := e.Name()
			if !e.IsDir() && (strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".jsonl")) {
				files = append(files, filepath.Join(d, n))
			}
		}
	}
	var results []*evalResult
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		fm := *format
		if fm == "auto" {
			fm = detectFormat(b)
			if fm == "" {
				return fmt.Errorf("%s: cannot tell the dataset format; use --format", f)
			}
		}
		recs, excluded, err := loadEvalRecords(b, fm)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		name := datasetName(f)
		for _, split := range []string{"tune", "held-out", "all"} {
			r := &evalResult{Dataset: name, Format: fm, Split: split, Excluded: excluded,
				counts: map[string]*evalCounts{}, groups: map[string]*evalCounts{}}
			for i := range recs {
				if split != "all" && recs[i].split != split {
					continue
				}
				r.Records++
				// Errors are shown for the tune split only: the held-out split is never looked at.
				scoreRecord(sc, &recs[i], r, *showMisses > 0 && split == "tune", missOpts{*missCat, *unmasked})
			}
			results = append(results, r)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, r := range results {
			for _, cat := range sortedKeys(r.counts) {
				c := r.counts[cat]
				if err := enc.Encode(evalRow{r.Dataset, r.Split, cat, c.Gold, c.FoundGold, c.Pred, c.CorrectPred,
					round3(c.precision()), round3(c.recall())}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, r := range results {
		fmt.Fprintf(env.Stdout, "%s [%s] split=%s records=%d\n", r.Dataset, r.Format, r.Split, r.Records)
		w := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(w, "category\tgold\tfound\tpredicted\tcorrect\tprecision\trecall\t\n")
		for _, cat := range sortedKeys(r.counts) {
			c := r.counts[cat]
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t\n", cat, c.Gold, c.FoundGold, c.Pred, c.CorrectPred, c.precision(), c.recall())
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if *groups && len(r.groups) > 0 {
			var sum float64
			var low []string
			for _, g := range sortedKeys(r.groups) {
				c := r.groups[g]
				sum += c.recall()
				if c.recall() < 1 {
					low = append(low, fmt.Sprintf("%s=%.2f", g, c.recall()))
				}
			}
			fmt.Fprintf(env.Stdout, "macro recall over %d rules: %.3f\n", len(r.groups), sum/float64(len(r.groups)))
			if len(low) > 0 {
				fmt.Fprintf(env.Stdout, "below 1: %s\n", strings.Join(low, " "))
			}
		}
		if r.Split == "all" && len(r.Excluded) > 0 {
			var ex []string
			for _, k := range sortedKeys(r.Excluded) {
				ex = append(ex, fmt.Sprintf("%s(%d)", k, r.Excluded[k]))
			}
			fmt.Fprintf(env.Stdout, "excluded entity types: %s\n", strings.Join(ex, " "))
		}
		for i, m := range r.misses {
			if i >= *showMisses {
				break
			}
			fmt.Fprintf(env.Stdout, "  %s\n", m)
		}
		fmt.Fprintln(env.Stdout)
	}
	return nil
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func datasetName(path string) string {
	dir := filepath.Base(filepath.Dir(path))
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".jsonl"), ".json")
	if dir == "." || dir == "/" {
		return base
	}
	return dir + "/" + base
}

// detectFormat tells a dataset's format from its first record's fields.
func detectFormat(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	if b[0] == '[' {
		var first []map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&first); err != nil || len(first) == 0 {
			return ""
		}
		if _, ok := first[0]["full_text"]; ok {
			return fmtPresidio
		}
		return ""
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return ""
	}
	has := func(k string) bool { _, ok := m[k]; return ok }
	switch {
	case has("rule_id") && has("label"):
		return fmtGitleaks
	case has("plugin") && has("is_secret"):
		return fmtDetectSecrets
	case has("entity_types") && has("expected_count"):
		return fmtPresidioCases
	case has("text") && has("spans"):
		return fmtSovereign
	}
	return ""
}

func splitOf(key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	if h.Sum32()%2 == 0 {
		return "tune"
	}
	return "held-out"
}

// runeSpan converts code-point offsets to byte offsets.
func runeSpan(text string, start, end int) (int, int) {
	return privacy.ByteOffset(text, start), privacy.ByteOffset(text, end)
}

func loadEvalRecords(b []byte, format string) ([]evalRecord, map[string]int, error) {
	excluded := map[string]int{}
	var recs []evalRecord
	switch format {
	case fmtPresidio:
		var in []struct {
			FullText string `json:"full_text"`
			Spans    []struct {
				EntityType string `json:"entity_type"`
				Start      int    `json:"start_position"`
				End        int    `json:"end_position"`
			} `json:"spans"`
		}
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, nil, err
		}
		scored := map[privacy.Category]bool{privacy.CategorySecret: true}
		for _, c := range presidioCategories {
			if c != privacy.CategoryNationalID {
				scored[c] = true
			}
		}
		scored[privacy.CategoryNationalID] = true // US_SSN only in this set
		var cats []privacy.Category
		for c := range scored {
			cats = append(cats, c)
		}
		for i, r := range in {
			rec := evalRecord{text: r.FullText, scored: cats, split: "tune"}
			if i%2 == 1 {
				rec.split = "held-out"
			}
			for _, s := range r.Spans {
				c, ok := presidioCategories[s.EntityType]
				if !ok {
					excluded[s.EntityType]++
					continue
				}
				a, e := runeSpan(r.FullText, s.Start, s.End)
				rec.spans = append(rec.spans, evalSpan{c, a, e})
			}
			recs = append(recs, rec)
		}
	case fmtPresidioCases:
		err := eachJSONLine(b, func(line []byte) error {
			var r struct {
				EntityTypes   []string `json:"entity_types"`
				Text          string   `json:"text"`
				ExpectedCount int      `json:"expected_count"`
				Spans         [][2]int `json:"spans"`
				Source        string   `json:"source"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				return err
			}
			var cats []privacy.Category
			for _, et := range r.EntityTypes {
				if c, ok := presidioCategories[et]; ok {
					if !slices.Contains(cats, c) {
						cats = append(cats, c)
					}
				} else {
					excluded[et]++
				}
			}
			if r.EntityTypes == nil {
				excluded["(unknown)"]++
			}
			if len(cats) != 1 || len(cats) != len(r.EntityTypes) {
				// Nothing we claim, or a mix with types we do not claim: the expected spans
				// cannot be attributed (["PERSON","DATE_TIME"] rows expect dates).
				return nil
			}
			rec := evalRecord{text: r.Text, scored: cats, key: r.Source + "\x00" + r.Text, group: r.EntityTypes[0]}
			rec.split = splitOf(rec.key)
			switch {
			case len(r.Spans) > 0:
				for _, s := range r.Spans {
					a, e := runeSpan(r.Text, s[0], s[1])
					rec.spans = append(rec.spans, evalSpan{cats[0], a, e})
				}
			case r.ExpectedCount > 0:
				rec.lineLevel, rec.positive = true, true
			default:
				rec.lineLevel = true
			}
			recs = append(recs, rec)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	case fmtGitleaks:
		type row struct {
			RuleID string  `json:"rule_id"`
			Label  string  `json:"label"`
			Text   string  `json:"text"`
			Secret *string `json:"secret"`
		}
		var rows []row
		positive := map[string]bool{}
		err := eachJSONLine(b, func(line []byte) error {
			var r row
			if err := json.Unmarshal(line, &r); err != nil {
				return err
			}
			rows = append(rows, r)
			if r.Label == "tp" {
				positive[r.Text] = true
				if r.Secret != nil {
					positive[*r.Secret] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		cats := []privacy.Category{privacy.CategorySecret}
		for _, r := range rows {
			key := r.Text
			if r.Secret != nil {
				key = *r.Secret
			}
			rec := evalRecord{text: r.Text, scored: cats, key: key, group: r.RuleID}
			rec.split = splitOf(key)
			switch r.Label {
			case "tp":
				if r.Secret != nil && strings.Contains(r.Text, *r.Secret) {
					i := strings.Index(r.Text, *r.Secret)
					rec.spans = []evalSpan{{privacy.CategorySecret, i, i + len(*r.Secret)}}
				} else {
					rec.lineLevel, rec.positive = true, true
				}
			default:
				// A negative for its rule only: a text that is another rule's positive is
				// dropped (see the dataset's PROVENANCE.md).
				if positive[r.Text] || (r.Secret != nil && positive[*r.Secret]) {
					excluded["fp-row-positive-elsewhere"]++
					continue
				}
				rec.lineLevel = true
			}
			recs = append(recs, rec)
		}
	case fmtDetectSecrets:
		err := eachJSONLine(b, func(line []byte) error {
			var r struct {
				Plugin   string `json:"plugin"`
				Text     string `json:"text"`
				IsSecret bool   `json:"is_secret"`
				Source   string `json:"source_test"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				return err
			}
			rec := evalRecord{text: r.Text, lineLevel: true, positive: r.IsSecret, key: r.Source + "\x00" + r.Text, group: r.Plugin}
			rec.split = splitOf(rec.key)
			rec.scored = []privacy.Category{privacy.CategorySecret}
			if r.Plugin == "ip_public" {
				// detect-secrets flags public addresses only; ours below 0.8 are private ranges.
				rec.scored = []privacy.Category{privacy.CategoryIPAddress}
				rec.minConf = 0.8
			}
			recs = append(recs, rec)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	case fmtSovereign:
		err := eachJSONLine(b, func(line []byte) error {
			var r struct {
				Text  string `json:"text"`
				Spans []struct {
					Category string `json:"category"`
					Start    int    `json:"start"`
					End      int    `json:"end"`
				} `json:"spans"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				return err
			}
			rec := evalRecord{text: r.Text, scored: privacy.Categories(), key: r.Text}
			rec.split = splitOf(rec.key)
			for _, s := range r.Spans {
				a, e := runeSpan(r.Text, s.Start, s.End)
				rec.spans = append(rec.spans, evalSpan{privacy.Category(s.Category), a, e})
			}
			recs = append(recs, rec)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("unknown format %q", format)
	}
	return recs, excluded, nil
}

func eachJSONLine(b []byte, f func([]byte) error) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := f(line); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

type missOpts struct {
	category string
	unmasked bool
}

func scoreRecord(sc *privacy.Scanner, rec *evalRecord, r *evalResult, keepMisses bool, mo missOpts) {
	found := sc.Scan(rec.text)
	counts := func(c privacy.Category) *evalCounts {
		k := string(c)
		if r.counts[k] == nil {
			r.counts[k] = &evalCounts{}
		}
		return r.counts[k]
	}
	group := func() *evalCounts {
		if rec.group == "" {
			return nil
		}
		if r.groups[rec.group] == nil {
			r.groups[rec.group] = &evalCounts{}
		}
		return r.groups[rec.group]
	}
	miss := func(kind string, c privacy.Category, a, e int) {
		if keepMisses && (mo.category == "" || mo.category == string(c)) {
			v := mask(rec.text[a:e])
			ctx := ""
			if mo.unmasked {
				v = rec.text[a:e]
				ctx = " in " + strconv.Quote(clip(rec.text[max(0, a-60):min(len(rec.text), e+40)], 200))
			}
			r.misses = append(r.misses, fmt.Sprintf("%s %s %q%s", kind, c, v, ctx))
		}
	}
	if rec.lineLevel {
		for _, c := range rec.scored {
			hit := false
			for _, f := range found {
				if f.Category == c && f.Confidence >= rec.minConf {
					hit = true
				}
			}
			cc := counts(c)
			g := group()
			if rec.positive {
				cc.Gold++
				if g != nil {
					g.Gold++
				}
				if hit {
					cc.FoundGold++
					if g != nil {
						g.FoundGold++
					}
				} else {
					miss("missed", c, 0, len(rec.text))
				}
			}
			if hit {
				cc.Pred++
				if rec.positive {
					cc.CorrectPred++
				} else {
					miss("false", c, 0, len(rec.text))
				}
			}
		}
		return
	}
	overlap := func(a1, e1, a2, e2 int) bool { return a1 < e2 && a2 < e1 }
	for _, c := range rec.scored {
		cc := counts(c)
		for _, s := range rec.spans {
			if s.cat != c {
				continue
			}
			cc.Gold++
			g := group()
			if g != nil {
				g.Gold++
			}
			ok := false
			for _, f := range found {
				if f.Category == c && overlap(f.Start, f.End, s.start, s.end) {
					ok = true
					break
				}
			}
			if ok {
				cc.FoundGold++
				if g != nil {
					g.FoundGold++
				}
			} else {
				miss("missed", c, s.start, s.end)
			}
		}
		for _, f := range found {
			if f.Category != c {
				continue
			}
			cc.Pred++
			ok := false
			for _, s := range rec.spans {
				if s.cat == c && overlap(f.Start, f.End, s.start, s.end) {
					ok = true
					break
				}
			}
			if ok {
				cc.CorrectPred++
			} else {
				miss("false("+f.Rule+")", c, f.Start, f.End)
			}
		}
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
