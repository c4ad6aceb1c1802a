package tools

import "testing"

func TestFilter(t *testing.T) {
	issue := &Tool{Slug: "GITHUB_CREATE_ISSUE", Toolkit: "github", Tags: []string{TagOpenWorld, "issues", TagImportant}}
	getRepo := &Tool{Slug: "GITHUB_GET_REPO", Toolkit: "github", Tags: []string{TagReadOnly, TagIdempotent, TagOpenWorld}}
	del := &Tool{Slug: "GITHUB_DELETE_REPO", Toolkit: "github", Tags: []string{TagDestructive, TagOpenWorld}}
	post := &Tool{Slug: "SLACK_CHAT_POSTMESSAGE", Toolkit: "slack", Tags: []string{TagOpenWorld}}
	all := []*Tool{issue, getRepo, del, post}
	tests := []struct {
		name   string
		filter Filter
		want   []string
	}{
		{"zero allows all", Filter{}, []string{"GITHUB_CREATE_ISSUE", "GITHUB_GET_REPO", "GITHUB_DELETE_REPO", "SLACK_CHAT_POSTMESSAGE"}},
		{"toolkit enable", Filter{Toolkits: List{Enable: []string{"slack"}}}, []string{"SLACK_CHAT_POSTMESSAGE"}},
		{"toolkit disable", Filter{Toolkits: List{Disable: []string{"GitHub"}}}, []string{"SLACK_CHAT_POSTMESSAGE"}},
		{"tools enable across toolkits", Filter{Tools: List{Enable: []string{"github_get_repo", "SLACK_CHAT_POSTMESSAGE"}}}, []string{"GITHUB_GET_REPO", "SLACK_CHAT_POSTMESSAGE"}},
		{"tools disable", Filter{Tools: List{Disable: []string{"GITHUB_DELETE_REPO"}}}, []string{"GITHUB_CREATE_ISSUE", "GITHUB_GET_REPO", "SLACK_CHAT_POSTMESSAGE"}},
		{"tag enable is any-of", Filter{Tags: List{Enable: []string{TagReadOnly, TagImportant}}}, []string{"GITHUB_CREATE_ISSUE", "GITHUB_GET_REPO"}},
		{"tag disable is none-of", Filter{Tags: List{Disable: []string{TagDestructive}}}, []string{"GITHUB_CREATE_ISSUE", "GITHUB_GET_REPO", "SLACK_CHAT_POSTMESSAGE"}},
		{"toolkit tags override global", Filter{Tags: List{Enable: []string{TagReadOnly}}, Toolkit: map[string]ToolkitFilter{"slack": {Tags: List{Enable: []string{TagOpenWorld}}}}}, []string{"GITHUB_GET_REPO", "SLACK_CHAT_POSTMESSAGE"}},
		{"per-toolkit tools", Filter{Toolkit: map[string]ToolkitFilter{"github": {Tools: List{Enable: []string{"GITHUB_CREATE_ISSUE"}}}}}, []string{"GITHUB_CREATE_ISSUE", "SLACK_CHAT_POSTMESSAGE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tool := range all {
				if tt.filter.Allows(tool) {
					got = append(got, tool.Slug)
				} else if tt.filter.Reason(tool) == "" {
					t.Errorf("%s refused without a reason", tool.Slug)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("allowed %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("allowed %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestSearchAndSuggest(t *testing.T) {
	mk := func(slug, name, desc string) *Tool {
		return &Tool{Slug: slug, Toolkit: "github", Name: name, Description: desc, InputSchema: []byte(`{"type":"object"}`)}
	}
	kit := &Toolkit{Slug: "github", Tools: []*Tool{
		mk("GITHUB_CREATE_ISSUE", "Create an issue", "Opens a new issue in a repository."),
		mk("GITHUB_LIST_PULL_REQUESTS", "List pull requests", "Lists pull requests of a repository."),
		mk("GITHUB_GET_REPO", "Get a repository", "Returns a repository."),
	}}
	cat, err := NewCatalog([]*Toolkit{kit})
	if err != nil {
		t.Fatal(err)
	}
	hits := NewIndex(cat.Tools()).Search("open a new issue", nil, 5)
	if len(hits) == 0 || hits[0].Tool.Slug != "GITHUB_CREATE_ISSUE" {
		t.Errorf("search top hit = %v, want GITHUB_CREATE_ISSUE", hits)
	}
	if got := cat.Suggest("GITHUB_CREATE_ISSUES", nil, 3); len(got) == 0 || got[0] != "GITHUB_CREATE_ISSUE" {
		t.Errorf("Suggest = %v, want GITHUB_CREATE_ISSUE first", got)
	}
	if got := cat.Suggest("GITHUB_PULL_REQUESTS_LIST", nil, 3); len(got) == 0 || got[0] != "GITHUB_LIST_PULL_REQUESTS" {
		t.Errorf("Suggest for reordered words = %v", got)
	}
	if cat.Tool("github_get_repo") == nil {
		t.Error("Tool lookup must be case-insensitive")
	}
	if _, err := NewCatalog([]*Toolkit{kit, {Slug: "other", Tools: []*Tool{mk("GITHUB_GET_REPO", "", "")}}}); err == nil {
		t.Error("duplicate tool slugs across toolkits must be an error")
	}
}
