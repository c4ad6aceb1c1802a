package graphql

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolmux/toolmux/tools"
)

func TestNewTool(t *testing.T) {
	yes := true
	spec := ToolSpec{
		Slug: "ACME_CREATE_WIDGET", Description: "Create a widget.", Important: true, Pitfalls: []string{"p"},
		Query:      `mutation WidgetCreate($name: String!, $tags: [String!], $size: Int = 1, $kind: WidgetKind!) { widgetCreate(input: {name: $name, tags: $tags, size: $size, kind: $kind}) { success } }`,
		ResultPath: "widgetCreate",
		Variables: map[string]map[string]any{
			"name": {"type": "string", "description": "Name."},
			"tags": {"type": "array", "items": map[string]any{"type": "string"}, "description": "Tags."},
			"size": {"type": "integer", "description": "Size."},
			"kind": {"type": "string", "enum": []any{"A", "B"}, "description": "Kind."},
		},
		Destructive: &yes,
	}
	tool, err := NewTool("acme", spec)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(tool.InputSchema, &schema); err != nil {
		t.Fatal(err)
	}
	// size has a default and tags is nullable: only name and kind are required.
	if diff := cmp.Diff([]any{"kind", "name"}, schema["required"]); diff != "" || schema["additionalProperties"] != false {
		t.Errorf("schema %v (-want +got required):\n%s", schema, diff)
	}
	want := tools.Annotations{Destructive: true, OpenWorld: true}
	if tool.Annotations != want || tool.Name != "WidgetCreate" || tool.Toolkit != "acme" {
		t.Errorf("tool %+v", tool)
	}
	if b := tool.GraphQL; b == nil || b.OperationName != "WidgetCreate" || b.ResultPath != "widgetCreate" || b.Query != spec.Query {
		t.Errorf("binding %+v", tool.GraphQL)
	}
	if diff := cmp.Diff([]string{tools.TagDestructive, tools.TagOpenWorld, tools.TagImportant}, tool.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}

	q, err := NewTool("acme", ToolSpec{Slug: "ACME_ME", Description: "Me.", Query: `query Me { me { id } }`})
	if err != nil {
		t.Fatal(err)
	}
	if want := (tools.Annotations{ReadOnly: true, Idempotent: true, OpenWorld: true}); q.Annotations != want {
		t.Errorf("query annotations %+v, want %+v", q.Annotations, want)
	}
	if string(q.InputSchema) != `{"additionalProperties":false,"properties":{},"type":"object"}` {
		t.Errorf("no-variable schema %s", q.InputSchema)
	}
}

func TestNewToolErrors(t *testing.T) {
	str := map[string]any{"type": "string", "description": "d"}
	tests := []struct {
		name  string
		query string
		vars  map[string]map[string]any
		want  []string
	}{
		{"syntax", `query { a }`, nil, []string{"has no name"}},
		{"subscription", `subscription S { a }`, nil, []string{"subscription S cannot be a tool"}},
		{"undeclared schema", `query Q($id: ID!) { a(id: $id) }`, nil, []string{"variable $id (ID!) of Q has no schema"}},
		{"extra schema", `query Q { a }`, map[string]map[string]any{"id": str}, []string{"variables.id is not a variable of Q"}},
		{"wrong scalar", `query Q($n: Int) { a(n: $n) }`, map[string]map[string]any{"n": str}, []string{`variable n: type "string", but n is Int: use "integer"`}},
		{"list not array", `query Q($n: [ID!]) { a(n: $n) }`, map[string]map[string]any{"n": str}, []string{`is a list: use "array"`}},
		{"wrong items", `query Q($n: [Int]) { a(n: $n) }`, map[string]map[string]any{"n": {"type": "array", "items": str, "description": "d"}}, []string{`items type "string"`}},
		{"required written", `query Q($n: ID) { a(n: $n) }`, map[string]map[string]any{"n": {"type": "string", "description": "d", "required": true}}, []string{`remove "required"`}},
		{"no description", `query Q($n: ID) { a(n: $n) }`, map[string]map[string]any{"n": {"type": "string"}}, []string{"has no description"}},
		{"no type", `query Q($n: ID) { a(n: $n) }`, map[string]map[string]any{"n": {"description": "d"}}, []string{`schema has no "type"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTool("acme", ToolSpec{Slug: "ACME_X", Query: tt.query, Variables: tt.vars})
			if err == nil {
				t.Fatal("NewTool accepted a broken spec")
			}
			for _, w := range append(tt.want, "ACME_X") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
