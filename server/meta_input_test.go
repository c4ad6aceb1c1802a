package server

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/session"
)

// executeInputSeeds are multi-execute arguments, valid and not, in the shapes clients send.
var executeInputSeeds = []string{
	`{"tools":[{"tool_slug":"A_B","arguments":{"x":1,"y":[1,"2",null],"z":{"n":12345678901234567890}}}]}`,
	`{"tools":[{"tool_slug":"A","arguments":{}},{"tool_slug":"B","arguments":{"q":"é\u00e9<>&"}}],"thought":"t","current_step":"s","current_step_metric":"m","session_id":"x","sync_response_to_workbench":true}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"memory":{"github":["repo is a/b"],"empty":[],"none":null},"session":{"id":"s1","generate_id":false}}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"session":{}}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"memory":{}}`,
	`{}`,
	`null`,
	`[]`,
	`"tools"`,
	`{"tools":[]}`,
	`{"tools":null}`,
	`{"tools":{}}`,
	`{"Tools":[{"tool_slug":"A","arguments":{}}]}`,
	`{"tools":[{"tool_slug":"A"}]}`,
	`{"tools":[{"tool_slug":"A","arguments":null}]}`,
	`{"tools":[{"tool_slug":"A","arguments":[]}]}`,
	`{"tools":[{"tool_slug":1,"arguments":{}}]}`,
	`{"tools":[{"tool_slug":"A","arguments":{},"extra":1}]}`,
	`{"tools":[{"TOOL_SLUG":"A","arguments":{}}]}`,
	`{"tools":["A"]}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"thought":null}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"thought":3}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"sync_response_to_workbench":"yes"}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"memory":{"a":[1]}}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"memory":{"a":"b"}}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"memory":[]}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"session":null}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"session":{"id":1}}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"session":{"other":1}}`,
	`{"tools":[{"tool_slug":"A","arguments":{}}],"unknown":1}`,
	`{"tools":[` + strings.Repeat(`{"tool_slug":"A","arguments":{}},`, session.MaxCalls) + `{"tool_slug":"A","arguments":{}}]}`,
	`{"tools":[` + strings.Repeat(`{"tool_slug":"A","arguments":{}},`, session.MaxCalls-1) + `{"tool_slug":"A","arguments":{}}]}`,
}

// typedOracle serves In through the SDK's typed tool API with schema, the behaviour the server's own decoding
// (decodeArguments, executeInput) must reproduce.
type typedOracle[In any] struct {
	cs     *mcp.ClientSession
	schema *jsonschema.Schema
	got    chan In
}

func newTypedOracle[In any](t testing.TB, schema *jsonschema.Schema) *typedOracle[In] {
	o := &typedOracle[In]{schema: schema, got: make(chan In, 1)}
	srv := mcp.NewServer(&mcp.Implementation{Name: "oracle", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "X", InputSchema: schema},
		func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, any, error) {
			o.got <- in
			return nil, map[string]any{}, nil
		})
	o.cs = connectClient(t, srv, nil, nil)
	return o
}

// resolved is the oracle's schema resolved as the SDK resolves it.
func (o *typedOracle[In]) resolved(t testing.TB) *jsonschema.Resolved {
	r, err := o.schema.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// check compares decode with the typed API on raw: the same value, or an error (with the same text when
// exactText: the validator reports the first problem it meets in map order, so with several it varies).
func (o *typedOracle[In]) check(t *testing.T, decode func(json.RawMessage) (In, *mcp.CallToolResult), raw string, exactText bool) {
	t.Helper()
	res, err := o.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "X", Arguments: json.RawMessage(raw)})
	if err != nil {
		t.Fatalf("%s: typed call: %v", raw, err)
	}
	in, bad := decode(json.RawMessage(raw))
	if res.IsError {
		want := res.Content[0].(*mcp.TextContent).Text
		if bad == nil {
			t.Fatalf("%s: accepted as %+v; the typed API refuses it: %s", raw, in, want)
		}
		got := bad.Content[0].(*mcp.TextContent).Text
		if !bad.IsError || (exactText && sortLists(got) != sortLists(want)) || !strings.HasPrefix(got, `validating "arguments": `) {
			t.Fatalf("%s: error %q, the typed API says %q", raw, got, want)
		}
		return
	}
	want := <-o.got
	if bad != nil {
		t.Fatalf("%s: refused (%s); the typed API accepts it as %+v", raw, bad.Content[0].(*mcp.TextContent).Text, want)
	}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("%s: decoded as %#v, the typed API as %#v", raw, in, want)
	}
}

// sortLists orders the names in the validator's lists (["b" "a"]), which follow map order.
func sortLists(msg string) string {
	return quotedList.ReplaceAllStringFunc(msg, func(list string) string {
		names := strings.Fields(list[1 : len(list)-1])
		slices.Sort(names)
		return "[" + strings.Join(names, " ") + "]"
	})
}

var quotedList = regexp.MustCompile(`\[("(?:[^"\\]|\\.)*" ?)+\]`)

func newExecuteOracle(t testing.TB) (*typedOracle[executeIn], func(json.RawMessage) (executeIn, *mcp.CallToolResult)) {
	o := newTypedOracle[executeIn](t, inputSchema[executeIn](map[string][2]int{"tools": {1, session.MaxCalls}}))
	resolved := o.resolved(t)
	return o, func(raw json.RawMessage) (executeIn, *mcp.CallToolResult) { return executeInput(raw, resolved) }
}

// TestExecuteInputMatchesSchema: the multi-execute handler's own decoding accepts, refuses and words errors as the
// SDK's typed API with the same input schema does.
func TestExecuteInputMatchesSchema(t *testing.T) {
	o, decode := newExecuteOracle(t)
	for _, raw := range executeInputSeeds {
		o.check(t, decode, raw, true)
	}
	// The fast path takes the common shapes: no decode-encode-decode round for them.
	for _, raw := range executeInputSeeds[:5] {
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := executeFromMap(m); !ok {
			t.Errorf("%s: not taken by the fast path", raw)
		}
	}
}

func FuzzExecuteInput(f *testing.F) {
	for _, raw := range executeInputSeeds {
		f.Add(raw)
	}
	o, decode := newExecuteOracle(f)
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) || len(raw) > 4096 {
			return // the JSON-RPC layer refuses it before any handler
		}
		o.check(t, decode, raw, false)
	})
}
