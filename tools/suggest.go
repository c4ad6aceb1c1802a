package tools

import (
	"sort"
	"strings"
)

// Suggest returns up to n slugs of tools allow accepts that are nearest to slug: an unknown slug is usually a
// typo, a guessed name, or a word order the catalog does not use.
func (c *Catalog) Suggest(slug string, allow func(*Tool) bool, n int) []string {
	want := strings.ToUpper(strings.TrimSpace(slug))
	wantWords := strings.FieldsFunc(want, func(r rune) bool { return r == '_' || r == '-' || r == ' ' })
	type scored struct {
		slug  string
		score float64
	}
	var all []scored
	for _, t := range c.tools {
		if allow != nil && !allow(t) {
			continue
		}
		words := strings.Split(t.Slug, "_")
		shared := 0
		for _, w := range wantWords {
			for _, x := range words {
				if w == x {
					shared++
					break
				}
			}
		}
		overlap := float64(shared) / float64(len(wantWords)+len(words)-shared)
		dist := levenshtein(want, t.Slug)
		longest := max(len(want), len(t.Slug))
		similarity := 1 - float64(dist)/float64(longest)
		score := overlap + similarity
		if score > 0.6 {
			all = append(all, scored{t.Slug, score})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].slug < all[j].slug
	})
	var out []string
	for i := 0; i < len(all) && i < n; i++ {
		out = append(out, all[i].slug)
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
