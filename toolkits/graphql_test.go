package toolkits

import (
	"context"
	"testing"

	"github.com/toolmux/toolmux/toolkits/internal/manifest"
	"github.com/toolmux/toolmux/tools"
	"github.com/toolmux/toolmux/tools/graphql"
)

// checkGraphQLTool checks a GraphQL tool against its manifest entry: the binding carries the manifest's operation
// and result path, and the annotations follow the operation type unless the manifest overrides them.
func checkGraphQLTool(t *testing.T, tool *tools.Tool, mt manifest.Tool) {
	t.Helper()
	b := tool.GraphQL
	if b.Query != mt.GraphQL || b.ResultPath != mt.Result {
		t.Errorf("binding query/result differ from the manifest's (result %q, want %q)", b.ResultPath, mt.Result)
	}
	op, err := graphql.ParseOperation(mt.GraphQL)
	if err != nil {
		t.Fatal(err)
	}
	if b.OperationName != op.Name {
		t.Errorf("operation name = %q, want %q", b.OperationName, op.Name)
	}
	want := tools.Annotations{OpenWorld: true}
	if op.Type == "query" {
		want.ReadOnly, want.Idempotent = true, true
	}
	if mt.ReadOnly != nil {
		want.ReadOnly = *mt.ReadOnly
		want.Idempotent = want.Idempotent || *mt.ReadOnly
	}
	if mt.Destructive != nil {
		want.Destructive = *mt.Destructive
	}
	if tool.Annotations != want {
		t.Errorf("%s %s annotations = %+v, want %+v", op.Type, op.Name, tool.Annotations, want)
	}
}

func TestGraphQLDefinitions(t *testing.T) {
	defs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range defs {
		if d.Kind != manifest.KindGraphQL {
			continue
		}
		n++
		m := embeddedManifest(t, d.Slug)
		if d.Spec != nil || d.SpecFile != "" {
			t.Errorf("%s: a GraphQL toolkit has no document, got SpecFile %q", d.Slug, d.SpecFile)
		}
		tk, err := d.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if tk.Source != tools.SourceGraphQL || tk.BaseURL != m.BaseURL || len(tk.Tools) != len(m.Tools) {
			t.Errorf("%s: source %q, base URL %q, %d tools; want graphql, %q, %d", d.Slug, tk.Source, tk.BaseURL, len(tk.Tools), m.BaseURL, len(m.Tools))
		}
		if tk.WhoAmI == nil || tk.WhoAmI.Tool != m.WhoAmI.Tool {
			t.Errorf("%s: whoami %+v, want the manifest's %+v", d.Slug, tk.WhoAmI, m.WhoAmI)
		}
	}
	if n == 0 {
		t.Fatal("no GraphQL toolkit is embedded; linear should be")
	}
}
