package tools

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
	"unicode"
)

// Index is a field-weighted BM25 index over a catalog's tools. It is safe for concurrent searches.
type Index struct {
	tools   []*Tool
	docs    []map[string]float64 // weighted term frequencies per tool
	lengths []float64
	avgLen  float64
	df      map[string]int
}

// Field weights: the slug and name say what a tool does; descriptions are long and repetitive.
const (
	weightSlug        = 3.0
	weightName        = 2.0
	weightDescription = 1.0
	weightParams      = 0.5
	weightToolkit     = 1.0
	bm25K1            = 1.2
	bm25B             = 0.75
)

// NewIndex builds the index.
func NewIndex(tools []*Tool) *Index {
	ix := &Index{tools: tools, docs: make([]map[string]float64, len(tools)), lengths: make([]float64, len(tools)), df: map[string]int{}}
	var total float64
	for i, t := range tools {
		tf := map[string]float64{}
		add := func(text string, w float64) {
			for _, term := range Tokenize(text) {
				tf[term] += w
			}
		}
		add(strings.TrimPrefix(t.Slug, strings.ToUpper(t.Toolkit)+"_"), weightSlug)
		add(t.Name, weightName)
		add(t.Description, weightDescription)
		add(strings.Join(paramNames(t.InputSchema), " "), weightParams)
		add(t.Toolkit, weightToolkit)
		var length float64
		for term, f := range tf {
			ix.df[term]++
			length += f
		}
		ix.docs[i], ix.lengths[i] = tf, length
		total += length
	}
	if len(tools) > 0 {
		ix.avgLen = total / float64(len(tools))
	}
	return ix
}

// Hit is one search result.
type Hit struct {
	Tool  *Tool
	Score float64
}

// Search ranks the tools allow accepts (nil accepts all) against query and returns at most limit hits.
func (ix *Index) Search(query string, allow func(*Tool) bool, limit int) []Hit {
	terms := Tokenize(query)
	if len(terms) == 0 || limit <= 0 {
		return nil
	}
	n := float64(len(ix.tools))
	idf := make(map[string]float64, len(terms))
	for _, term := range terms {
		df := float64(ix.df[term])
		idf[term] = math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	var hits []Hit
	for i, t := range ix.tools {
		if allow != nil && !allow(t) {
			continue
		}
		doc := ix.docs[i]
		var score float64
		for _, term := range terms {
			f := doc[term]
			if f == 0 {
				continue
			}
			norm := bm25K1 * (1 - bm25B + bm25B*ix.lengths[i]/ix.avgLen)
			score += idf[term] * f * (bm25K1 + 1) / (f + norm)
		}
		if score > 0 {
			hits = append(hits, Hit{Tool: t, Score: score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Tool.Slug < hits[j].Tool.Slug
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

var stopwords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "to": true, "in": true, "on": true, "for": true, "and": true,
	"or": true, "is": true, "it": true, "by": true, "with": true, "this": true, "that": true, "be": true, "as": true,
	"at": true, "from": true, "i": true, "me": true, "my": true, "you": true, "your": true, "can": true, "all": true,
}

// Tokenize lower-cases text and splits it into words at non-alphanumerics and camelCase boundaries, dropping
// stop words and stripping a plural "s".
func Tokenize(text string) []string {
	var out []string
	var word []rune
	flush := func() {
		if len(word) == 0 {
			return
		}
		w := strings.ToLower(string(word))
		word = word[:0]
		if stopwords[w] {
			return
		}
		out = append(out, stem(w))
	}
	runes := []rune(text)
	for i, r := range runes {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if i > 0 && unicode.IsUpper(r) && len(word) > 0 {
				prev := runes[i-1]
				nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					flush()
				}
			}
			word = append(word, r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// stem strips common English plural endings; the search issue replaces it with a real stemmer.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "ses"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
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
