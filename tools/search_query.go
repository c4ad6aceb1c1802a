package tools

// This file is the query side of search: analysing a query into word groups with their alternatives, and scoring.

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// query is an analysed search query.
type query struct {
	groups []qgroup
	class  opClass
	// kits are the toolkits the query names.
	kits []int32
	// imp is the sum of the groups' importance.
	imp float32
	// params are the tools that take a parameter the query names (see SearchParams.ParamPhrase).
	params []int32
	// admin says the query asks for administrators' operations.
	admin bool
}

// qgroup is one word or phrase of the query: the doc scores the best of its alternatives.
type qgroup struct {
	alts []qalt
	imp  float32
	// obj says the words are the object of the query's verb ("delete a repository").
	obj bool
}

// qalt is one alternative: terms that must all occur.
type qalt struct {
	terms []int32
	w     float32
}

// questionWords start questions, which read: "which webhooks are configured", "who is watching".
var questionWords = setOf(`what which who whom whose how is are does do did was were can could has have any`)

// classRead is the class of questions: some read operation. classWrite is the class of requests that start with a
// verb of no class that names write operations ("cancel", "merge"): some write.
const (
	classRead  opClass = 100
	classWrite opClass = 101
)

// parse analyses a query against the index's vocabulary.
func (ix *Index) parse(text string) query {
	if len(text) > maxQueryBytes {
		cut := maxQueryBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	// "20% off" is a percentage, "$50" an amount: the words the parameters of such values are named by.
	text = percentAmount.Replace(text)
	var raw []string
	var quoted, named []bool
	var clauses []int // the first word of each clause after the first: "the rental is over, collect the money"
	forEachQuoted(text, func(part string, inQuotes bool) {
		for j, clause := range strings.FieldsFunc(part, func(r rune) bool { return !inQuotes && (r == ',' || r == ';' || r == ':') }) {
			if j > 0 || (len(raw) > 0 && !inQuotes && part != "" && strings.ContainsRune(",;:", rune(part[0]))) {
				clauses = append(clauses, len(raw))
			}
			first := true
			splitWordsCase(clause, true, func(w []byte, title bool) {
				s := string(w)
				if base, ok := ix.lex.irregular[s]; ok {
					s = base
				}
				raw = append(raw, s)
				quoted = append(quoted, inQuotes)
				// A capitalised word inside a sentence is a name ("move Acme to Premium"); the first word of a
				// clause is capitalised by grammar.
				named = append(named, title && !first && !inQuotes)
				first = false
			})
		}
	})
	stems := make([]string, len(raw))
	for i, w := range raw {
		stems[i] = Stem(w)
	}
	var q query
	used := make([]bool, len(raw))
	// Toolkits named by a word or by two or three words run together ("google calendar" → googlecalendar).
	for i := range raw {
		for n := 3; n >= 1; n-- {
			if i+n > len(raw) {
				continue
			}
			kits, ok := ix.appKeys[strings.Join(raw[i:i+n], "")]
			if !ok && n == 1 && named[i] {
				kits, ok = ix.namedAppKeys[raw[i]]
			}
			if ok {
				for _, k := range kits {
					if !slices.Contains(q.kits, k) {
						q.kits = append(q.kits, k)
					}
				}
				for j := i; j < i+n; j++ {
					used[j] = true
				}
				break
			}
		}
	}
	// The request is the last clause that starts with a verb; the clauses before it say why.
	main := used
	for _, c := range clauses {
		if lead := leadWord(raw[c:], used[c:]); lead >= 0 {
			if e := ix.lex.entries[stems[c+lead]]; (e != nil && e.class != classNone) || ix.writeVerb(raw, stems, c+lead) {
				main = slices.Clone(used)
				for j := range c {
					main[j] = true
				}
			}
		}
	}
	var at int
	q.class, at = ix.queryClass(raw, stems, main)
	if lead := leadWord(raw, main); q.class == classNone && lead >= 0 && ix.writeVerb(raw, stems, lead) {
		q.class, at = classWrite, lead
	}
	objFrom, objTo := objectSpan(raw, main, at)
	if (q.class == classGet || q.class == classRead) && objTo > objFrom && isPlural(raw[objTo-1]) {
		q.class = classList // "get the review threads", "which webhooks are configured"
	}
	q.params = ix.paramPhrases(raw, stems, used, quoted)
	q.admin = slices.ContainsFunc(raw, func(w string) bool { return strings.HasPrefix(w, "admin") })
	seen := map[string]bool{}
	// "#launch" names a chat channel, "@maria" a user.
	if hashtag(text, '#') {
		if g, ok := ix.group([]string{Stem("channel")}, ix.lex.entries[Stem("channel")]); ok {
			q.groups = append(q.groups, g)
			q.imp += g.imp
			seen[Stem("channel")] = true
		}
	}
	for i := 0; i < len(raw) && len(q.groups) < maxGroups; {
		if used[i] {
			i++
			continue
		}
		n, e := ix.lookupPhrase(stems, used, i)
		var literal []string
		if n > 1 {
			if e.literal {
				for _, j := range stems[i : i+n] {
					if !isNoise([]byte(j)) {
						literal = append(literal, j)
					}
				}
			}
		} else {
			n = 1
			if !isNoise([]byte(raw[i])) {
				literal = []string{stems[i]}
			} else if e == nil || e.literal {
				e = nil
			}
		}
		if n == 1 && len(literal) == 1 && i > 0 && stopVerbs[raw[i-1]] && strings.HasSuffix(raw[i], "ing") {
			// "stop following" also means "unfollow".
			e = &entry{alts: []alternative{{terms: []string{Stem("un" + strings.TrimSuffix(raw[i], "ing"))}, weight: weightCurated}}}
		}
		if n == 1 && len(literal) == 1 {
			// Agent nouns: "watching" also finds "watchers", "follow" "followers".
			base := strings.TrimSuffix(strings.TrimSuffix(raw[i], "ing"), "ed")
			if agent := Stem(base + "er"); agent != stems[i] && ix.termDF(agent) > 0 {
				e = withAlt(e, alternative{terms: []string{agent}, weight: weightCurated})
			}
		}
		if n == 1 && len(literal) == 1 && len(raw[i]) > 5 && strings.HasPrefix(raw[i], "re") && ix.termDF(stems[i]) < 3 {
			// "reopen" is opening again, "rerun" running again.
			if base := Stem(raw[i][2:]); ix.termDF(base) > 0 {
				e = withAlt(e, alternative{terms: []string{base}, weight: weightVerb})
			}
		}
		if n == 1 && len(literal) == 1 {
			e = ix.nearWords(stems[i], e)
		}
		key := strings.Join(stems[i:i+n], " ")
		i += n
		if seen[key] || (len(literal) == 0 && (e == nil || len(e.alts) == 0)) {
			continue
		}
		seen[key] = true
		if g, ok := ix.group(literal, e); ok {
			if slices.Contains(quoted[i-n:i], true) {
				// Quoted words are names and values ("rename 'In Progress' to 'Doing'"), not what the tool does.
				for j := range g.alts {
					g.alts[j].w *= ix.params.Quoted
				}
				g.imp *= ix.params.Quoted
			} else if n == 1 && (named[i-1] || participle(raw, i-1)) {
				for j := range g.alts {
					g.alts[j].w *= ix.params.ProperNoun
				}
				g.imp *= ix.params.ProperNoun
			}
			if e != nil && e.class != classNone || n == 1 && stopVerbs[raw[i-1]] && i < len(raw) && strings.HasSuffix(raw[i], "ing") {
				// The class factor carries most of what a verb says ("stop" of "stop following" too); its words
				// only break ties.
				for j := range g.alts {
					g.alts[j].w *= ix.params.VerbWeight
				}
				g.imp *= ix.params.VerbWeight
			}
			g.obj = i-n >= objFrom && i-n < objTo
			q.groups = append(q.groups, g)
			q.imp += g.imp
		}
	}
	return q
}

// nearWords adds to e (which may be nil) the words near stem in meaning, when the catalog lacks or rarely uses it
// (see SearchParams.Embedding). Verbs of a class neither get nor are near words: their class says what they mean,
// and word vectors put opposites ("start", "stop") and any verbs of doing ("bring", "make") close together.
func (ix *Index) nearWords(stem string, e *entry) *entry {
	p := ix.params
	if p.Embedding <= 0 || (e != nil && e.class != classNone) || (p.EmbeddingMaxDF >= 0 && int(ix.termDF(stem)) > p.EmbeddingMaxDF) {
		return e
	}
	for _, nw := range ix.lex.near[stem] {
		if c := ix.lex.entries[nw.term]; c != nil && c.class != classNone {
			continue // "bring" is near "create" and "take", "stop" near "start": a class is not a near meaning
		}
		if e != nil && slices.ContainsFunc(e.alts, func(a alternative) bool { return len(a.terms) == 1 && a.terms[0] == nw.term }) {
			continue // the lexicon's synonym weighs more
		}
		if nw.sim >= p.EmbeddingMinSim && ix.termDF(nw.term) > 0 {
			e = withAlt(e, alternative{terms: []string{nw.term}, weight: p.Embedding * nw.sim})
		}
	}
	return e
}

// paramPhrases returns the tools that take a parameter of several words the query says in order, with at most one
// other word between them ("cancel the subscription at period end" names cancel_at_period_end).
func (ix *Index) paramPhrases(raw, stems []string, used, quoted []bool) []int32 {
	if ix.params.ParamPhrase == 1 || len(ix.fields) == 0 {
		return nil
	}
	var seq []string
	for i, w := range raw {
		if !used[i] && !quoted[i] && !isNoise([]byte(w)) {
			seq = append(seq, stems[i])
		}
	}
	var out []int32
	for i, first := range seq {
		for _, pp := range ix.fields[first] {
			j, gaps := i+1, 0
			for _, term := range pp.terms[1:] {
				for j < len(seq) && seq[j] != term && gaps < 1 {
					j++
					gaps++
				}
				if j >= len(seq) || seq[j] != term {
					j = -1
					break
				}
				j++
			}
			if j > 0 {
				out = append(out, pp.docs...)
			}
		}
	}
	return out
}

var percentAmount = strings.NewReplacer("%", " percent ", "$", " amount ", "€", " amount ", "£", " amount ")

// objectSpan returns the words [from, to) of the object of the verb at raw[at] (at -1: of the request's first
// words): the noun phrase after it, up to a preposition or another verb. "Details of the teams" is about the teams.
func objectSpan(raw []string, used []bool, at int) (from, to int) {
	from, to = -1, -1
	for i := at + 1; i < len(raw); i++ {
		w := raw[i]
		switch {
		case used[i]:
			if from >= 0 {
				return from, to
			}
		case attributeWords[w] && from < 0:
			// "details of …", "the settings for …": the object follows.
		case prepositions[w] || questionWords[w] || w == "be": // "are", "was" arrive as "be"
			if from >= 0 {
				return from, to
			}
			if prepositions[w] && at >= 0 && questionWords[raw[at]] {
				// "who is in this channel", "what's on the board": the noun names a place, and what is asked
				// for is unsaid.
				return 0, 0
			}
		case isNoise([]byte(w)):
		default:
			if from < 0 {
				from = i
			}
			to = i + 1
		}
	}
	if from < 0 {
		return 0, 0
	}
	return from, to
}

// prepositions (and the conjunctions that start a clause) end the object of a verb: "get the reviews on a pull
// request".
var prepositions = setOf(`of on in for from to with by at into onto about under after before between via over across
within without through during that which who where when so because`)

// forEachQuoted calls fn with the parts of text in order, saying which were quoted: '…' or "…" (or curly quotes)
// opened after a space or the start and closed before a space, punctuation or the end. Apostrophes inside words
// ("what's", "customer's") do not open quotes.
func forEachQuoted(text string, fn func(part string, quoted bool)) {
	start := 0
	for i := 0; i < len(text); {
		open, size := quoteAt(text, i)
		if open == 0 || (i > 0 && !isBoundary(text[i-1])) {
			i++
			continue
		}
		end := -1
		for j := i + size; j < len(text); {
			c, sz := quoteAt(text, j)
			if c == closing(open) && (j+sz == len(text) || isBoundary(text[j+sz])) {
				end = j
				break
			}
			j += max(sz, 1)
		}
		if end < 0 {
			break
		}
		if start < i {
			fn(text[start:i], false)
		}
		fn(text[i+size:end], true)
		_, sz := quoteAt(text, end)
		start = end + sz
		i = start
	}
	if start < len(text) {
		fn(text[start:], false)
	}
}

// quoteAt returns the quote character at text[i] ('\”, '"', or the curly ones as '‘', '“') and its size.
func quoteAt(text string, i int) (rune, int) {
	switch {
	case text[i] == '\'' || text[i] == '"':
		return rune(text[i]), 1
	case strings.HasPrefix(text[i:], "‘"), strings.HasPrefix(text[i:], "’"):
		return '‘', len("‘")
	case strings.HasPrefix(text[i:], "“"), strings.HasPrefix(text[i:], "”"):
		return '“', len("“")
	}
	return 0, 1
}

func closing(open rune) rune { return open }

func isBoundary(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', '.', ';', ':', '!', '?', ')', '(':
		return true
	}
	return false
}

// withAlt returns a copy of e (which may be nil) with one more alternative.
func withAlt(e *entry, a alternative) *entry {
	out := &entry{literal: true}
	if e != nil {
		*out = *e
		out.alts = slices.Clone(e.alts)
	}
	out.alts = append(out.alts, a)
	return out
}

// hashtag reports whether text has mark followed by a letter at the start of a word ("#launch").
func hashtag(text string, mark byte) bool {
	for i := 0; i+1 < len(text); i++ {
		if text[i] == mark && (i == 0 || text[i-1] == ' ') && isASCIILetter(text[i+1]) {
			return true
		}
	}
	return false
}

// lookupPhrase returns the longest lexicon phrase at stems[i:], or (1, the single word's entry or nil).
func (ix *Index) lookupPhrase(stems []string, used []bool, i int) (int, *entry) {
	for n := min(ix.lex.maxPhrase, len(stems)-i); n >= 2; n-- {
		if slices.Contains(used[i:i+n], true) {
			continue
		}
		if e := ix.lex.entries[strings.Join(stems[i:i+n], " ")]; e != nil && (len(e.alts) > 0 || e.class != classNone) {
			return n, e
		}
	}
	return 1, ix.lex.entries[stems[i]]
}

// queryClass returns the operation class the query asks for and the index of the word that says it (-1 if none):
// questions read; otherwise the first verb decides. A read whose object is plural ("get the reviews", "which
// webhooks") lists. "Stop following" deletes.
func (ix *Index) queryClass(raw, stems []string, used []bool) (opClass, int) {
	class, at := classNone, -1
	for i, w := range raw {
		if used[i] {
			continue
		}
		if questionWords[w] {
			class, at = classRead, i
			break
		}
		if !leadingWords[w] {
			break
		}
	}
	for i := 0; i < len(stems) && class == classNone; i++ {
		if used[i] {
			continue
		}
		if stopVerbs[raw[i]] && i+1 < len(raw) && strings.HasSuffix(raw[i+1], "ing") {
			return classDelete, i + 1
		}
		if (raw[i] == "leave" || raw[i] == "drop") && i+1 < len(raw) && (raw[i+1] == "a" || raw[i+1] == "an") {
			return classCreate, i // "leave a comment", "drop a note"
		}
		if subordinators[raw[i]] && i > 0 {
			break // "ping my server whenever anything changes": what follows is a condition, not the request
		}
		n, e := ix.lookupPhrase(stems, used, i)
		if e != nil && e.class != classNone {
			class, at = e.class, i+n-1
		}
	}
	if class == classGet || class == classRead {
		for _, w := range raw[at+1:] {
			if isNoise([]byte(w)) || attributeWords[w] || questionWords[w] {
				continue
			}
			if isPlural(w) || w == "list" || w == "all" || w == "every" || w == "each" {
				return classList, at
			}
			break
		}
	}
	return class, at
}

// writeVerb reports whether the request's first word raw[lead] asks for a write: a verb the catalog's write
// operations are named by ("cancel the subscription", "merge PR 42"), or a singular noun of the catalog used as a
// verb before its object ("label the bug", "star a gist", "comment on …" is not: no determiner follows).
func (ix *Index) writeVerb(raw, stems []string, lead int) bool {
	if ix.actionVerbs[stems[lead]] {
		return true
	}
	return lead+1 < len(raw) && determiners[raw[lead+1]] && !isPlural(raw[lead]) && ix.termDF(stems[lead]) > 0
}

// determiners start the object of a verb: "label the bug".
var determiners = setOf(`the a an this that these those my our your his her their its`)

// leadWord returns the index of the word an imperative request starts with ("attach" in "in Asana, attach the
// PDF"), or -1 for a question.
func leadWord(raw []string, used []bool) int {
	for i, w := range raw {
		switch {
		case used[i] || leadingWords[w]:
			continue
		case questionWords[w] || isNoise([]byte(w)):
			return -1
		}
		return i
	}
	return -1
}

// leadingWords may precede the verb of a request: "in Asana, …", "please …".
var leadingWords = setOf(`in on for please the so then now also and just`)

// subordinators start a clause that says when or why, or what not to do, rather than what to do.
var subordinators = setOf(`when whenever if unless until once because since while whereas although without`)

// stopVerbs followed by a gerund end something: "stop following", "quit watching".
var stopVerbs = setOf(`stop quit cease`)

// attributeWords are plural nouns that name a property, not the objects a read returns: "get details of …".
var attributeWords = setOf(`details information info settings contents stats statistics data many much`)

// isPlural reports whether a lower-case word is a regular English plural ("reviews", "webhooks").
func isPlural(w string) bool {
	if len(w) < 4 || w[len(w)-1] != 's' || strings.HasSuffix(w, "ss") || strings.HasSuffix(w, "us") || strings.HasSuffix(w, "is") {
		return false
	}
	return Stem(w) == Stem(w[:len(w)-1])
}

// group resolves a word's literal terms and its lexicon alternatives against the vocabulary.
func (ix *Index) group(literal []string, e *entry) (qgroup, bool) {
	var g qgroup
	add := func(terms []string, w float32, perTerm bool) {
		if w <= 0 || len(terms) == 0 {
			return
		}
		if perTerm {
			// A synonym of several words ("card" → "payment method") stands for one word of the query.
			w /= float32(len(terms))
		}
		var a qalt
		for _, t := range terms {
			id, ok := ix.vocab[t]
			if !ok {
				return // an alternative whose words the catalog lacks never matches
			}
			if !slices.Contains(a.terms, id) {
				a.terms = append(a.terms, id)
			}
		}
		a.w = w
		var best float32
		for _, id := range a.terms {
			best = max(best, ix.idf[id])
		}
		g.imp = max(g.imp, w*best)
		g.alts = append(g.alts, a)
	}
	add(literal, 1, false)
	if e != nil {
		// A word the catalog knows well needs its synonyms less.
		known := len(literal) == 1 && ix.termDF(literal[0]) >= 5
		for _, a := range e.alts {
			w := a.weight * ix.params.Expansion
			if len(literal) == 0 && !e.literal && e.class == classNone {
				// An idiom ("health check", "callback url") means only what it stands for: that carries the
				// weight its words would.
				w = max(w, ix.params.Idiom)
			}
			if known && a.weight == weightWordNet {
				w *= 0.5
			}
			add(a.terms, w, true)
		}
	}
	return g, len(g.alts) > 0
}

func (ix *Index) termDF(stem string) int32 {
	if id, ok := ix.vocab[stem]; ok {
		return ix.df[id]
	}
	return 0
}

// scratch holds the per-query accumulators; Index keeps them in a pool.
type scratch struct {
	total, grp, alt []float32
	altN            []uint8
	// altName, grpName and nameHits track matches in the tools' names: per alternative, group and query.
	altName, grpName []bool
	nameHits         []uint8
	// altRes, grpRes and resHit track matches in the tools' resource field.
	altRes, grpRes, resHit []bool
	// param marks the tools that take a parameter the query names.
	param []bool
	mask  []uint64
	// weak marks the groups a tool matched only through its About field (see SearchParams.AboutCoverage);
	// altWeak and grpStrong track that per alternative and group.
	weak               []uint64
	altWeak, grpStrong []bool
	touched, grpT      []int32
	altT               []int32
	// kitHits counts, per toolkit, the tools the current group matched; kitAff accumulates the affinity.
	kitHits []int32
	kitAff  []float32
}

func newScratch(n int) *scratch {
	return &scratch{total: make([]float32, n), grp: make([]float32, n), alt: make([]float32, n), altN: make([]uint8, n), mask: make([]uint64, n),
		altName: make([]bool, n), grpName: make([]bool, n), nameHits: make([]uint8, n),
		altRes: make([]bool, n), grpRes: make([]bool, n), resHit: make([]bool, n), param: make([]bool, n),
		weak: make([]uint64, n), altWeak: make([]bool, n), grpStrong: make([]bool, n)}
}

// Search ranks the tools allow accepts (nil accepts all) against query and returns at most limit hits, best first;
// equal scores are ordered by slug. An empty or meaningless query returns no hits.
func (ix *Index) Search(text string, allow func(*Tool) bool, limit int) []Hit {
	return ix.SearchPreferring(text, allow, nil, limit)
}

// SearchPreferring is Search with the toolkits in prefer (the ones the user has connected) preferred when the
// query names no app: their tools' scores are multiplied by SearchParams.Preferred. An empty prefer prefers none.
func (ix *Index) SearchPreferring(text string, allow func(*Tool) bool, prefer map[string]bool, limit int) []Hit {
	if limit <= 0 || len(ix.tools) == 0 {
		return nil
	}
	q := ix.parse(text)
	if len(q.groups) == 0 {
		return nil
	}
	sc := ix.pool.Get().(*scratch)
	defer ix.pool.Put(sc)
	if len(sc.kitHits) != len(ix.kits) {
		sc.kitHits, sc.kitAff = make([]int32, len(ix.kits)), make([]float32, len(ix.kits))
	}
	clear(sc.kitAff)
	for gi, g := range q.groups {
		for _, a := range g.alts {
			for _, term := range a.terms {
				idf := ix.idf[term]
				for _, p := range ix.postings[term] {
					if sc.altN[p.doc] == 0 {
						sc.altT = append(sc.altT, p.doc)
					}
					sc.alt[p.doc] += idf * p.w
					sc.altN[p.doc]++
					if p.name {
						sc.altName[p.doc] = true
					}
					if p.res {
						sc.altRes[p.doc] = true
					}
					if p.about {
						sc.altWeak[p.doc] = true
					}
				}
			}
			for _, d := range sc.altT {
				if int(sc.altN[d]) == len(a.terms) {
					v := sc.alt[d] * a.w
					if sc.grp[d] == 0 {
						sc.grpT = append(sc.grpT, d)
					}
					sc.grp[d] = max(sc.grp[d], v)
					if sc.altName[d] {
						sc.grpName[d] = true
					}
					if sc.altRes[d] {
						sc.grpRes[d] = true
					}
					if !sc.altWeak[d] {
						sc.grpStrong[d] = true
					}
				}
				sc.alt[d], sc.altN[d], sc.altName[d], sc.altRes[d], sc.altWeak[d] = 0, 0, false, false, false
			}
			sc.altT = sc.altT[:0]
		}
		for _, d := range sc.grpT {
			if sc.mask[d] == 0 && sc.weak[d] == 0 && sc.total[d] == 0 {
				sc.touched = append(sc.touched, d)
			}
			sc.total[d] += sc.grp[d]
			sc.grp[d] = 0
			if !sc.grpStrong[d] && ix.params.AboutCoverage < 1 {
				sc.weak[d] |= 1 << uint(gi%64)
				sc.grpName[d], sc.grpRes[d] = false, false
				continue
			}
			sc.grpStrong[d] = false
			sc.mask[d] |= 1 << uint(gi%64)
			if sc.grpName[d] && g.imp > 0 {
				sc.nameHits[d]++
			}
			sc.grpName[d] = false
			if sc.grpRes[d] && g.obj && g.imp > 0 {
				sc.resHit[d] = true
			}
			sc.grpRes[d] = false
			sc.kitHits[ix.kit[d]]++
		}
		sc.grpT = sc.grpT[:0]
		for k, hits := range sc.kitHits {
			if hits > 0 {
				sc.kitAff[k] += g.imp * float32(math.Sqrt(float64(hits)/float64(ix.kitSize[k])))
				sc.kitHits[k] = 0
			}
		}
	}
	for _, d := range q.params {
		sc.param[d] = true
	}
	hits := ix.rank(q, sc, allow, prefer, limit)
	for _, d := range q.params {
		sc.param[d] = false
	}
	for _, d := range sc.touched {
		sc.total[d], sc.mask[d], sc.weak[d], sc.nameHits[d], sc.resHit[d] = 0, 0, 0, 0, false
	}
	sc.touched = sc.touched[:0]
	return hits
}

// rank applies coverage, class, app, per-toolkit and prior factors to the accumulated scores and keeps the best.
func (ix *Index) rank(q query, sc *scratch, allow func(*Tool) bool, prefer map[string]bool, limit int) []Hit {
	p := ix.params
	named := make(map[int32]bool, len(q.kits))
	for _, k := range q.kits {
		named[k] = true
	}
	var preferred []bool // by toolkit
	if len(prefer) > 0 && len(named) == 0 && p.Preferred != 1 {
		preferred = make([]bool, len(ix.kits))
		for k, slug := range ix.kits {
			preferred[k] = prefer[slug]
		}
	}
	scores := make([]float32, 0, len(sc.touched))
	docs := make([]int32, 0, len(sc.touched))
	var bestAff float32
	for _, a := range sc.kitAff {
		bestAff = max(bestAff, a)
	}
	var kitBest map[int32]float32
	if p.KitNorm > 0 {
		kitBest = map[int32]float32{}
	}
	for _, d := range sc.touched {
		s := sc.total[d]
		if p.Coverage > 0 && q.imp > 0 {
			var covered float32
			for gi, g := range q.groups {
				if sc.mask[d]&(1<<uint(gi%64)) != 0 {
					covered += g.imp
				} else if sc.weak[d]&(1<<uint(gi%64)) != 0 {
					covered += g.imp * p.AboutCoverage
				}
			}
			s *= float32(math.Pow(float64(min(covered/q.imp, 1)), float64(p.Coverage)))
		}
		s *= classFactor(q.class, ix.class[d], p) * ix.prior[d]
		if sc.resHit[d] {
			s *= p.ResourceMatch
		}
		if sc.param[d] {
			s *= p.ParamPhrase
		}
		if ix.admin[d] && !q.admin {
			s *= 1 - p.AdminPenalty
		}
		if p.NamePrecision > 0 && ix.nameLen[d] > 0 {
			hits := min(sc.nameHits[d], ix.nameLen[d])
			s *= float32(math.Pow(float64(hits+1)/float64(ix.nameLen[d]+1), float64(p.NamePrecision)))
		}
		if len(named) > 0 {
			if !named[ix.kit[d]] {
				s *= p.OtherApp
			}
		} else if bestAff > 0 {
			s *= 1 - p.Affinity*(1-sc.kitAff[ix.kit[d]]/bestAff)
		}
		if preferred != nil && preferred[ix.kit[d]] {
			s *= p.Preferred
		}
		if s <= 0 {
			continue
		}
		if kitBest != nil && s > kitBest[ix.kit[d]] {
			kitBest[ix.kit[d]] = s
		}
		// A tool's score never depends on which tools allow accepts: the filtered ranking is the unfiltered one
		// without the tools allow rejects.
		if allow != nil && !allow(ix.tools[d]) {
			continue
		}
		scores = append(scores, s)
		docs = append(docs, d)
	}
	if kitBest != nil {
		var top float32
		for _, b := range kitBest {
			top = max(top, b)
		}
		for i, d := range docs {
			// Each toolkit's best is lifted toward the overall best; the order inside a toolkit is unchanged.
			scores[i] *= float32(math.Pow(float64(top/kitBest[ix.kit[d]]), float64(p.KitNorm)))
		}
	}
	return ix.top(docs, scores, limit)
}

func classFactor(q, t opClass, p SearchParams) float32 {
	if q == classNone || t == classNone {
		return 1
	}
	if q == t {
		return p.ClassMatch
	}
	qf := q.family()
	switch q {
	case classRead:
		qf = 1
	case classWrite:
		if t.family() != 1 {
			return 1
		}
	}
	if qf == t.family() {
		return 1
	}
	return p.ClassMismatch
}

// top returns the limit best hits, ordered by score and then slug.
func (ix *Index) top(docs []int32, scores []float32, limit int) []Hit {
	better := func(a, b int) bool {
		if scores[a] != scores[b] {
			return scores[a] > scores[b]
		}
		return ix.tools[docs[a]].Slug < ix.tools[docs[b]].Slug
	}
	// A bounded min-heap of indexes keeps the best limit candidates.
	heap := make([]int, 0, limit+1)
	worse := func(i, j int) bool { return better(heap[j], heap[i]) }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(heap) {
				return
			}
			m := l
			if r := l + 1; r < len(heap) && worse(r, l) {
				m = r
			}
			if !worse(m, i) {
				return
			}
			heap[i], heap[m] = heap[m], heap[i]
			i = m
		}
	}
	up := func(i int) {
		for i > 0 {
			parent := (i - 1) / 2
			if !worse(i, parent) {
				return
			}
			heap[i], heap[parent] = heap[parent], heap[i]
			i = parent
		}
	}
	for i := range docs {
		if len(heap) < limit {
			heap = append(heap, i)
			up(len(heap) - 1)
			continue
		}
		if better(i, heap[0]) {
			heap[0] = i
			down(0)
		}
	}
	slices.SortFunc(heap, func(a, b int) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	out := make([]Hit, len(heap))
	for i, h := range heap {
		out[i] = Hit{Tool: ix.tools[docs[h]], Score: float64(scores[h])}
	}
	return out
}

// Explain describes how the tool with slug scores for text: the query's analysis and each factor. It is a
// diagnostic for `toolmux tools search --explain` and the bench command, not a stable format.
func (ix *Index) Explain(text, slug string) string {
	q := ix.parse(text)
	var b strings.Builder
	terms := make([]string, len(ix.idf))
	for t, id := range ix.vocab {
		terms[id] = t
	}
	var kits []string
	for _, k := range q.kits {
		kits = append(kits, ix.kits[k])
	}
	fmt.Fprintf(&b, "query class %d, apps %v\n", q.class, kits)
	doc := -1
	for i, t := range ix.tools {
		if t.Slug == slug {
			doc = i
		}
	}
	weight := func(term int32) float32 {
		for _, p := range ix.postings[term] {
			if int(p.doc) == doc {
				return p.w
			}
		}
		return 0
	}
	for gi, g := range q.groups {
		obj := ""
		if g.obj {
			obj = ", object"
		}
		fmt.Fprintf(&b, "  group %d (imp %.2f%s):", gi, g.imp, obj)
		for _, a := range g.alts {
			var parts []string
			for _, t := range a.terms {
				parts = append(parts, fmt.Sprintf("%s[idf %.2f tf %.2f]", terms[t], ix.idf[t], weight(t)))
			}
			fmt.Fprintf(&b, " {%s ×%.2f}", strings.Join(parts, " "), a.w)
		}
		b.WriteString("\n")
	}
	if doc >= 0 {
		fmt.Fprintf(&b, "tool class %d, prior %.2f, class factor %.2f, name terms %d, admin %v\n", ix.class[doc], ix.prior[doc], classFactor(q.class, ix.class[doc], ix.params), ix.nameLen[doc], ix.admin[doc])
		// The tool's score as Search computes it: allow does not change a tool's score.
		if hits := ix.Search(text, func(t *Tool) bool { return t == ix.tools[doc] }, 1); len(hits) == 1 {
			fmt.Fprintf(&b, "score %.3f\n", hits[0].Score)
		}
	}
	return b.String()
}

// participle reports whether raw[i] is a past participle used as an adjective after a determiner ("remove the
// expired card", "attach the signed contract") or as the state a question asks about ("which webhooks are
// configured"): it says which of the user's things is meant, not what the operation does.
func participle(raw []string, i int) bool {
	w := raw[i]
	if i == 0 || len(w) <= 4 || !strings.HasSuffix(w, "ed") {
		return false
	}
	if raw[i-1] == "be" && questionWords[raw[0]] {
		return true // "which webhooks are configured": the state of what is asked for
	}
	return i+1 < len(raw) && determiners[raw[i-1]] && !isNoise([]byte(raw[i+1])) && !prepositions[raw[i+1]]
}
