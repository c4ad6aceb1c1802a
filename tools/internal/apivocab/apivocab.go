// Package apivocab reads the vocabulary of a corpus of OpenAPI documents: which words their operations use, and in
// how many documents. The generators of the search tables (gensyn, genemb) share it.
package apivocab

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Count counts, for each lower-case word, the documents under roots (every .json file, recursively) whose
// operations use it, and returns the number of documents read. A document that cannot be read or parsed is passed
// to skipped and not counted.
func Count(roots []string, skipped func(path string, err error)) (map[string]int, int, error) {
	counts := map[string]int{}
	docs := 0
	for _, root := range roots {
		root = strings.TrimSpace(root)
		if root == "" {
			continue
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".json") {
				return nil
			}
			words, err := DocumentWords(p)
			if err != nil {
				skipped(p, err)
				return nil
			}
			docs++
			for w := range words {
				counts[w]++
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	return counts, docs, nil
}

// DocumentWords returns the words of an OpenAPI document's operations: summaries, operationIds, paths and tags.
func DocumentWords(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	words := map[string]bool{}
	add := func(s string) {
		for _, w := range SplitWords(s) {
			words[w] = true
		}
	}
	for p, item := range doc.Paths {
		add(p)
		for _, raw := range item {
			var op struct {
				Summary     string   `json:"summary"`
				OperationID string   `json:"operationId"`
				Tags        []string `json:"tags"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue
			}
			add(op.Summary)
			add(op.OperationID)
			for _, t := range op.Tags {
				add(t)
			}
		}
	}
	return words, nil
}

// SplitWords lower-cases s and splits it at non-letters and camelCase boundaries, keeping words of two letters or
// more.
func SplitWords(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) >= 2 {
			out = append(out, strings.ToLower(string(cur)))
		}
		cur = cur[:0]
	}
	runes := []rune(s)
	for i, r := range runes {
		if !unicode.IsLetter(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 && (unicode.IsLower(runes[i-1]) || (i+1 < len(runes) && unicode.IsLower(runes[i+1]))) {
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// SameStem is a cheap check that two words are forms of one another ("bill", "billing").
func SameStem(a, b string) bool {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n >= 4 && n >= min(len(a), len(b))-1
}
