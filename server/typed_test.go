package server

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/session"
)

// typedSeeds are arguments every typed meta tool is checked on, valid and not, beside its own.
var typedSeeds = []string{
	`{}`, `null`, `[]`, `"x"`, `1`,
	`{"session":{"id":"s1","generate_id":false}}`, `{"session":null}`, `{"session":{"other":1}}`,
	`{"session_id":"s1"}`, `{"session_id":7}`, `{"unknown":1}`,
}

// TestTypedToolsMatchSDK: every meta tool registered through addTypedTool accepts, refuses, words its errors and
// decodes as the SDK's typed API does with the schema the server lists for it. The schemas are taken from a real
// server's tools/list, so each one is also resolved here (addTypedTool only resolves on the first call).
func TestTypedToolsMatchSDK(t *testing.T) {
	sess, _ := managedSession(t, session.Options{})
	srv, err := New(context.Background(), Options{Session: sess, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	listed := toolNames(t, connectClient(t, srv, nil, nil))
	schema := func(name string) *jsonschema.Schema {
		tool, ok := listed[name]
		if !ok {
			t.Fatalf("%s not listed", name)
		}
		raw, err := json.Marshal(tool.InputSchema)
		if err != nil {
			t.Fatal(err)
		}
		var s jsonschema.Schema
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return &s
	}
	t.Run("search", func(t *testing.T) {
		checkTyped[searchIn](t, schema("COMPOSIO_SEARCH_TOOLS"), `{"queries":[{"use_case":"star a repo"}]}`,
			`{"queries":[{"use_case":"a","known_fields":"repo: a/b"},{"use_case":"b"}],"toolkits":["github"],"limit":20,"model":"m"}`,
			`{"queries":[]}`, `{"queries":[{"use_case":"a"},{"use_case":"a"},{"use_case":"a"},{"use_case":"a"},{"use_case":"a"},{"use_case":"a"},{"use_case":"a"},{"use_case":"a"}]}`,
			`{"queries":[{}]}`, `{"queries":[{"use_case":1}]}`, `{"queries":["star a repo"]}`, `{"queries":[{"use_case":"a"}],"limit":0}`,
			`{"queries":[{"use_case":"a"}],"limit":21}`, `{"queries":[{"use_case":"a"}],"limit":2.5}`, `{"queries":[{"use_case":"a"}],"toolkits":null}`,
			`{"Queries":[{"use_case":"a"}]}`, `{"queries":[{"USE_CASE":"a"}]}`)
	})
	t.Run("schemas", func(t *testing.T) {
		checkTyped[schemasIn](t, schema("COMPOSIO_GET_TOOL_SCHEMAS"), `{"tool_slugs":["GITHUB_STAR"]}`,
			`{"tool_slugs":["A","B"],"include":["input_schema","output_schema"]}`, `{"tool_slugs":[]}`, `{"tool_slugs":"A"}`,
			`{"tool_slugs":[1]}`, `{"tool_slugs":["A"],"include":"input_schema"}`)
	})
	t.Run("workbench", func(t *testing.T) {
		checkTyped[workbenchIn](t, schema("COMPOSIO_REMOTE_WORKBENCH"), `{"code_to_execute":"1+1"}`,
			`{"code_to_execute":"x","thought":"t","timeout_seconds":5}`, `{"code_to_execute":1}`, `{"code_to_execute":"x","timeout_seconds":0}`,
			`{"code_to_execute":"x","timeout_seconds":100000}`, `{"code_to_execute":"x","timeout_seconds":"5"}`)
	})
	t.Run("bash", func(t *testing.T) {
		checkTyped[bashIn](t, schema("COMPOSIO_REMOTE_BASH_TOOL"), `{"command":"ls"}`, `{"command":"ls","timeout_seconds":3}`,
			`{"command":["ls"]}`, `{"command":"ls","timeout_seconds":-1}`)
	})
	t.Run("connections", func(t *testing.T) {
		checkTyped[manageIn](t, schema("COMPOSIO_MANAGE_CONNECTIONS"), `{"toolkits":["github"]}`,
			`{"toolkits":["a","b"],"reinitiate_all":true,"wait_seconds":30}`, `{"toolkits":[]}`, `{"toolkits":["a"],"wait_seconds":-1}`,
			`{"toolkits":["a"],"wait_seconds":100000}`, `{"toolkits":["a"],"reinitiate_all":"yes"}`)
	})
	t.Run("execute", func(t *testing.T) {
		o := newTypedOracle[executeIn](t, schema("COMPOSIO_MULTI_EXECUTE_TOOL"))
		resolved := o.resolved(t)
		for _, raw := range append(executeInputSeeds, typedSeeds...) {
			o.check(t, func(raw json.RawMessage) (executeIn, *mcp.CallToolResult) { return executeInput(raw, resolved) }, raw, true)
		}
	})
}

func checkTyped[In any](t *testing.T, schema *jsonschema.Schema, seeds ...string) {
	o := newTypedOracle[In](t, schema)
	resolved := o.resolved(t)
	decode := func(raw json.RawMessage) (In, *mcp.CallToolResult) { return decodeArguments[In](raw, resolved) }
	for _, raw := range append(seeds, typedSeeds...) {
		o.check(t, decode, raw, true)
	}
}

// FuzzSearchArguments holds decodeArguments to the SDK's typed API on arbitrary search arguments.
func FuzzSearchArguments(f *testing.F) {
	for _, raw := range append([]string{`{"queries":[{"use_case":"star a repo"}]}`, `{"queries":[{"use_case":"a"}],"limit":21}`}, typedSeeds...) {
		f.Add(raw)
	}
	var schema jsonschema.Schema
	if err := json.Unmarshal(metaSchema[searchIn]("SEARCH_TOOLS", map[string][2]int{"queries": {1, 7}, "limit": {1, session.MaxSearchLimit}}), &schema); err != nil {
		f.Fatal(err)
	}
	o := newTypedOracle[searchIn](f, &schema)
	resolved := o.resolved(f)
	decode := func(raw json.RawMessage) (searchIn, *mcp.CallToolResult) {
		return decodeArguments[searchIn](raw, resolved)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) || len(raw) > 4096 {
			return // the JSON-RPC layer refuses it before any handler
		}
		o.check(t, decode, raw, false)
	})
}
