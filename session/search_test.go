package session

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/toolmux/toolmux/tools"
)

func TestSearchResponseStaysWithinBudget(t *testing.T) {
	f := newFixture(t, "")
	s := f.open(t, "budget", tools.Filter{})
	ctx := context.Background()
	queries := []string{
		"create an issue in a GitHub repository",
		"list open pull requests on GitHub",
		"add a label to an issue",
		"delete a pet",
	}
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			res, err := s.Search(ctx, SearchRequest{Queries: []SearchQuery{{UseCase: q}}, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			data, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			// About 1,500 tokens at 4 bytes a token.
			if len(data) > 6000 {
				t.Errorf("response is %d bytes (~%d tokens), want at most 6000:\n%s", len(data), len(data)/4, data)
			}
			if len(res.Results[0].PrimaryToolSlugs) == 0 {
				t.Fatalf("no primary tool for %q", q)
			}
			first := res.ToolSchemas[res.Results[0].PrimaryToolSlugs[0]]
			if !first.HasFullSchema || len(first.InputSchema) == 0 {
				t.Errorf("the best primary tool must carry its input schema: %+v", first)
			}
			for slug, ts := range res.ToolSchemas {
				if !ts.HasFullSchema && len(ts.InputSchema) > 0 {
					t.Errorf("%s: input_schema without hasFullSchema", slug)
				}
				if len(ts.Description) > primaryDescBytes+4 {
					t.Errorf("%s: description of %d bytes not trimmed", slug, len(ts.Description))
				}
			}
		})
	}
}

func TestSearchBadInput(t *testing.T) {
	f := newFixture(t, "")
	s := f.open(t, "bad", tools.Filter{})
	ctx := context.Background()
	eight := make([]SearchQuery, 8)
	for i := range eight {
		eight[i] = SearchQuery{UseCase: "list pets"}
	}
	errCases := []struct {
		name string
		req  SearchRequest
		want string
	}{
		{"no queries", SearchRequest{}, "1 to 7"},
		{"eight queries", SearchRequest{Queries: eight}, "1 to 7"},
		{"empty use case", SearchRequest{Queries: []SearchQuery{{UseCase: "  "}}}, "empty"},
		{"100 KB use case", SearchRequest{Queries: []SearchQuery{{UseCase: strings.Repeat("list my pets ", 8000)}}}, "bytes"},
		{"unknown toolkit", SearchRequest{Queries: []SearchQuery{{UseCase: "list pets"}}, Toolkits: []string{"nope"}}, "petstore"},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Search(ctx, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("non-English text", func(t *testing.T) {
		res, err := s.Search(ctx, SearchRequest{Queries: []SearchQuery{{UseCase: "宠物商店里有什么"}, {UseCase: "список питомцев"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Results {
			if len(r.PrimaryToolSlugs) != 0 {
				t.Errorf("%q matched %v, want no match", r.UseCase, r.PrimaryToolSlugs)
			}
			if len(r.RecommendedPlanSteps) == 0 || !strings.Contains(r.RecommendedPlanSteps[0], "Rephrase") {
				t.Errorf("plan for an unmatched query = %v, want advice to rephrase", r.RecommendedPlanSteps)
			}
		}
	})
}

func TestBrief(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short text kept", "Lists pets.", 50, "Lists pets."},
		{"html and whitespace", "<p>Creates a\n\n<code>pet</code>.</p>", 50, "Creates a pet."},
		{"markdown link", "See [the docs](https://example.com/x) now.", 50, "See the docs now."},
		{"cut at sentence", "First sentence here. Second sentence is much longer than the budget.", 40, "First sentence here."},
		{"cut at word", "A single very long sentence without any stop at all", 20, "A single very long…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Brief(tt.in, tt.max); got != tt.want {
				t.Errorf("Brief(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestTrimToBudget(t *testing.T) {
	schema := func(n int) json.RawMessage {
		return json.RawMessage(`{"description":"` + strings.Repeat("x", n) + `"}`)
	}
	out := &SearchResult{
		Results: []QueryResult{{PrimaryToolSlugs: []string{"A_BEST", "A_SMALL", "A_BIG"}}},
		ToolSchemas: map[string]ToolSchema{
			"A_BEST":  {ToolSlug: "A_BEST", InputSchema: schema(3000), HasFullSchema: true},
			"A_SMALL": {ToolSlug: "A_SMALL", InputSchema: schema(1500), HasFullSchema: true},
			"A_BIG":   {ToolSlug: "A_BIG", InputSchema: schema(2500), HasFullSchema: true},
		},
	}
	trimToBudget(out)
	data, _ := json.Marshal(out)
	if len(data) > responseBudgetBytes {
		t.Errorf("trimmed response is %d bytes, want at most %d", len(data), responseBudgetBytes)
	}
	if !out.ToolSchemas["A_BEST"].HasFullSchema {
		t.Error("the best tool's schema was dropped")
	}
	if out.ToolSchemas["A_BIG"].HasFullSchema || out.ToolSchemas["A_BIG"].InputSchema != nil {
		t.Error("the largest other schema should go first")
	}
	if !out.ToolSchemas["A_SMALL"].HasFullSchema {
		t.Error("A_SMALL was dropped although dropping A_BIG was enough")
	}
	// Under budget: nothing changes.
	small := &SearchResult{Results: []QueryResult{{PrimaryToolSlugs: []string{"B"}}}, ToolSchemas: map[string]ToolSchema{"B": {InputSchema: schema(10), HasFullSchema: true}}}
	trimToBudget(small)
	if !small.ToolSchemas["B"].HasFullSchema {
		t.Error("a response under budget was trimmed")
	}
}
