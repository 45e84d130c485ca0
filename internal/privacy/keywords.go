package privacy

// keywordMatcher finds many keywords at once, ASCII case-insensitively, in one pass over the
// text (an Aho-Corasick automaton compiled to a dense DFA over the bytes that occur in the
// keywords). It is the prefilter that decides which rules run at all, as gitleaks' keywords do:
// most prompts contain none of them, and then no regular expression runs.
type keywordMatcher struct {
	class    [256]uint8 // byte -> input class; 0 is every byte that appears in no keyword
	nclass   int
	delta    []uint16 // while building: state*nclass + class -> next state
	next     []uint32 // state*nclass + class -> next state*nclass
	root     uint32
	outStart uint32  // states (premultiplied) at or above this have outputs
	out      [][]int // state -> keyword ids ending here (own and through failure links)
	length   []int   // keyword id -> length in bytes
	maxLen   int
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func newKeywordMatcher(keywords []string) *keywordMatcher {
	m := &keywordMatcher{length: make([]int, len(keywords))}
	// Input classes: one per distinct (lowered) byte in the keywords; upper and lower case of
	// a letter share one.
	next := uint8(1)
	for _, kw := range keywords {
		for i := 0; i < len(kw); i++ {
			c := lowerASCII(kw[i])
			if m.class[c] == 0 {
				if next == 255 {
					panic("privacy: too many distinct keyword bytes")
				}
				m.class[c] = next
				if 'a' <= c && c <= 'z' {
					m.class[c-'a'+'A'] = next
				}
				next++
			}
		}
	}
	m.nclass = int(next)
	// Trie.
	type node struct {
		child map[uint8]int
		fail  int
		out   []int
	}
	nodes := []node{{child: map[uint8]int{}}}
	for id, kw := range keywords {
		m.length[id] = len(kw)
		m.maxLen = max(m.maxLen, len(kw))
		st := 0
		for i := 0; i < len(kw); i++ {
			c := m.class[kw[i]]
			nx, ok := nodes[st].child[c]
			if !ok {
				nodes = append(nodes, node{child: map[uint8]int{}})
				nx = len(nodes) - 1
				nodes[st].child[c] = nx
			}
			st = nx
		}
		nodes[st].out = append(nodes[st].out, id)
	}
	if len(nodes) > 65535 {
		panic("privacy: keyword automaton too large")
	}
	// Breadth-first: failure links and the dense transition table.
	m.delta = make([]uint16, len(nodes)*m.nclass)
	queue := make([]int, 0, len(nodes))
	for c := 1; c < m.nclass; c++ {
		if nx, ok := nodes[0].child[uint8(c)]; ok {
			m.delta[c] = uint16(nx)
			nodes[nx].fail = 0
			queue = append(queue, nx)
		}
	}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		f := nodes[st].fail
		nodes[st].out = append(nodes[st].out, nodes[f].out...)
		for c := 1; c < m.nclass; c++ {
			if nx, ok := nodes[st].child[uint8(c)]; ok {
				nodes[nx].fail = int(m.delta[f*m.nclass+c])
				m.delta[st*m.nclass+c] = uint16(nx)
				queue = append(queue, nx)
			} else {
				m.delta[st*m.nclass+c] = m.delta[f*m.nclass+c]
			}
		}
	}
	// Renumber states so that those with outputs come last (a state has outputs iff its
	// number is >= outStart), and store each transition premultiplied by nclass: the scan
	// loop is then one table load and one compare per byte.
	order := make([]int, 0, len(nodes))
	for i, n := range nodes {
		if len(n.out) == 0 {
			order = append(order, i)
		}
	}
	m.outStart = uint32(len(order) * m.nclass)
	for i, n := range nodes {
		if len(n.out) > 0 {
			order = append(order, i)
		}
	}
	newID := make([]int, len(nodes))
	for ni, old := range order {
		newID[old] = ni
	}
	m.next = make([]uint32, len(nodes)*m.nclass)
	m.out = make([][]int, len(nodes))
	for old, n := range nodes {
		ni := newID[old]
		m.out[ni] = n.out
		for c := 0; c < m.nclass; c++ {
			m.next[ni*m.nclass+c] = uint32(newID[m.delta[old*m.nclass+c]] * m.nclass)
		}
	}
	m.root = uint32(newID[0] * m.nclass)
	m.delta = nil
	return m
}

// kwHit is one keyword occurrence: the keyword's id and the offset just past its end.
type kwHit struct{ kw, end int32 }

// lanes is how many stretches of the text scan walks at once. A DFA walk is bound by the
// latency of its table loads (each state depends on the one before); walking four independent
// stretches in one loop lets the processor overlap them.
const lanes = 4

// scan calls hit for every occurrence of a keyword, with the keyword's id and the byte offset
// just past its end, in order of that end.
func (m *keywordMatcher) scan(text string, hit func(kw, end int)) {
	var buf [32]kwHit
	hits := m.collect(text, buf[:0])
	for _, h := range hits {
		hit(int(h.kw), int(h.end))
	}
}

func (m *keywordMatcher) collect(text string, hits []kwHit) []kwHit {
	n := len(text)
	if n < 1024 {
		return m.walk(text, 0, n, 0, hits)
	}
	// Lane k owns the hits ending in (bound[k], bound[k+1]]; it starts maxLen-1 bytes early so
	// that a keyword straddling the boundary is still seen, by the lane that owns its end.
	var bound [lanes + 1]int
	for k := 0; k <= lanes; k++ {
		bound[k] = n * k / lanes
	}
	overlap := m.maxLen - 1
	var st [lanes]uint32
	var pos, stop [lanes]int
	for k := 0; k < lanes; k++ {
		st[k] = m.root
		pos[k] = max(0, bound[k]-overlap)
		stop[k] = bound[k+1]
	}
	var laneHits [lanes][]kwHit
	laneHits[0] = hits
	next, class, outStart, nclass := m.next, &m.class, m.outStart, uint32(m.nclass)
	// All lanes are about as long; walk them together while all have bytes left.
	steps := stop[lanes-1] - pos[lanes-1]
	for k := 0; k < lanes-1; k++ {
		steps = min(steps, stop[k]-pos[k])
	}
	t0, t1, t2, t3 := text[pos[0]:pos[0]+steps], text[pos[1]:pos[1]+steps], text[pos[2]:pos[2]+steps], text[pos[3]:pos[3]+steps]
	s0, s1, s2, s3 := st[0], st[1], st[2], st[3]
	for i := 0; i < steps; i++ {
		s0 = next[s0+uint32(class[t0[i]])]
		s1 = next[s1+uint32(class[t1[i]])]
		s2 = next[s2+uint32(class[t2[i]])]
		s3 = next[s3+uint32(class[t3[i]])]
		if s0 >= outStart || s1 >= outStart || s2 >= outStart || s3 >= outStart {
			for k, s := range [lanes]uint32{s0, s1, s2, s3} {
				if s < outStart {
					continue
				}
				end := pos[k] + i + 1
				if end <= bound[k] && k > 0 {
					continue // the lane before owns it
				}
				for _, kw := range m.out[s/nclass] {
					laneHits[k] = append(laneHits[k], kwHit{int32(kw), int32(end)})
				}
			}
		}
	}
	st = [lanes]uint32{s0, s1, s2, s3}
	// Finish each lane alone.
	for k := 0; k < lanes; k++ {
		s := st[k]
		for i := pos[k] + steps; i < stop[k]; i++ {
			s = next[s+uint32(class[text[i]])]
			if s >= outStart && (k == 0 || i+1 > bound[k]) {
				for _, kw := range m.out[s/nclass] {
					laneHits[k] = append(laneHits[k], kwHit{int32(kw), int32(i + 1)})
				}
			}
		}
	}
	out := laneHits[0]
	for k := 1; k < lanes; k++ {
		out = append(out, laneHits[k]...)
	}
	return out
}

// walk scans text[from:to] from state root and appends its hits.
func (m *keywordMatcher) walk(text string, from, to int, _ int, hits []kwHit) []kwHit {
	st := m.root
	next, class, outStart, nclass := m.next, &m.class, m.outStart, uint32(m.nclass)
	for i := from; i < to; i++ {
		st = next[st+uint32(class[text[i]])]
		if st >= outStart {
			for _, kw := range m.out[st/nclass] {
				hits = append(hits, kwHit{int32(kw), int32(i + 1)})
			}
		}
	}
	return hits
}
