package route

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// FeatureVersion names the layout Extract produces. A model records the version it was trained
// with, and loading refuses a model trained on another layout: change it whenever Extract changes
// what it emits, then retrain (go run ./scripts/train-route).
const FeatureVersion = 1

// Dense feature indexes. Counts enter as log(1+n), shares as fractions in [0,1].
const (
	DenseLastTokens     = iota // log(1+tokens of the last user turn)
	DenseTotalTokens           // log(1+tokens of every message)
	DenseUserTurns             // log(1+user turns)
	DenseMessages              // log(1+messages): conversation depth
	DenseSystem                // 1 when there is a system or developer message
	DenseCodeFences            // log(1+``` fences)
	DenseCodeWords             // log(1+code keywords)
	DenseCodeSymbols           // share of bytes that are {}[]();=<>_#
	DenseDigits                // share of bytes that are digits
	DenseMathOps               // share of bytes that are + * / ^ = < > %
	DenseLatex                 // log(1+LaTeX commands)
	DenseMathWords             // log(1+math keywords)
	DenseMultiStep             // log(1+multi-step cues: "step by step", "prove", "explain why", …)
	DenseNumbered              // log(1+numbered lines: "1." "2)")
	DenseChoice                // 1 when the text has lettered options A, B, C at line starts
	DenseNumericChoices        // log(1+lettered options whose text starts with a number)
	DenseNonLatin              // share of letters outside the Latin scripts
	DenseQuestions             // log(1+question marks)
	DenseTools                 // log(1+tools offered)
	DenseJSON                  // 1 when the answer must be JSON (json_object or json_schema)
	DenseImages                // log(1+images)
	DenseReasonWords           // log(1+reasoning keywords)
	DenseWriteWords            // log(1+writing keywords)
	DenseExtractWords          // log(1+extraction keywords)
	DenseNegation              // log(1+"not", "except", "false", "least", … in the last user turn)
	DenseWordLen               // mean word length in bytes / 10
	DenseLongWords             // share of words of 10 bytes or more
	DensePipes                 // log(1+ '|' )
	DenseOptionLen             // log(1+mean bytes of a lettered option's text)
	DenseJudgement             // log(1+lettered options that start with True or False)
	DenseSentences             // log(1+sentence ends in the last user turn)
	DenseTagTools              // 1 when Tag is tools; the tag one-hots follow in Tags order
	DenseTagCode
	DenseTagMath
	DenseTagExtraction
	DenseTagReasoning
	DenseTagWriting
	DenseTagChat
	NumDense
)

// DenseNames names the dense features, in index order, for model files and reports.
var DenseNames = [NumDense]string{
	"last_tokens", "total_tokens", "user_turns", "messages", "system", "code_fences",
	"code_words", "code_symbols", "digits", "math_ops", "latex", "math_words", "multi_step",
	"numbered", "choice", "numeric_choices", "non_latin", "questions", "tools", "json", "images",
	"reason_words", "write_words", "extract_words", "negation", "word_len", "long_words", "pipes",
	"option_len", "judgement", "sentences", "tag_tools", "tag_code", "tag_math", "tag_extraction",
	"tag_reasoning", "tag_writing", "tag_chat",
}

// Hashed is one hashed n-gram: a 30-bit hash (a model keeps as many low bits as it has
// buckets) with the n-gram's family in the top two bits (Family), and its weight in the
// conversation.
type Hashed struct {
	Hash  uint32
	Value float32
}

// Features is what the router reads of a request. Extract fills it; Score and Tag read it.
type Features struct {
	// Dense holds the structural features, indexed by the Dense* constants.
	Dense [NumDense]float32
	// Hashed holds the word unigrams and bigrams of the scanned text,
	// each weighted by its turn (1 for the last user turn, ½ for earlier user turns, ¼ for
	// system text). HashNorm is 1/‖Hashed‖, so long prompts do not weigh more than short ones.
	Hashed   []Hashed
	HashNorm float32

	// Counts kept for the summary and Tag.
	Tokens     int // approximate tokens of all message text (bytes/4)
	LastTokens int // approximate tokens of the last user turn
	UserTurns  int
	Messages   int
	Tools      int
	Images     int
	JSON       bool

	cues cues
}

// cues are the weighted keyword and shape counts behind Tag and the summary.
type cues struct {
	fences, codeWords, codeSymbols, mathWords, latex, equations float32
	multiStep, numbered, reasonWords, writeWords, extractWords  float32
	choiceMask                                                  uint32 // option letters at line starts, of the last user turn
	bytes, digits, mathOps                                      float32
	letters, nonLatin                                           float32
}

// Limits on how much text Extract scans, so a huge system prompt or pasted file cannot make a
// decision slow: the last user turn is scanned up to maxLastScan bytes, every other message up
// to maxOtherScan bytes (its end, which is nearest the question), and no more than maxScan in all.
// Token counts still use every byte.
const (
	maxLastScan  = 12 << 10
	maxOtherScan = 2 << 10
	maxScan      = 24 << 10
)

// Turn weights of hashed n-grams and cue counts.
const (
	weightLast   = 1
	weightUser   = 0.5
	weightSystem = 0.25
)

// Seeds separate the hash spaces of the n-gram families.
const (
	seedUnigram = 0x9e3779b9
	seedBigram  = 0x85ebca6b
)

// N-gram families, kept in the top two bits of Hashed.Hash. (Character 4-grams were tried
// and dropped: they lowered the cross-validated APGR, see docs/BENCHMARKS.md#router.)
const (
	FamilyUnigram = 1
	FamilyBigram  = 2
)

// Family returns the n-gram family of h.
func (h Hashed) Family() int { return int(h.Hash >> 30) }

func familyHash(h uint32, family uint32) uint32 { return h&(1<<30-1) | family<<30 }

// Extract reads req into Features. It does not change req. The cost is linear in the scanned
// text (see maxScan) with one allocation, for Hashed.
func Extract(req *llm.Request) Features {
	var f Features
	last := -1
	for i := range req.Messages {
		if req.Messages[i].Role == llm.RoleUser {
			last = i
		}
	}
	// Size Hashed once: two n-grams per word, and words are rarely shorter than 3 bytes.
	var scan, total int
	for i := range req.Messages {
		n := textLen(&req.Messages[i])
		total += n
		switch {
		case i == last:
			scan += min(n, maxLastScan)
		case isHashedRole(req.Messages[i].Role):
			scan += min(n, maxOtherScan)
		}
	}
	scan = min(scan, maxScan)
	f.Hashed = make([]Hashed, 0, scan*2/3+8)

	s := scanner{f: &f}
	budget := maxScan
	// The last user turn first, so the budget always covers it.
	if last >= 0 {
		budget -= s.message(&req.Messages[last], weightLast, true, min(budget, maxLastScan))
	}
	for i := range req.Messages {
		m := &req.Messages[i]
		f.Messages++
		if m.Role == llm.RoleUser {
			f.UserTurns++
		}
		for _, p := range m.Content {
			if p.Type == llm.PartImage || (p.Type == llm.PartDocument && p.Text == "") {
				f.Images++
			}
		}
		if i == last || !isHashedRole(m.Role) || budget <= 0 {
			continue
		}
		w := float32(weightUser)
		if m.Role != llm.RoleUser {
			w = weightSystem
		}
		budget -= s.message(m, w, false, min(budget, maxOtherScan))
	}

	f.Tokens = (total + 3) / 4
	if last >= 0 {
		f.LastTokens = (textLen(&req.Messages[last]) + 3) / 4
	}
	f.Tools = len(req.Tools)
	if rf := req.ResponseFormat; rf != nil && (rf.Type == llm.ResponseJSONObject || rf.Type == llm.ResponseJSONSchema) {
		f.JSON = true
	}
	f.finish(req)
	return f
}

func isHashedRole(role string) bool {
	return role == llm.RoleUser || role == llm.RoleSystem || role == llm.RoleDeveloper
}

func textLen(m *llm.Message) int {
	n := 0
	for i := range m.Content {
		n += len(m.Content[i].Text)
	}
	return n
}

func (f *Features) finish(req *llm.Request) {
	c := &f.cues
	d := &f.Dense
	d[DenseLastTokens] = log1p(f.LastTokens)
	d[DenseTotalTokens] = log1p(f.Tokens)
	d[DenseUserTurns] = log1p(f.UserTurns)
	d[DenseMessages] = log1p(f.Messages)
	for i := range req.Messages {
		if r := req.Messages[i].Role; r == llm.RoleSystem || r == llm.RoleDeveloper {
			d[DenseSystem] = 1
			break
		}
	}
	d[DenseCodeFences] = log1pf(c.fences)
	d[DenseCodeWords] = log1pf(c.codeWords)
	d[DenseLatex] = log1pf(c.latex)
	d[DenseMathWords] = log1pf(c.mathWords)
	d[DenseMultiStep] = log1pf(c.multiStep)
	d[DenseNumbered] = log1pf(c.numbered)
	if c.bytes > 0 {
		d[DenseCodeSymbols] = c.codeSymbols / c.bytes
		d[DenseDigits] = c.digits / c.bytes
		d[DenseMathOps] = c.mathOps / c.bytes
	}
	if c.letters > 0 {
		d[DenseNonLatin] = c.nonLatin / c.letters
	}
	d[DenseTools] = log1p(f.Tools)
	if f.JSON {
		d[DenseJSON] = 1
	}
	d[DenseImages] = log1p(f.Images)
	d[DenseReasonWords] = log1pf(c.reasonWords)
	d[DenseWriteWords] = log1pf(c.writeWords)
	d[DenseExtractWords] = log1pf(c.extractWords)
	switch Tag(f) {
	case TagTools:
		d[DenseTagTools] = 1
	case TagCode:
		d[DenseTagCode] = 1
	case TagMath:
		d[DenseTagMath] = 1
	case TagExtraction:
		d[DenseTagExtraction] = 1
	case TagReasoning:
		d[DenseTagReasoning] = 1
	case TagWriting:
		d[DenseTagWriting] = 1
	default:
		d[DenseTagChat] = 1
	}
	if f.HashNorm > 0 {
		f.HashNorm = float32(1 / math.Sqrt(float64(f.HashNorm)))
	}
}

// Summary is the compact view of Features that goes into the ledger with a decision.
type Summary struct {
	Tokens         int     `json:"tokens"`
	UserTurns      int     `json:"user_turns"`
	Messages       int     `json:"messages"`
	Code           bool    `json:"code,omitempty"`
	Math           bool    `json:"math,omitempty"`
	MultiStep      bool    `json:"multi_step,omitempty"`
	MultipleChoice bool    `json:"multiple_choice,omitempty"`
	NonLatin       float64 `json:"non_latin,omitempty"`
	Tools          int     `json:"tools,omitempty"`
	JSON           bool    `json:"json,omitempty"`
	Images         int     `json:"images,omitempty"`
}

// Summarize returns the ledger's view of f.
func (f *Features) Summarize() Summary {
	return Summary{
		Tokens:         f.Tokens,
		UserTurns:      f.UserTurns,
		Messages:       f.Messages,
		Code:           f.isCode(),
		Math:           f.isMath(),
		MultiStep:      f.cues.multiStep > 0 || f.cues.numbered >= 2,
		MultipleChoice: f.Dense[DenseChoice] > 0,
		NonLatin:       math.Round(float64(f.Dense[DenseNonLatin])*100) / 100,
		Tools:          f.Tools,
		JSON:           f.JSON,
		Images:         f.Images,
	}
}

func (f *Features) isCode() bool {
	c := &f.cues
	return c.fences > 0 || c.codeWords >= 2 || (c.codeWords >= 1 && f.Dense[DenseCodeSymbols] > 0.04)
}

func (f *Features) isMath() bool {
	c := &f.cues
	return c.latex > 0 || c.mathWords >= 2 || c.equations >= 1 ||
		(c.mathWords >= 1 && f.Dense[DenseDigits] > 0.02) || f.Dense[DenseNumericChoices] > 0.5
}

// Task tags, coarse on purpose: outcome learning keeps one threshold offset per tag, and a tag
// needs many requests before its offset means anything.
const (
	TagTools      = "tools"
	TagCode       = "code"
	TagMath       = "math"
	TagExtraction = "extraction"
	TagReasoning  = "reasoning"
	TagWriting    = "writing"
	TagChat       = "chat"
)

// Tags lists every tag Tag returns.
var Tags = []string{TagTools, TagCode, TagMath, TagExtraction, TagReasoning, TagWriting, TagChat}

// Tag returns the request's coarse task: tools when tools are offered, else code, math,
// extraction (JSON asked for, or extraction wording), reasoning (multi-step cues, reasoning
// wording, multiple choice), writing, and chat for everything else.
func Tag(f *Features) string {
	c := &f.cues
	switch {
	case f.Tools > 0:
		return TagTools
	case f.isCode():
		return TagCode
	case f.isMath():
		return TagMath
	case f.JSON || c.extractWords >= 1:
		return TagExtraction
	case c.writeWords >= 1 && c.writeWords >= c.reasonWords+c.multiStep:
		return TagWriting
	case c.multiStep > 0 || c.reasonWords >= 1 || f.Dense[DenseChoice] > 0:
		return TagReasoning
	case c.writeWords >= 1:
		return TagWriting
	}
	return TagChat
}

func log1p(n int) float32 { return float32(math.Log1p(float64(n))) }

func log1pf(x float32) float32 { return float32(math.Log1p(float64(x))) }

// scanner walks text once, hashing n-grams and counting cues.
type scanner struct {
	f      *Features
	weight float32
	last   bool

	// The current word: FNV-1a hash, lowercase bytes (the first len(buf)), byte length.
	wh   uint32
	buf  [16]byte
	wlen int

	prev     uint32 // hash of the previous word in this text; 0 at its start
	kw1, kw2 uint8  // keyword ids of the two previous words, for phrases

	words, wordBytes, longWords float32
	negation, questions, pipes  float32
	numericChoices              float32
	options, optionBytes        float32
	judgements, sentences       float32
}

// message scans up to limit bytes of m's text and returns how many it scanned.
func (s *scanner) message(m *llm.Message, weight float32, last bool, limit int) int {
	s.weight, s.last = weight, last
	used := 0
	for i := range m.Content {
		p := &m.Content[i]
		if p.Text == "" || (p.Type != llm.PartText && p.Type != llm.PartDocument) {
			continue
		}
		t := p.Text
		if n := limit - used; len(t) > n {
			if n <= 0 {
				break
			}
			if last {
				t = t[:n] // the question usually comes first in the last turn
			} else {
				t = t[len(t)-n:] // and last in earlier ones
			}
		}
		s.text(t)
		used += len(t)
	}
	if last {
		s.finishLast()
	}
	return used
}

func (s *scanner) finishLast() {
	d := &s.f.Dense
	if s.words > 0 {
		d[DenseWordLen] = s.wordBytes / s.words / 10
		d[DenseLongWords] = s.longWords / s.words
	}
	d[DenseNegation] = log1pf(s.negation)
	d[DenseQuestions] = log1pf(s.questions)
	d[DensePipes] = log1pf(s.pipes)
	d[DenseNumericChoices] = log1pf(s.numericChoices)
	if s.options > 0 {
		d[DenseOptionLen] = log1pf(s.optionBytes / s.options)
	}
	d[DenseJudgement] = log1pf(s.judgements)
	d[DenseSentences] = log1pf(s.sentences)
	if m := s.f.cues.choiceMask; m&0b111 == 0b111 {
		d[DenseChoice] = 1
	}
}

// text scans one run of text.
func (s *scanner) text(t string) {
	c := &s.f.cues
	w := s.weight
	c.bytes += w * float32(len(t))
	s.prev, s.kw1, s.kw2 = 0, 0, 0
	s.lineStart(t, 0)
	var digits, ops, symbols float32
	for i := 0; i < len(t); {
		b := t[i]
		if b < utf8.RuneSelf {
			switch {
			case 'a' <= b && b <= 'z':
				s.letter(b)
				c.letters += w
			case 'A' <= b && b <= 'Z':
				s.letter(b + 'a' - 'A')
				c.letters += w
			case '0' <= b && b <= '9':
				s.letter('0') // numbers hash by shape, not value
				digits++
			default:
				s.endWord()
				switch b {
				case '\n':
					s.lineStart(t, i+1)
				case '`':
					if len(t)-i >= 3 && t[i+1] == '`' && t[i+2] == '`' {
						c.fences += w
						i += 3
						continue
					}
				case '\\':
					if i+1 < len(t) && (isASCIILetter(t[i+1]) || t[i+1] == '(' || t[i+1] == '[') {
						c.latex += w
					}
				case '+', '*', '/', '^', '%':
					ops++
				case '=':
					ops++
					symbols++
					if i > 0 && i+1 < len(t) && (isOperand(t[i-1]) || isOperand(t[i+1])) {
						c.equations += w
					}
				case '<', '>':
					ops++
					symbols++
				case '{', '}', '[', ']', '(', ')', ';', '_', '#':
					symbols++
				case '?':
					if s.last {
						s.questions++
						s.sentences++
					}
				case '.', '!':
					if s.last && (i+1 == len(t) || t[i+1] == ' ' || t[i+1] == '\n') {
						s.sentences++
					}
				case '|':
					if s.last {
						s.pipes++
					}
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if r >= 0x0370 {
				c.nonLatin += w
			}
			c.letters += w
			for j := 0; j < size; j++ {
				s.letter(t[i+j])
			}
			if isIdeograph(r) {
				s.endWord() // scripts without spaces: one character, one word
			}
		} else {
			s.endWord()
		}
		i += size
	}
	s.endWord()
	c.digits += w * digits
	c.mathOps += w * ops
	c.codeSymbols += w * symbols
}

func isASCIILetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

func isOperand(b byte) bool {
	return '0' <= b && b <= '9' || b == ' ' || b == ')' || b == 'x' || b == 'y' || b == 'n'
}

func isIdeograph(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) || unicode.Is(unicode.Thai, r)
}

// lineStart looks at the start of the line at t[i:] for lettered options ("A.", "B)", "(c)")
// and numbered items ("1.", "2)").
func (s *scanner) lineStart(t string, i int) {
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	if i >= len(t) {
		return
	}
	c := &s.f.cues
	b := t[i]
	paren := b == '('
	if paren {
		i++
		if i >= len(t) {
			return
		}
		b = t[i]
	}
	switch {
	case ('A' <= b && b <= 'J' || 'a' <= b && b <= 'j') && i+1 < len(t) &&
		(t[i+1] == ')' || (!paren && t[i+1] == '.')) && (i+2 == len(t) || t[i+2] == ' ' || t[i+2] == '\t'):
		if s.last {
			c.choiceMask |= 1 << ((b | 0x20) - 'a')
			j := i + 2
			for j < len(t) && t[j] == ' ' {
				j++
			}
			if j < len(t) && ('0' <= t[j] && t[j] <= '9' || t[j] == '$' || t[j] == '-') {
				s.numericChoices++
			}
			if strings.HasPrefix(t[j:], "True") || strings.HasPrefix(t[j:], "False") {
				s.judgements++
			}
			end := strings.IndexByte(t[j:], '\n')
			if end < 0 {
				end = len(t) - j
			}
			s.options++
			s.optionBytes += float32(end)
		}
	case '0' <= b && b <= '9' && !paren:
		j := i
		for j < len(t) && '0' <= t[j] && t[j] <= '9' && j-i < 3 {
			j++
		}
		if j+1 < len(t) && (t[j] == '.' || t[j] == ')') && (t[j+1] == ' ' || t[j+1] == '\t') {
			c.numbered += s.weight
		}
	}
}

// letter adds one lowercase byte to the current word.
func (s *scanner) letter(b byte) {
	if s.wlen == 0 {
		s.wh = 2166136261
	}
	s.wh = (s.wh ^ uint32(b)) * 16777619
	if s.wlen < len(s.buf) {
		s.buf[s.wlen] = b
	}
	s.wlen++
}

// endWord closes the current word: its unigram, the bigram with the previous word, and its
// keyword.
func (s *scanner) endWord() {
	if s.wlen == 0 {
		return
	}
	h := s.wh
	s.emit(familyHash(mix(h, seedUnigram), FamilyUnigram))
	if s.prev != 0 {
		s.emit(familyHash(mix(s.prev*0x2545f491^h, seedBigram), FamilyBigram))
	}
	s.prev = h
	if s.last {
		s.words++
		s.wordBytes += float32(s.wlen)
		if s.wlen >= 10 {
			s.longWords++
		}
	}
	kw := uint8(kwNone)
	if s.wlen <= len(s.buf) {
		kw = keyword(s.buf[:s.wlen])
	}
	s.cue(kw)
	s.kw2, s.kw1 = s.kw1, kw
	s.wlen = 0
}

func (s *scanner) emit(h uint32) {
	if s.weight == 0 {
		return
	}
	s.f.Hashed = append(s.f.Hashed, Hashed{Hash: h, Value: s.weight})
	s.f.HashNorm += s.weight * s.weight // the squared norm until finish takes its root
}

// mix is a 32-bit finalizer (from MurmurHash3) applied to a value and a family seed.
func mix(h, seed uint32) uint32 {
	h ^= seed
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// Keyword ids. Classes are ranges, so a cue check is a comparison.
const (
	kwNone = iota
	// phrase parts
	kwStep
	kwBy
	kwExplain
	kwShow
	kwThat
	kwWhy
	// multi-step cues on their own
	kwMultiStep
	// classes
	kwCode
	kwMath
	kwReason
	kwWrite
	kwExtract
	kwNegation
)

// keyword returns the id of a lowercase word. A switch on string(b) does not allocate.
func keyword(b []byte) uint8 {
	switch string(b) {
	case "step", "steps":
		return kwStep
	case "by":
		return kwBy
	case "explain":
		return kwExplain
	case "show":
		return kwShow
	case "that":
		return kwThat
	case "why":
		return kwWhy
	case "prove", "proof", "derive", "derivation", "justify", "stepwise", "thoroughly":
		return kwMultiStep
	case "func", "def", "class", "return", "import", "include", "void", "public", "static",
		"const", "function", "printf", "println", "console", "python", "java", "javascript",
		"typescript", "golang", "rust", "sql", "html", "css", "regex", "compile", "compiler",
		"debug", "code", "coding", "script", "program", "programming", "algorithm", "implement",
		"array", "struct", "lambda", "async", "await", "npm", "git", "bash", "shell", "docker",
		"kubernetes", "stack", "pointer", "recursion", "recursive", "runtime", "bug", "syntax":
		return kwCode
	case "solve", "equation", "equations", "integral", "derivative", "calculate", "compute",
		"probability", "theorem", "matrix", "polynomial", "prime", "formula", "sqrt", "log",
		"sin", "cos", "tan", "algebra", "geometry", "triangle", "angle", "percent", "percentage",
		"ratio", "median", "variance", "integer", "integers", "fraction", "decimal", "divide",
		"divided", "multiply", "exponent", "logarithm", "velocity", "acceleration", "sum",
		"digits", "remainder", "modulo", "vector", "function's", "area", "perimeter", "radius":
		return kwMath
	case "reason", "reasoning", "logic", "logical", "deduce", "infer", "inference", "conclude",
		"conclusion", "argument", "assume", "assumption", "therefore", "hence", "implies",
		"riddle", "puzzle", "analyze", "analyse", "evaluate", "compare", "contrast", "because":
		return kwReason
	case "write", "rewrite", "essay", "poem", "story", "email", "blog", "draft", "compose",
		"letter", "article", "paragraph", "speech", "slogan", "lyrics", "tweet", "creative",
		"imagine", "pretend", "roleplay", "character", "persuasive", "describe", "haiku",
		"limerick", "rephrase", "edit", "proofread", "translate":
		return kwWrite
	case "extract", "json", "yaml", "xml", "csv", "table", "classify", "categorize",
		"categorise", "parse", "summarize", "summarise", "tldr", "keywords", "entities",
		"columns", "fields":
		return kwExtract
	case "not", "except", "false", "incorrect", "least", "never", "cannot", "unlikely":
		return kwNegation
	}
	return kwNone
}

// cue counts a word's keyword, with the phrases "step by step", "explain why" and "show that".
func (s *scanner) cue(kw uint8) {
	c := &s.f.cues
	w := s.weight
	switch kw {
	case kwStep:
		if s.kw1 == kwBy && s.kw2 == kwStep {
			c.multiStep += w
		}
	case kwWhy:
		if s.kw1 == kwExplain {
			c.multiStep += w
		} else {
			c.reasonWords += w
		}
	case kwThat:
		if s.kw1 == kwShow {
			c.multiStep += w
		}
	case kwExplain:
		c.reasonWords += w
	case kwMultiStep:
		c.multiStep += w
	case kwCode:
		c.codeWords += w
	case kwMath:
		c.mathWords += w
	case kwReason:
		c.reasonWords += w
	case kwWrite:
		c.writeWords += w
	case kwExtract:
		c.extractWords += w
	case kwNegation:
		if s.last {
			s.negation++
		}
	}
}
