package graphql

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOperation(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Operation
	}{
		{"no variables", `query Viewer { viewer { id } }`, Operation{Type: "query", Name: "Viewer"}},
		{
			"typed variables, defaults, comments, commas and strings",
			`# leading comment
			mutation IssueCreate($teamId: String!, $labels: [String!], $first: Int = 50, $filter: IssueFilter = {a: {eq: "x}"}}) {
			  issueCreate(input: {teamId: $teamId, labelIds: $labels, title: """a } { b"""}) @skip(if: false) { success }
			}`,
			Operation{Type: "mutation", Name: "IssueCreate", Variables: []Variable{
				{Name: "teamId", Type: "String!", NonNull: true},
				{Name: "labels", Type: "[String!]"},
				{Name: "first", Type: "Int", HasDefault: true},
				{Name: "filter", Type: "IssueFilter", HasDefault: true},
			}},
		},
		{
			"fragments and aliases",
			`query Q($id: String!) { me: issue(id: $id) { ...F ... on Issue { title } } } fragment F on Issue { id }`,
			Operation{Type: "query", Name: "Q", Variables: []Variable{{Name: "id", Type: "String!", NonNull: true}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOperation(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	v := Variable{Name: "x", Type: "[Int!]!", NonNull: true}
	if !v.Required() || !v.List() || v.BaseType() != "Int" {
		t.Errorf("Variable helpers: required %v list %v base %q", v.Required(), v.List(), v.BaseType())
	}
}

func TestParseOperationErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"empty", ``, "no operation"},
		{"anonymous", `query { viewer { id } }`, "has no name"},
		{"shorthand", `{ viewer { id } }`, "expected query, mutation or fragment"},
		{"two operations", `query A { a } query B { b }`, "more than one operation"},
		{"unbalanced", `query A { a { b }`, "expected a field"},
		{"empty selection", `query A { }`, "empty selection set"},
		{"duplicate variable", `query A($x: Int, $x: Int) { a }`, "defined twice"},
		{"missing type", `query A($x) { a }`, `expected ":"`},
		{"unterminated string", `query A { a(b: "x) }`, "unterminated string"},
		{"unterminated block string", `query A { a(b: """x) }`, "unterminated block string"},
		{"bad character", `query A { a ; }`, "unexpected character"},
		{"deep nesting", "query A { a" + strings.Repeat("{ a", 100) + strings.Repeat("}", 101), "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOperation(tt.doc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// FuzzParseOperation: any input either parses into an operation with a name and well-formed variables, or fails
// with an error; it never panics or hangs.
func FuzzParseOperation(f *testing.F) {
	for _, s := range []string{
		`query Viewer { viewer { id } }`,
		`mutation M($a: [String!]! = ["x"], $b: Int) { m(input: {a: $a, b: $b}) { ok } }`,
		`query Q { a(b: """x \""" y""") ...F } fragment F on T { c }`,
		`query Q($f: F = {a: [1, -2.5e3, true, null, ENUM, $v]}) @d(x: 1) { a }`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		op, err := ParseOperation(doc)
		if err != nil {
			return
		}
		if op.Name == "" || (op.Type != "query" && op.Type != "mutation" && op.Type != "subscription") {
			t.Fatalf("parsed %q into %+v", doc, op)
		}
		for _, v := range op.Variables {
			if v.Name == "" || v.BaseType() == "" || strings.Count(v.Type, "[") != strings.Count(v.Type, "]") {
				t.Fatalf("malformed variable %+v from %q", v, doc)
			}
		}
	})
}

// FuzzDecode: a GraphQL response body from the network decodes or fails cleanly, and the result path walk never
// panics on whatever data holds.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"data":{"viewer":{"id":"u1"}}}`,
		`{"data":null,"errors":[{"message":"boom","path":["a",0],"extensions":{"code":"X"}}]}`,
		`{"errors":[]}`, `[]`, `{"data":1}`, `{"data":{"a":{"b":[1]}}} trailing`,
	} {
		f.Add([]byte(s), "viewer")
	}
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		out, err := decode(body)
		if err != nil {
			return
		}
		if len(out.Data) > 0 {
			_, _ = at(out.Data, path)
		}
	})
}
