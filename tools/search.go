package tools

// This file is the search index: BM25F over the fields of each tool with precomputed postings, and the query side
// (app detection, verb classes, synonyms, coverage, per-toolkit normalisation). DESIGN §4 "Search" says why.

import (
	"encoding/json"
	"hash/fnv"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// The fields of a tool, in the order of fieldWeight.
const (
	fieldAction    = iota // the operation's words: the slug without the toolkit prefix, or the operationId
	fieldName             // the summary
	fieldResource         // the last static segment of the HTTP path
	fieldPath             // the other static path segments
	fieldTags             // the source's tags
	fieldDesc             // the description, without boilerplate sentences
	fieldParams           // argument names
	fieldParamDesc        // what the arguments say of themselves: their descriptions and enum values
	fieldAbout            // what the source says of the things the tool works with (Tool.About)
	numFields
)

// SearchParams are the tunable constants of ranking. DefaultSearchParams is what NewIndex uses; the bench command
// varies them.
type SearchParams struct {
	// FieldWeight and FieldB are BM25F's weight and length normalisation per field.
	FieldWeight [numFields]float32
	FieldB      [numFields]float32
	K1          float32
	// Coverage is the exponent of the share of the query's words a tool matches (0 turns it off).
	Coverage float32
	// ClassMatch multiplies tools whose operation class (create, list, …) is the query's; ClassMismatch those of
	// another family (a read tool for a delete query).
	ClassMatch, ClassMismatch float32
	// OtherApp multiplies tools of toolkits the query does not name when it names some.
	OtherApp float32
	// Affinity is how strongly the query's vocabulary picks a toolkit when the query names none: tools of a
	// toolkit whose tools use the query's words less often than the best toolkit's are scaled down by up to this
	// share (0 turns it off). It keeps a 1,200-tool toolkit's stray matches from burying a small one.
	Affinity float32
	// Preferred multiplies the tools of the toolkits the searcher prefers (those the user has connected) when the
	// query names no app: of two near matches, the one the user can call now ranks first (1 turns it off).
	Preferred float32
	// KitNorm divides each tool's score by its toolkit's best score raised to this power, so a small toolkit's
	// best match is not buried under a big toolkit's many partial matches (0 turns it off).
	KitNorm float32
	// ParamPenalty lowers tools per path parameter, DeprecatedPenalty deprecated ones: ties go to the simple,
	// canonical operation.
	ParamPenalty, DeprecatedPenalty float32
	// AdminPenalty lowers administrators' variants of operations ("admin.conversations.invite",
	// "/admin/users") unless the query asks for admin.
	AdminPenalty float32
	// NamePrecision is the exponent of the share of a tool's name words the query matches: of two tools that match
	// the query alike, the one whose name says no more than the query asks ("list releases" over "get immutable
	// releases settings repositories") ranks first (0 turns it off).
	NamePrecision float32
	// Quoted scales words in quotes: names and values of the user's things.
	Quoted float32
	// ProperNoun scales words capitalised inside a sentence ("upgrade Acme to Premium"): names of the user's things.
	ProperNoun float32
	// ResourceMatch multiplies tools whose resource (the last static segment of the path: "reviews" in
	// /pulls/{n}/reviews) the object of the query's verb names ("get the reviews on a PR"): the object is what the
	// operation acts on, not a parent or a word of its description (1 turns it off).
	ResourceMatch float32
	// ParamPhrase multiplies tools that take a parameter whose several words the query says in order ("cancel
	// the subscription at period end" → cancel_at_period_end, "change the start time" → start_time).
	ParamPhrase float32
	// Idiom is the least weight of what an idiom of the lexicon stands for ("health check" → status update),
	// whose own words are not searched.
	Idiom float32
	// VerbWeight scales the words of verbs that have a class ("delete", "list"): the class factor says most of it.
	VerbWeight float32
	// Expansion scales every synonym alternative (0 turns synonyms off).
	Expansion float32
	// Embedding scales the near words of the embedding table (embedding.go): a query word gets each near word at
	// this weight times their similarity (0 turns them off). EmbeddingMinSim is the least similarity used;
	// EmbeddingMaxDF the most tools a query word may occur in and still get near words (-1: any number).
	Embedding, EmbeddingMinSim float32
	EmbeddingMaxDF             int
	// DescOnly scales the IDF of terms no tool has outside its description and parameters: words of the user's
	// instance ("design review", "Maria") rather than of any operation.
	DescOnly float32
	// MaxDescTerms bounds the description terms indexed per tool.
	MaxDescTerms int
	// MaxParamDescTerms bounds the terms of argument descriptions and enum values indexed per tool, so a tool of
	// a hundred arguments does not match every query.
	MaxParamDescTerms int
	// BoilerplateMin is the number of tools a description sentence must occur in to be dropped as boilerplate.
	BoilerplateMin int
	// MaxAboutTerms bounds the terms of Tool.About indexed per tool; the first sentence of each text comes first.
	MaxAboutTerms int
	// AboutBoilerplate drops a sentence of Tool.About as boilerplate when the tools that have it act on at least
	// this many different resources (their resource head nouns): "An empty object.", "A generic resource.", and
	// the descriptions of tags as broad as "Interact with GitHub Repos.". What describes one kind of thing is
	// shared by the operations on it, not by all kinds (0 turns it off).
	AboutBoilerplate int
	// AboutCoverage is the share of a query word's weight that a match in a tool's About field alone counts for
	// in the coverage factor; such a match does not count toward the query's toolkit affinity either (1 counts it
	// like a match in any other field).
	AboutCoverage float32
}

// DefaultSearchParams are the ranking constants NewIndex uses.
var DefaultSearchParams = SearchParams{
	FieldWeight:       [numFields]float32{3, 2.5, 1.5, 0.8, 1, 1, 0.3, 0.15, 0.15},
	FieldB:            [numFields]float32{0.3, 0.5, 0.2, 0.3, 0.3, 0.75, 0.75, 0.75, 0.75},
	K1:                1.2,
	Coverage:          0.5,
	ClassMatch:        1.35,
	ClassMismatch:     0.6,
	OtherApp:          0.1,
	KitNorm:           0,
	Affinity:          0.3,
	Preferred:         1.2,
	ParamPenalty:      0.02,
	DeprecatedPenalty: 0.15,
	AdminPenalty:      0.15,
	Expansion:         1,
	VerbWeight:        0.5,
	Quoted:            0.2,
	ProperNoun:        0.35,
	ParamPhrase:       1.5,
	ResourceMatch:     1.25,
	Idiom:             1,
	NamePrecision:     0.3,
	DescOnly:          0.35,
	Embedding:         0.3,
	EmbeddingMinSim:   0.5,
	EmbeddingMaxDF:    5,
	MaxDescTerms:      160,
	MaxParamDescTerms: 30,
	BoilerplateMin:    4,
	MaxAboutTerms:     40,
	AboutBoilerplate:  8,
	AboutCoverage:     0.3,
}

// Limits on query analysis: text past maxQueryBytes is ignored, and so are words past maxGroups.
const (
	maxQueryBytes = 4096
	maxGroups     = 48
)

// Index is a search index over a catalog's tools. It is immutable after NewIndex and safe for concurrent searches.
type Index struct {
	tools    []*Tool
	params   SearchParams
	vocab    map[string]int32
	idf      []float32
	df       []int32
	postings [][]posting
	class    []opClass
	kit      []int32
	prior    []float32
	nameLen  []uint8 // distinct terms of each tool's action and name fields
	admin    []bool  // the tool is an administrators' variant (see SearchParams.AdminPenalty)
	kits     []string
	kitSize  []int32
	appKeys  map[string][]int32
	// namedAppKeys are slug parts that other toolkits use as words ("teams" of microsoft_teams): they name their
	// toolkits only when written as a name, capitalised inside a sentence ("post it in Teams").
	namedAppKeys map[string][]int32
	// actionVerbs are the stems of the verbs the catalog's write operations are named by (see actionVerb).
	actionVerbs map[string]bool
	// fields are the multi-word names of the tools' body and query parameters, by their first stem: a query that
	// names one ("cancel at period end", "start time") asks for the operations that take it.
	fields map[string][]paramPhrase
	lex    *lexicon
	pool   sync.Pool
}

// paramPhrase is a parameter name of several words (stems) and the tools that take it.
type paramPhrase struct {
	terms []string
	docs  []int32
}

type posting struct {
	doc int32
	w   float32 // the BM25F saturated term frequency; the query multiplies it by the term's IDF
	// name says the term is in the tool's action or name field, res that it is in its resource field (the last
	// static path segment: the thing the operation acts on).
	name, res bool
	// about says the tool has the term in its About field only.
	about bool
}

// Hit is one search result.
type Hit struct {
	Tool  *Tool
	Score float64
}

// NewIndex builds the index with DefaultSearchParams.
func NewIndex(tools []*Tool) *Index { return NewIndexWith(tools, DefaultSearchParams) }

// NewIndexWith builds the index with the given ranking constants.
func NewIndexWith(tools []*Tool, p SearchParams) *Index {
	ix := &Index{tools: tools, params: p, vocab: map[string]int32{}, lex: defaultLexicon(), appKeys: map[string][]int32{}, actionVerbs: map[string]bool{}}
	n := len(tools)
	ix.class = make([]opClass, n)
	ix.kit = make([]int32, n)
	ix.prior = make([]float32, n)
	ix.nameLen = make([]uint8, n)
	ix.admin = make([]bool, n)
	ix.indexToolkits()

	// Each tool's text is analysed on its own, so the tools are split among the CPUs; every worker keeps its own
	// stem cache, schema scanner and toolkit word sets, merged after. The result does not depend on the split.
	workers := buildWorkers(n)
	args := make([]argDoc, n)
	parallelChunks(n, workers, func(_, lo, hi int) {
		var sc schemaScanner
		for i := lo; i < hi; i++ {
			// About ten bytes of text make a term: read what MaxParamDescTerms keeps, with room for boilerplate.
			// The schema is read once here for the fields, the boilerplate and the parameter phrases.
			args[i] = readArgDoc(&sc, tools[i], 12*p.MaxParamDescTerms)
		}
	})
	boiler, sents := boilerplate(tools, p.BoilerplateMin, func(i int) []string { return args[i].texts })
	fields := make([][numFields][]string, n)
	heads := make([]string, n) // the stem of each tool's resource head noun (see buildPostings)
	chunkWords := make([][]map[string]bool, workers)
	parallelChunks(n, workers, func(w, lo, hi int) {
		st := stemmer{}
		kw := make([]map[string]bool, len(ix.kits))
		for i := range kw {
			kw[i] = map[string]bool{}
		}
		chunkWords[w] = kw
		for i := lo; i < hi; i++ {
			ix.analyzeTool(i, tools[i], args[i], sents[i], boiler, kw[ix.kit[i]], &fields[i], &heads[i], st)
		}
	})
	kitWords := make([]map[string]bool, len(ix.kits))
	for k := range kitWords {
		kitWords[k] = map[string]bool{}
		for _, kw := range chunkWords {
			maps.Copy(kitWords[k], kw[k])
		}
	}
	st := stemmer{}
	ix.indexAbout(fields, heads, st)
	// The action words come last: slugs like ASANA_GETTASKSFORUSER are split with the toolkit's own words.
	for i, t := range tools {
		words := kitWords[ix.kit[i]]
		var action []string
		for _, w := range actionWords(t) {
			if len(w) >= 6 && !words[w] {
				action = append(action, segment(w, words)...)
			} else {
				action = append(action, w)
			}
		}
		for _, w := range action {
			// "unfollow" also says "follow": a query to stop following finds it.
			if len(w) > 5 && strings.HasPrefix(w, "un") && words[w[2:]] {
				fields[i][fieldAction] = append(fields[i][fieldAction], st.stem([]byte(w[2:])))
			}
		}
		for j, w := range action {
			if j == 0 && methodWord(t, w) {
				continue // "post_files_content", "PostCustomers": the HTTP method, which the class carries
			}
			if w == "id" && t.HTTP != nil && strings.Contains(t.HTTP.Path, "{") {
				continue // "get_files_id_content": a path parameter's place, not a word of what it does
			}
			if !isNoise([]byte(w)) {
				fields[i][fieldAction] = append(fields[i][fieldAction], st.stem([]byte(w)))
			}
		}
		ix.class[i] = toolClass(t, action, words, ix.lex)
		ix.admin[i] = slices.Contains(action, "admin") || t.HTTP != nil && strings.Contains(strings.ToLower(t.HTTP.Path), "/admin")
		if v := actionVerb(t, action); v != "" {
			ix.actionVerbs[st.stem([]byte(v))] = true
		}
		params := 0
		if t.HTTP != nil {
			params = strings.Count(t.HTTP.Path, "{")
		}
		ix.prior[i] = 1 - p.ParamPenalty*float32(min(params, 6))
		if t.HasTag(tagDeprecatedName) {
			ix.prior[i] -= p.DeprecatedPenalty
		}
	}
	ix.buildPostings(fields, heads)
	ix.indexSlugParts()
	ix.indexParamPhrases(st, args)
	ix.pool.New = func() any { return newScratch(n) }
	return ix
}

// analyzeTool fills the text fields of tool i, recording the words of its toolkit in words.
func (ix *Index) analyzeTool(i int, t *Tool, arg argDoc, sents []sentence, boiler map[uint64]bool, words map[string]bool, f *[numFields][]string, head *string, st stemmer) {
	p := ix.params
	collect := func(field int, text string, clean bool) {
		splitWords(text, clean, func(w []byte) {
			// The toolkit's words split its run-together operation names; what the arguments say is not needed
			// for that.
			if len(w) >= 2 && field != fieldParamDesc && !words[string(w)] {
				words[string(w)] = true
			}
			if !isNoise(w) {
				f[field] = append(f[field], st.stem(w))
			}
		})
	}
	if !nameIsOperationID(t) {
		collect(fieldName, t.Name, false)
	}
	if t.HTTP != nil {
		res, rest := pathWords(t.HTTP.Path)
		collect(fieldResource, res, false)
		if r := f[fieldResource]; len(r) > 0 {
			*head = r[len(r)-1]
		}
		collect(fieldPath, rest, false)
	}
	for _, tag := range t.Tags {
		if !isAnnotationTag(tag) {
			collect(fieldTags, tag, false)
		}
	}
	for _, name := range argNames(t) {
		collect(fieldParams, name, false)
	}
	for _, name := range arg.envelope {
		collect(fieldParams, name, false)
	}
	for _, s := range sents {
		field, limit := fieldDesc, p.MaxDescTerms
		if s.arg {
			field, limit = fieldParamDesc, p.MaxParamDescTerms
		}
		if len(f[field]) < limit && !boiler[s.hash] {
			collect(field, s.text, true)
		}
	}
	if len(f[fieldParamDesc]) > p.MaxParamDescTerms {
		f[fieldParamDesc] = f[fieldParamDesc][:max(p.MaxParamDescTerms, 0)]
	}
}

// buildWorkers is how many goroutines analyse n tools: one per CPU, none for a small catalog.
func buildWorkers(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n/256))
}

// parallelChunks calls f for each of workers contiguous ranges of [0, n), w numbering them, at once, and waits.
func parallelChunks(n, workers int, f func(w, lo, hi int)) {
	if workers <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { f(w, lo, hi) })
	}
	wg.Wait()
}

// indexAbout collects the terms of each tool's About texts into its about field: the first sentence of each text,
// then the second of each, and so on up to MaxAboutTerms (each text's sentence gets its share of what is left),
// without the sentences AboutBoilerplate calls boilerplate. heads are the tools' resource head nouns. Tools share
// texts (a tag's description is on all its operations): each distinct text is split and stemmed once.
func (ix *Index) indexAbout(fields [][numFields][]string, heads []string, st stemmer) {
	p := ix.params
	if p.MaxAboutTerms <= 0 || p.FieldWeight[fieldAbout] == 0 {
		return
	}
	type aboutSentence struct {
		hash  uint64
		terms []string
	}
	parsed := map[string][]aboutSentence{}
	// said holds the resources each sentence is said of, up to AboutBoilerplate of them.
	said := map[uint64][]string{}
	for i, t := range ix.tools {
		for _, text := range t.About {
			sents, ok := parsed[text]
			if !ok {
				forEachSentence(text, func(s string) {
					as := aboutSentence{hash: sentenceHash(s)}
					splitWords(s, true, func(w []byte) {
						if !isNoise(w) {
							as.terms = append(as.terms, st.stem(w))
						}
					})
					if len(as.terms) > 0 {
						sents = append(sents, as)
					}
				})
				parsed[text] = sents
			}
			if p.AboutBoilerplate <= 0 {
				continue
			}
			for _, s := range sents {
				if r := said[s.hash]; s.hash != 0 && len(r) < p.AboutBoilerplate && !slices.Contains(r, heads[i]) {
					said[s.hash] = append(r, heads[i])
				}
			}
		}
	}
	boiler := func(s aboutSentence) bool {
		return p.AboutBoilerplate > 0 && len(said[s.hash]) >= p.AboutBoilerplate
	}
	for i, t := range ix.tools {
		// Round k takes the k-th sentence of each text, sharing what is left of MaxAboutTerms among them.
		f := &fields[i][fieldAbout]
		next := make([]int, len(t.About)) // the next sentence of each text
		for len(*f) < p.MaxAboutTerms {
			var round [][]string
			for j, text := range t.About {
				sents := parsed[text]
				for next[j] < len(sents) && boiler(sents[next[j]]) {
					next[j]++
				}
				if next[j] < len(sents) {
					round = append(round, sents[next[j]].terms)
					next[j]++
				}
			}
			if len(round) == 0 {
				break
			}
			share := max((p.MaxAboutTerms-len(*f))/len(round), 1)
			for _, terms := range round {
				*f = append(*f, terms[:min(share, len(terms))]...)
			}
		}
		if len(*f) > p.MaxAboutTerms {
			*f = (*f)[:p.MaxAboutTerms]
		}
	}
}

// indexParamPhrases records the body and query parameters whose names have two to four meaningful words.
func (ix *Index) indexParamPhrases(st stemmer, args []argDoc) {
	ix.fields = map[string][]paramPhrase{}
	at := map[string]int{} // phrase key → index in ix.fields[first]
	for i, t := range ix.tools {
		if t.HTTP == nil {
			continue
		}
		var names []string
		for _, p := range t.HTTP.Params {
			if p.In != InPath {
				names = append(names, p.Arg)
			}
		}
		if t.HTTP.Body != nil {
			for arg := range t.HTTP.Body.Props {
				names = append(names, arg)
			}
		}
		names = append(names, args[i].envelope...)
		sort.Strings(names)
		for _, name := range names {
			var terms []string
			splitWords(name, false, func(w []byte) {
				if !isNoise(w) {
					terms = append(terms, st.stem(w))
				}
			})
			if len(terms) < 2 || len(terms) > 4 {
				continue
			}
			key := strings.Join(terms, " ")
			j, ok := at[key]
			if !ok {
				j = len(ix.fields[terms[0]])
				at[key] = j
				ix.fields[terms[0]] = append(ix.fields[terms[0]], paramPhrase{terms: terms})
			}
			pp := &ix.fields[terms[0]][j]
			if n := len(pp.docs); n == 0 || pp.docs[n-1] != int32(i) {
				pp.docs = append(pp.docs, int32(i))
			}
		}
	}
}

// methodWord reports whether w, the first word of a tool's operation name, is its HTTP method POST, PUT or PATCH
// ("post_files_content", "PostCustomers") rather than a verb of what it does.
func methodWord(t *Tool, w string) bool {
	return t.HTTP != nil && (w == "post" || w == "put" || w == "patch") && strings.EqualFold(w, t.HTTP.Method)
}

// tagDeprecatedName is the tag importers put on deprecated operations.
const tagDeprecatedName = "deprecated"

// buildPostings computes the postings of the tools' fields. heads are the last words of the resource fields: a
// resource word that repeats a parent path segment ("project" of /projects/{p}/project_statuses) names the
// parent, not the thing the operation acts on, so only the head noun ("statuses") counts as the resource a
// query's object names.
func (ix *Index) buildPostings(fields [][numFields][]string, heads []string) {
	p := ix.params
	var avg [numFields]float32
	for i := range fields {
		for f := range numFields {
			avg[f] += float32(len(fields[i][f]))
		}
	}
	for f := range numFields {
		avg[f] = max(avg[f]/float32(max(len(fields), 1)), 1)
	}
	var strong []int32    // per term: the tools that have it in a field other than description and parameters
	var aboutOnly []int32 // per term: the tools that have it in their About field only
	tf := map[int32]*[numFields]float32{}
	var order []int32
	for doc := range fields {
		clear(tf)
		order = order[:0]
		for f := range numFields {
			for _, term := range fields[doc][f] {
				id, ok := ix.vocab[term]
				if !ok {
					id = int32(len(ix.postings))
					ix.vocab[term] = id
					ix.postings = append(ix.postings, nil)
					ix.df = append(ix.df, 0)
					strong = append(strong, 0)
					aboutOnly = append(aboutOnly, 0)
				}
				c := tf[id]
				if c == nil {
					c = new([numFields]float32)
					tf[id] = c
					order = append(order, id)
				}
				c[f]++
			}
		}
		var norm [numFields]float32
		for f := range numFields {
			norm[f] = 1 - p.FieldB[f] + p.FieldB[f]*float32(len(fields[doc][f]))/avg[f]
		}
		names := 0
		for _, id := range order {
			c := tf[id]
			if c[fieldAction]+c[fieldName] > 0 {
				names++
			}
		}
		ix.nameLen[doc] = uint8(min(names, 255))
		head, hasHead := ix.vocab[heads[doc]]
		for _, id := range order {
			c := tf[id]
			var w float32
			for f := range numFields {
				if c[f] > 0 {
					w += p.FieldWeight[f] * c[f] / norm[f]
				}
			}
			about := c[fieldAbout] > 0 && c[fieldAction]+c[fieldName]+c[fieldResource]+c[fieldPath]+c[fieldTags]+c[fieldDesc]+c[fieldParams]+c[fieldParamDesc] == 0
			ix.postings[id] = append(ix.postings[id], posting{doc: int32(doc), w: w * (p.K1 + 1) / (p.K1 + w), name: c[fieldAction]+c[fieldName] > 0, res: c[fieldResource] > 0 && (c[fieldPath] == 0 || hasHead && id == head), about: about})
			ix.df[id]++
			if c[fieldAction]+c[fieldName]+c[fieldResource]+c[fieldPath]+c[fieldTags] > 0 {
				strong[id]++
			}
			if about {
				aboutOnly[id]++
			}
		}
	}
	n := float64(len(fields))
	ix.idf = make([]float32, len(ix.df))
	for id, df := range ix.df {
		// A tag's description repeated on sixty operations must not lower the weight of its words in the other
		// fields, nor make them common words (EmbeddingMaxDF): a term's document frequency counts the tools that
		// have it outside About only, when any does.
		if df > aboutOnly[id] {
			df -= aboutOnly[id]
			ix.df[id] = df
		}
		ix.idf[id] = float32(math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5)))
		if strong[id] == 0 {
			ix.idf[id] *= p.DescOnly
		}
	}
}

// indexToolkits numbers the toolkits and derives the words that name each in a query.
func (ix *Index) indexToolkits() {
	byslug := map[string]int32{}
	for i, t := range ix.tools {
		k, ok := byslug[t.Toolkit]
		if !ok {
			k = int32(len(ix.kits))
			byslug[t.Toolkit] = k
			ix.kits = append(ix.kits, t.Toolkit)
			ix.kitSize = append(ix.kitSize, 0)
		}
		ix.kitSize[k]++
		ix.kit[i] = k
	}
	for k, slug := range ix.kits {
		s := strings.ToLower(slug)
		keys := map[string]bool{s: true, strings.ReplaceAll(s, "_", ""): true}
		for key := range keys {
			ix.appKeys[key] = append(ix.appKeys[key], int32(k))
		}
	}
}

// indexSlugParts adds the parts of toolkit slugs that name an app on their own ("dracoon" of dracoon_team) to
// the words that name toolkits. A part shared by more than three toolkits' slugs names none of them. A part that
// other toolkits use as a word of their operations or resources ("team", "accounting", "tracking") names its
// toolkits only when written as a name (namedAppKeys): "add Priya to the design team" does not ask for the
// dracoon_team toolkit, "post it in Teams" does ask for microsoft_teams. It needs the postings.
func (ix *Index) indexSlugParts() {
	ix.namedAppKeys = map[string][]int32{}
	parts := map[string][]int32{}
	for k, slug := range ix.kits {
		for _, part := range strings.Split(strings.ToLower(slug), "_") {
			if len(part) >= 4 && !genericAppWords[part] && !slices.Contains(parts[part], int32(k)) {
				parts[part] = append(parts[part], int32(k))
			}
		}
	}
	for part, kits := range parts {
		if _, taken := ix.appKeys[part]; taken || len(kits) > 3 {
			continue
		}
		if ix.kitsUsing(Stem(part), kits) > maxOtherKitsUsingSlugPart {
			ix.namedAppKeys[part] = kits
			continue
		}
		ix.appKeys[part] = kits
	}
}

// maxOtherKitsUsingSlugPart is how many toolkits besides those whose slugs have a part may use it as a word of
// their operation names or resources before it stops naming an app.
const maxOtherKitsUsingSlugPart = 1

// kitsUsing counts the toolkits other than except whose tools have the stem in their action, name or resource.
func (ix *Index) kitsUsing(stem string, except []int32) int {
	id, ok := ix.vocab[stem]
	if !ok {
		return 0
	}
	seen := map[int32]bool{}
	for _, p := range ix.postings[id] {
		if k := ix.kit[p.doc]; (p.name || p.res) && !seen[k] && !slices.Contains(except, k) {
			seen[k] = true
		}
	}
	return len(seen)
}

// genericAppWords are parts of toolkit slugs that do not name an app.
var genericAppWords = setOf(`api apis rest web http https service services cloud com org net io app apps platform open
public data v1 v2 v3 v4 the admin management manager`)

// nameIsOperationID reports whether the tool's name is its operationId (the document had no summary), which the
// action field already holds.
func nameIsOperationID(t *Tool) bool {
	if t.Name == "" || strings.ContainsRune(t.Name, ' ') {
		return t.Name == ""
	}
	return strings.HasSuffix(t.Slug, "_"+strings.ToUpper(strings.Trim(nonAlnumToUnderscore(t.Name), "_")))
}

func nonAlnumToUnderscore(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// actionWords returns the lower-case words of the operation: the camelCase-split operationId when the name is one,
// else the slug without its toolkit prefix.
func actionWords(t *Tool) []string {
	var out []string
	text := strings.TrimPrefix(t.Slug, strings.ToUpper(t.Toolkit)+"_")
	if nameIsOperationID(t) && t.Name != "" {
		text = t.Name
	}
	splitWords(text, false, func(w []byte) { out = append(out, string(w)) })
	return out
}

// segment splits a run-together word ("gettasksforuser") into the fewest words the toolkit uses; it returns the
// word unchanged when no split covers it.
func segment(w string, words map[string]bool) []string {
	n := len(w)
	best := make([]int, n+1) // fewest pieces covering w[:i], -1 if none
	from := make([]int, n+1)
	for i := 1; i <= n; i++ {
		best[i] = -1
		for j := max(0, i-24); j <= i-1; j++ {
			// Pieces have two letters or more, but for the article of "getACallQueue", "sendAChatMessage".
			if (j == 0 || best[j] >= 0) && (words[w[j:i]] && j <= i-2 || w[j:i] == "a" && j > 0 && i < n) {
				if c := best[j] + 1; best[i] < 0 || c < best[i] {
					best[i], from[i] = c, j
				}
			}
		}
	}
	if best[n] <= 0 {
		return []string{w}
	}
	var pieces []string
	for i := n; i > 0; i = from[i] {
		pieces = append(pieces, w[from[i]:i])
	}
	for a, b := 0, len(pieces)-1; a < b; a, b = a+1, b-1 {
		pieces[a], pieces[b] = pieces[b], pieces[a]
	}
	return pieces
}

// pathWords returns the last static segment of an HTTP path and the other static segments, without parameters
// and version prefixes.
func pathWords(path string) (resource, rest string) {
	var static []string
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || strings.HasPrefix(seg, "{") || isVersionSegment(seg) {
			continue
		}
		static = append(static, seg)
	}
	if len(static) == 0 {
		return "", ""
	}
	return static[len(static)-1], strings.Join(static[:len(static)-1], " ")
}

func isVersionSegment(s string) bool {
	if s == "api" || s == "rest" {
		return true
	}
	if len(s) < 2 || (s[0] != 'v' && s[0] != 'V') {
		return false
	}
	for _, c := range s[1:] {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

func isAnnotationTag(tag string) bool {
	switch tag {
	case TagReadOnly, TagDestructive, TagIdempotent, TagOpenWorld, TagImportant, tagDeprecatedName:
		return true
	}
	return false
}

// argNames returns the tool's argument names: from the HTTP binding when there is one (cheap), else from the input
// schema.
func argNames(t *Tool) []string {
	if t.HTTP == nil {
		return paramNames(t.InputSchema)
	}
	var out []string
	for _, p := range t.HTTP.Params {
		out = append(out, p.Arg)
	}
	if t.HTTP.Body != nil {
		for arg := range t.HTTP.Body.Props {
			out = append(out, arg)
		}
		sort.Strings(out)
	}
	return out
}

// paramNames returns the top-level property names of an object schema.
func paramNames(schema json.RawMessage) []string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(schema, &s) != nil {
		return nil
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// toolClass says what an operation does: from the first verb of its name, else from its HTTP method and path.
// A verb that reverses another ("unfollow", "unstar") deletes a relation. A POST to a path ending in a
// non-plural word after a parameter ("/invoices/{id}/pay") is an action, not a create, and gets no class.
func toolClass(t *Tool, action []string, words map[string]bool, lex *lexicon) opClass {
	method := ""
	if t.HTTP != nil {
		method = strings.ToLower(t.HTTP.Method)
	}
	// The verb leads the name ("createChannel"), follows a word or two ("repos/list-tags", "admin_users_invite"),
	// or ends it ("accountPlanBaseDelete").
	order := []int{0, 1, 2, len(action) - 1}
	for k, i := range order {
		if i < 0 || i >= len(action) || slices.Index(order, i) < k {
			continue
		}
		w := action[i]
		if i == 0 && method != "" && (w == method || w == "post" || w == "put" || w == "patch") {
			break // "PostCustomers": the method's name, not a verb; decide by method and path below
		}
		if e := lex.entries[Stem(w)]; e != nil && e.class != classNone && (lex.verbs[w] || lex.verbs[strings.TrimSuffix(w, "s")]) {
			c := e.class
			if c == classGet && t.HTTP != nil && !strings.HasSuffix(t.HTTP.Path, "}") && !singularObject(action, i) {
				c = classList
			}
			return c
		}
		if len(w) > 5 && strings.HasPrefix(w, "un") && words[w[2:]] {
			return classDelete
		}
	}
	if t.HTTP == nil {
		return classNone
	}
	item := strings.HasSuffix(t.HTTP.Path, "}")
	switch method {
	case "get":
		if item {
			return classGet
		}
		return classList
	case "post":
		if item {
			return classUpdate
		}
		if len(action) > 0 && !strings.HasSuffix(action[len(action)-1], "s") {
			return classNone // "…/invoices/{id}/pay", "conversations.kick": an action, not a create
		}
		return classCreate
	case "put", "patch":
		return classUpdate
	case "delete":
		return classDelete
	}
	return classNone
}

// actionVerb returns the verb a write operation is named by, or "": the first word of a camelCase operationId
// ("cancelSubscription", "linkIssues"), or a singular last path segment after a parameter ("/invoices/{id}/pay",
// "/pulls/{n}/merge"). Reads name no verbs: "cancel the subscription" asks for a write.
func actionVerb(t *Tool, action []string) string {
	if t.HTTP == nil || strings.EqualFold(t.HTTP.Method, "get") || strings.EqualFold(t.HTTP.Method, "head") {
		return ""
	}
	if nameIsOperationID(t) && len(action) > 1 && !strings.Contains(t.Name, "_") {
		if w := action[0]; len(w) >= 3 && w != strings.ToLower(t.HTTP.Method) && !isPlural(w) {
			return w
		}
	}
	return strings.ToLower(pathVerb(t))
}

// pathVerb returns the last path segment of a write operation when it is a verb: a single singular word after a
// parameter ("/invoices/{id}/pay", "/pulls/{n}/merge"), else "".
func pathVerb(t *Tool) string {
	if t.HTTP == nil || strings.EqualFold(t.HTTP.Method, "get") || strings.EqualFold(t.HTTP.Method, "head") {
		return ""
	}
	segs := strings.Split(strings.Trim(t.HTTP.Path, "/"), "/")
	if n := len(segs); n >= 2 && strings.HasPrefix(segs[n-2], "{") && !strings.HasPrefix(segs[n-1], "{") {
		if w := segs[n-1]; len(w) >= 3 && !isPlural(strings.ToLower(w)) && !strings.ContainsAny(w, "_-.") {
			return w
		}
	}
	return ""
}

// singularObject reports whether the object the verb action[verb] of an operation's name reads is one thing: the
// head of the words after it is a singular noun ("get webhook config for repo", "get authenticated"), so a GET
// without a trailing path parameter reads a singleton rather than lists.
func singularObject(action []string, verb int) bool {
	from, to := objectSpan(action, make([]bool, len(action)), verb)
	if to <= from {
		return false
	}
	head := action[to-1]
	return len(head) >= 3 && !isPlural(head) && head != "list" && head != "all"
}

// forEachSentence calls fn with each sentence of text: split at line breaks and at ". ", "? ", "! ".
func forEachSentence(text string, fn func(string)) {
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		end := c == '\n' || ((c == '.' || c == '?' || c == '!') && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n'))
		if end {
			if s := strings.TrimSpace(text[start : i+1]); s != "" {
				fn(s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		fn(s)
	}
}

// sentenceHash identifies a sentence by its letters and digits, case-folded; short sentences hash to 0 and are
// never boilerplate.
func sentenceHash(s string) uint64 {
	h := fnv.New64a()
	var b [1]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80 {
			b[0] = c
			h.Write(b[:])
			n++
		}
	}
	if n < 24 {
		return 0
	}
	return h.Sum64()
}

// boilerplate returns the sentences that occur in the descriptions of at least minTools tools ("OAuth app tokens
// need the repo scope…"), and the texts more returns for the tool of each index that occur as often ("The page
// of results to return."): they say nothing about what a tool does. It also returns each tool's sentences and
// texts with their hashes, in order, for the index to read without splitting and hashing them again.
func boilerplate(tools []*Tool, minTools int, more func(i int) []string) (map[uint64]bool, [][]sentence) {
	counts := map[uint64]int{}
	seen := map[uint64]bool{}
	all := make([][]sentence, len(tools))
	for i, t := range tools {
		clear(seen)
		var sents []sentence
		count := func(s string, arg bool) {
			h := sentenceHash(s)
			sents = append(sents, sentence{text: s, hash: h, arg: arg})
			if h != 0 && !seen[h] {
				seen[h] = true
				counts[h]++
			}
		}
		forEachSentence(t.Description, func(s string) { count(s, false) })
		if more != nil {
			for _, text := range more(i) {
				count(text, true) // a whole argument description: "The page of results to return."
			}
		}
		all[i] = sents
	}
	out := map[uint64]bool{}
	for h, c := range counts {
		if minTools > 0 && c >= minTools {
			out[h] = true
		}
	}
	return out, all
}

// sentence is a sentence of a tool's description, or a text of its arguments (arg), with its sentenceHash.
type sentence struct {
	text string
	hash uint64
	arg  bool
}

// IndexStats describes an index's size.
type IndexStats struct {
	Tools, Terms, Postings int
}

// Stats returns the index's size.
func (ix *Index) Stats() IndexStats {
	st := IndexStats{Tools: len(ix.tools), Terms: len(ix.postings)}
	for _, p := range ix.postings {
		st.Postings += len(p)
	}
	return st
}
