package main

import (
	"math"
	"sort"
	"strings"

	"github.com/toolmux/toolmux/tools"
)

// bm25 is the baseline: plain BM25 (k1 1.2, b 0.75) over one bag of words per tool — the slug's words, the summary
// and the description, split and lower-cased by tools.Tokenize — with no field weights, stemming beyond plurals,
// synonyms or toolkit handling. It scans postings like toolmux does, so its latency is comparable.
type bm25 struct {
	tools    []*tools.Tool
	postings map[string][]bmPosting
	n        float64
}

type bmPosting struct {
	doc int
	w   float64 // saturated, length-normalised term frequency
}

func newBM25(ts []*tools.Tool) *bm25 {
	const k1, b = 1.2, 0.75
	ix := &bm25{tools: ts, postings: map[string][]bmPosting{}, n: float64(len(ts))}
	docs := make([][]string, len(ts))
	var total float64
	for i, t := range ts {
		text := strings.ReplaceAll(strings.TrimPrefix(t.Slug, strings.ToUpper(t.Toolkit)+"_"), "_", " ") + " " + t.Name + " " + t.Description
		docs[i] = tools.Tokenize(text)
		total += float64(len(docs[i]))
	}
	avg := max(total/float64(max(len(ts), 1)), 1)
	for i, d := range docs {
		tf := map[string]float64{}
		var order []string
		for _, term := range d {
			if tf[term] == 0 {
				order = append(order, term)
			}
			tf[term]++
		}
		norm := k1 * (1 - b + b*float64(len(d))/avg)
		for _, term := range order {
			f := tf[term]
			ix.postings[term] = append(ix.postings[term], bmPosting{doc: i, w: f * (k1 + 1) / (f + norm)})
		}
	}
	return ix
}

func (ix *bm25) search(q string, limit int) []string {
	scores := map[int]float64{}
	seen := map[string]bool{}
	for _, term := range tools.Tokenize(q) {
		if seen[term] {
			continue
		}
		seen[term] = true
		ps := ix.postings[term]
		df := float64(len(ps))
		idf := math.Log(1 + (ix.n-df+0.5)/(df+0.5))
		for _, p := range ps {
			scores[p.doc] += idf * p.w
		}
	}
	docs := make([]int, 0, len(scores))
	for d := range scores {
		docs = append(docs, d)
	}
	sort.Slice(docs, func(i, j int) bool {
		if scores[docs[i]] != scores[docs[j]] {
			return scores[docs[i]] > scores[docs[j]]
		}
		return ix.tools[docs[i]].Slug < ix.tools[docs[j]].Slug
	})
	var out []string
	for _, d := range docs[:min(limit, len(docs))] {
		out = append(out, ix.tools[d].Slug)
	}
	return out
}
