package manifest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const validGraphQL = `
slug = "acme"
kind = "graphql"
name = "Acme"
description = "Acme's GraphQL API."
base_url = "https://api.acme.test/graphql"

[[auth_schemes]]
scheme = "API_KEY"
in = "header"
name = "Authorization"

[whoami]
tool = "ACME_GET_VIEWER"
label = ["email"]
arguments = { scope = "me" }

[[tools]]
slug = "ACME_GET_VIEWER"
description = "Get the viewer."
result = "viewer"
graphql = "query Viewer { viewer { id email } }"

[[tools]]
slug = "ACME_GET_WIDGET"
description = "Get a widget."
result = "widget"
graphql = "query Widget($id: ID!) { widget(id: $id) { id } }"
variables.id = { type = "string", description = "The widget id." }
`

func TestParseGraphQL(t *testing.T) {
	m, err := Parse("acme/manifest.toml", []byte(validGraphQL))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !m.IsGraphQL() || m.Source.Spec != "" || len(m.Tools) != 2 {
		t.Fatalf("parsed %+v", m)
	}
	w := m.Tools[1]
	if w.Result != "widget" || !strings.Contains(w.GraphQL, "$id: ID!") {
		t.Errorf("tool %+v", w)
	}
	want := map[string]map[string]any{"id": {"type": "string", "description": "The widget id."}}
	if diff := cmp.Diff(want, w.Variables); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
	if got := m.ToolsWhoAmI(); got.Arguments["scope"] != "me" {
		t.Errorf("whoami arguments %v", got.Arguments)
	}
}

func TestParseKindErrors(t *testing.T) {
	tests := []struct {
		name      string
		base      string
		old, new_ string
		want      string
	}{
		{"unknown kind", validGraphQL, `kind = "graphql"`, `kind = "soap"`, `kind "soap" is unknown`},
		{"graphql with a source", validGraphQL, `kind = "graphql"`, "kind = \"graphql\"\nsource.spec = \"x.json\"", "a graphql toolkit has no source document"},
		{"graphql tool with operation_id", validGraphQL, `slug = "ACME_GET_WIDGET"`, "slug = \"ACME_GET_WIDGET\"\noperation_id = \"widgets/get\"", "a graphql tool has no operation_id"},
		{"graphql tool without operation", validGraphQL, `graphql = "query Viewer { viewer { id email } }"`, ``, "tools[0] (ACME_GET_VIEWER): graphql is empty"},
		{"openapi tool with graphql keys", valid, `slug = "ACME_GET_WIDGET"`, "slug = \"ACME_GET_WIDGET\"\nresult = \"x\"", `belong to kind = "graphql" toolkits`},
		{"bad body media type", valid, `slug = "ACME_GET_WIDGET"`, "slug = \"ACME_GET_WIDGET\"\nbody_media_type = \"json\"", `body_media_type "json" must be a bare media type`},
		{"repeated body property", valid, `slug = "ACME_GET_WIDGET"`, "slug = \"ACME_GET_WIDGET\"\nbody_properties = [\"a\", \"a\"]", `body_properties[1] "a" is empty or repeated`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(tt.base, tt.old, tt.new_, 1)
			if doc == tt.base {
				t.Fatal("edit changed nothing")
			}
			_, err := Parse("acme/manifest.toml", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
