package server

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/toolmux/toolmux/session"
)

var updateSchemas = flag.Bool("update", false, "rewrite metaschemas.json from the meta tools' inferred input schemas")

// metaSchemaInference is how each meta tool's input schema is inferred: from the type its handler decodes into.
var metaSchemaInference = map[string]func(map[string][2]int) *jsonschema.Schema{
	"SEARCH_TOOLS":       inputSchema[searchIn],
	"GET_TOOL_SCHEMAS":   inputSchema[schemasIn],
	"MULTI_EXECUTE_TOOL": inputSchema[executeIn],
	"REMOTE_WORKBENCH":   inputSchema[workbenchIn],
	"REMOTE_BASH_TOOL":   inputSchema[bashIn],
	"MANAGE_CONNECTIONS": inputSchema[manageIn],
}

// TestEmbeddedMetaSchemas: with the default config, every meta tool lists its embedded schema, and each embedded
// schema is what inference gives now with the same bounds. With -update, the file is rewritten from inference.
func TestEmbeddedMetaSchemas(t *testing.T) {
	if *updateSchemas {
		useEmbeddedSchemas = false
		t.Cleanup(func() { useEmbeddedSchemas = true })
	}
	sess, _ := managedSession(t, session.Options{})
	srv, err := New(context.Background(), Options{Session: sess, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	listed := toolNames(t, connectClient(t, srv, nil, nil))
	if len(listed) != len(metaSchemaInference) {
		t.Fatalf("%d tools listed, want the %d meta tools", len(listed), len(metaSchemaInference))
	}
	const fix = "run `go test ./server -run TestEmbeddedMetaSchemas -update` and commit metaschemas.json"
	rewritten := map[string]json.RawMessage{}
	for name, infer := range metaSchemaInference {
		tool, ok := listed["COMPOSIO_"+name]
		if !ok {
			t.Fatalf("COMPOSIO_%s not listed", name)
		}
		got, err := json.Marshal(tool.InputSchema)
		if err != nil {
			t.Fatal(err)
		}
		rewritten[name] = got
		if *updateSchemas {
			continue
		}
		embedded, ok := embeddedSchemas()[name]
		if !ok {
			t.Errorf("%s has no embedded schema; %s", name, fix)
			continue
		}
		if !jsonEqual(t, got, embedded) {
			t.Errorf("%s lists a schema other than its embedded copy (were its default bounds changed?); %s", name, fix)
		}
		fresh, err := json.Marshal(infer(boundsOf(t, embedded)))
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(t, fresh, embedded) {
			t.Errorf("%s: the embedded schema is not what inference gives now;  %s\nembedded: %s\ninferred: %s", name, fix, embedded, fresh)
		}
	}
	if *updateSchemas {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rewritten); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("metaschemas.json", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMetaSchemaOtherBounds: bounds other than the embedded copy's (a configured workbench timeout) are inferred.
func TestMetaSchemaOtherBounds(t *testing.T) {
	raw := metaSchema[workbenchIn]("REMOTE_WORKBENCH", map[string][2]int{"timeout_seconds": {1, 60}})
	if got := boundsOf(t, raw); !reflect.DeepEqual(got, map[string][2]int{"timeout_seconds": {1, 60}}) {
		t.Fatalf("bounds %v in %s", got, raw)
	}
	want, _ := json.Marshal(inputSchema[workbenchIn](map[string][2]int{"timeout_seconds": {1, 60}}))
	if !jsonEqual(t, raw, want) {
		t.Fatalf("schema %s, want %s", raw, want)
	}
}

func TestHasBounds(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{"a":{"type":"array","minItems":1,"maxItems":7},"n":{"type":"integer","minimum":1,"maximum":20},"s":{"type":"string"}}}`)
	for _, tc := range []struct {
		bounds map[string][2]int
		want   bool
	}{
		{map[string][2]int{"a": {1, 7}, "n": {1, 20}}, true},
		{map[string][2]int{"a": {1, 7}, "n": {1, 21}}, false},
		{map[string][2]int{"a": {0, 7}, "n": {1, 20}}, false},
		{map[string][2]int{"a": {1, 7}}, false},                            // n is bounded in the copy
		{map[string][2]int{"a": {1, 7}, "n": {1, 20}, "s": {1, 2}}, false}, // s is not
		{map[string][2]int{"a": {1, 7}, "n": {1, 20}, "x": {1, 2}}, false}, // no such property
	} {
		if got := hasBounds(schema, tc.bounds); got != tc.want {
			t.Errorf("hasBounds(%v) = %v, want %v", tc.bounds, got, tc.want)
		}
	}
	if hasBounds(json.RawMessage(`{`), nil) {
		t.Error("broken JSON has bounds")
	}
}

// boundsOf reads the bounds inputSchema put on raw's properties.
func boundsOf(t *testing.T, raw json.RawMessage) map[string][2]int {
	t.Helper()
	var s struct {
		Properties map[string]struct {
			Minimum, Maximum   *float64
			MinItems, MaxItems *int
		}
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int{}
	for name, p := range s.Properties {
		switch {
		case p.MinItems != nil && p.MaxItems != nil:
			out[name] = [2]int{*p.MinItems, *p.MaxItems}
		case p.Minimum != nil && p.Maximum != nil:
			out[name] = [2]int{int(*p.Minimum), int(*p.Maximum)}
		}
	}
	return out
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}
