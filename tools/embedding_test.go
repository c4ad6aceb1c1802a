package tools

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEmbeddingTableParses checks the generated table: every line parses, similarities are cosines, and the
// header carries the attributions its sources ask for.
func TestEmbeddingTableParses(t *testing.T) {
	for _, notice := range []string{"DO NOT EDIT", "GloVe", "Public Domain Dedication and License", "GRAYPE Systems", "Princeton University"} {
		if !strings.Contains(embeddingTable, notice) {
			t.Errorf("embedding_neighbours.txt lacks %q in its header", notice)
		}
	}
	near := parseNearWords(embeddingTable)
	lines := 0
	for _, line := range strings.Split(embeddingTable, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		lines++
		src, rest, ok := strings.Cut(line, "\t")
		if !ok || len(near[Stem(src)]) != len(strings.Fields(rest)) {
			t.Errorf("line %q does not parse whole: %v", line, near[Stem(src)])
		}
	}
	if lines < 1000 || len(near) != lines {
		t.Errorf("%d lines give %d words; want over 1,000 words, one a line", lines, len(near))
	}
	for key, nws := range near {
		for _, nw := range nws {
			if nw.term == key || nw.sim < 0.5 || nw.sim > 1 {
				t.Errorf("%s → %+v: a near word must be another word at similarity 0.5 to 1", key, nw)
			}
		}
	}
	// A pair the table should have: money and funds are near in GloVe, and WordNet relates them.
	if !slices.ContainsFunc(near[Stem("money")], func(nw nearWord) bool { return nw.term == Stem("funds") }) {
		t.Errorf("money → %v, want funds among them", near[Stem("money")])
	}
	if defaultLexicon().near == nil {
		t.Error("the lexicon does not load the embedding table")
	}
}

func TestParseNearWords(t *testing.T) {
	got := parseNearWords("# header\n\nchatter\tdiscussion:0.81 messages:0.62\nbroken line\nsquad\tteam:x crew 0.7 team:1.5 teams:0.9\nsquads\tsquad:0.9\n")
	want := map[string][]nearWord{
		"chatter": {{"discuss", 0.81}, {"messag", 0.62}},
		// Unreadable pairs are skipped; a form of the word itself is no near word.
		"squad": {{"team", 0.9}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(nearWord{})); diff != "" {
		t.Errorf("parseNearWords (-want +got):\n%s", diff)
	}
}

// withNearWords returns an index over the test catalog whose lexicon has the given near-word table.
func withNearWords(p SearchParams, table string) *Index {
	ix := NewIndexWith(testCatalog(), p)
	lex := *ix.lex
	lex.near = parseNearWords(table)
	ix.lex = &lex
	return ix
}

// TestNearWordExpansion checks which query words get near words, and at what weight.
func TestNearWordExpansion(t *testing.T) {
	const table = "chatter\tdiscussion:0.8 messages:0.55 create:0.9 kangaroo:0.9 webhook:0.45\n" +
		"issue\tmessages:0.9\n" + // a word the catalog uses often
		"open\tdiscussion:0.9\n" + // a verb of a class
		"teammate\tuser:0.7 discussion:0.6\n" // a word the curated vocabulary knows too
	p := DefaultSearchParams
	tests := []struct {
		name, query string
		params      func(*SearchParams)
		// want maps the single-term alternatives of the query's first group to their weights.
		want map[string]float32
	}{
		{
			name: "a word the catalog lacks gets its near words, weighted by similarity; not a class verb, a word the " +
				"catalog lacks or one below the least similarity",
			query: "chatter",
			want:  map[string]float32{"discuss": p.Embedding * 0.8, "messag": p.Embedding * 0.55},
		},
		{
			name:   "a higher least similarity",
			query:  "chatter",
			params: func(p *SearchParams) { p.EmbeddingMinSim = 0.6 },
			want:   map[string]float32{"discuss": p.Embedding * 0.8},
		},
		{
			name:   "a word in more tools than the limit gets none",
			query:  "issue",
			params: func(p *SearchParams) { p.EmbeddingMaxDF = 2 },
			want:   map[string]float32{"issu": 1},
		},
		{
			name:   "unless the limit allows any",
			query:  "issue",
			params: func(p *SearchParams) { p.EmbeddingMaxDF = -1 },
			want:   map[string]float32{"issu": 1, "messag": p.Embedding * 0.9},
		},
		{
			name:   "off",
			query:  "chatter",
			params: func(p *SearchParams) { p.Embedding = 0 },
			want:   nil,
		},
		{
			name:  "near words come after the lexicon's synonyms (the catalog has user, not member), which keep their weight",
			query: "teammate",
			want:  map[string]float32{"user": weightCurated, "discuss": p.Embedding * 0.6},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := DefaultSearchParams
			if tt.params != nil {
				tt.params(&params)
			}
			ix := withNearWords(params, table)
			terms := make([]string, len(ix.idf))
			for term, id := range ix.vocab {
				terms[id] = term
			}
			var got map[string]float32
			if q := ix.parse(tt.query); len(q.groups) > 0 {
				got = map[string]float32{}
				for _, a := range q.groups[0].alts {
					if len(a.terms) == 1 {
						got[terms[a.terms[0]]] = a.w
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("alternatives of %q (-want +got):\n%s", tt.query, diff)
			}
		})
	}
	// "open" is a verb of the create class: its class says what it means.
	ix := withNearWords(DefaultSearchParams, table)
	for _, g := range ix.parse("open").groups {
		for _, a := range g.alts {
			if a.terms[0] == ix.vocab["discuss"] {
				t.Errorf("the class verb open got the near word discussion: %+v", g)
			}
		}
	}
}

// TestSearchNearWords checks that a query in words the catalog lacks finds the tool its near words name.
func TestSearchNearWords(t *testing.T) {
	const query = "show the chatter"
	if hits := withNearWords(DefaultSearchParams, "").Search(query, nil, 3); len(hits) > 0 {
		t.Fatalf("without near words %q finds %v, want nothing: the test needs a word the catalog lacks", query, slugs(hits))
	}
	hits := withNearWords(DefaultSearchParams, "chatter\tdiscussion:0.8\n").Search(query, nil, 3)
	if len(hits) == 0 || hits[0].Tool.Slug != "CODE_CHAT_MESSAGES_LIST" {
		t.Errorf("%q found %v, want CODE_CHAT_MESSAGES_LIST first", query, slugs(hits))
	}
}
