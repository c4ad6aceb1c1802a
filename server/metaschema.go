package server

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// metaschemas.json holds the meta tools' input schemas as inputSchema infers them with the default bounds, keyed by
// the tool's name without its prefix. TestEmbeddedMetaSchemas fails when a copy differs from what inference gives
// now; `go test ./server -run TestEmbeddedMetaSchemas -update` rewrites the file.
//
//go:embed metaschemas.json
var embeddedSchemasJSON []byte

// useEmbeddedSchemas is false only while the test rewrites metaschemas.json.
var useEmbeddedSchemas = true

var embeddedSchemas = sync.OnceValue(func() map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(embeddedSchemasJSON, &m); err != nil {
		panic(fmt.Sprintf("server: embedded metaschemas.json: %v", err))
	}
	for name, raw := range m {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			panic(fmt.Sprintf("server: embedded metaschemas.json, %s: %v", name, err))
		}
		m[name] = buf.Bytes()
	}
	return m
})

// metaSchema is the input schema of the meta tool named prefix_name, whose arguments decode into T, with bounds on
// its properties, as JSON. It is the copy embedded in the binary when that copy has these bounds: inferring the six
// schemas by reflection and encoding them took about 3 ms of every start, before the first tools/list could be
// answered. With other bounds (a configured workbench timeout, say) it is inferred now.
func metaSchema[T any](name string, bounds map[string][2]int) json.RawMessage {
	if useEmbeddedSchemas {
		if raw, ok := embeddedSchemas()[name]; ok && hasBounds(raw, bounds) {
			return raw
		}
	}
	raw, err := json.Marshal(inputSchema[T](bounds))
	if err != nil {
		panic(fmt.Sprintf("meta tool %s: encode its input schema: %v", name, err))
	}
	return raw
}

// hasBounds reports whether the schema raw puts exactly bounds on its properties (items for an array, values for a
// number), as inputSchema does.
func hasBounds(raw json.RawMessage, bounds map[string][2]int) bool {
	var s struct {
		Properties map[string]struct {
			Type               string
			Minimum, Maximum   *float64
			MinItems, MaxItems *int
		}
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return false
	}
	for name, p := range s.Properties {
		b, bounded := bounds[name]
		switch {
		case !bounded:
			if p.Minimum != nil || p.Maximum != nil || p.MinItems != nil || p.MaxItems != nil {
				return false
			}
		case p.Type == "array":
			if p.MinItems == nil || p.MaxItems == nil || *p.MinItems != b[0] || *p.MaxItems != b[1] {
				return false
			}
		default:
			if p.Minimum == nil || p.Maximum == nil || *p.Minimum != float64(b[0]) || *p.Maximum != float64(b[1]) {
				return false
			}
		}
	}
	for name := range bounds {
		if _, ok := s.Properties[name]; !ok {
			return false
		}
	}
	return true
}
