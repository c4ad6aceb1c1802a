package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	sdkjson "github.com/segmentio/encoding/json"
)

// addTypedTool registers a tool whose handler takes its arguments decoded into In; t's input schema is JSON
// (metaSchema). Clients see what mcp.AddTool with the same input schema gives them: the same defaults, validation,
// error texts and decoding (the oracle tests in typed_test.go hold the two together). The difference is when the
// schema is resolved: on the tool's first call, not at registration. Resolving the six meta tools' schemas at start
// took about 1.5 ms, all of it before the server could answer the first tools/list.
func addTypedTool[In any](srv *mcp.Server, t *mcp.Tool, h mcp.ToolHandlerFor[In, any]) {
	resolved := lazyResolve(t)
	srv.AddTool(t, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		r, err := resolved()
		if err != nil {
			return nil, err
		}
		in, bad := decodeArguments[In](req.Params.Arguments, r)
		if bad != nil {
			return bad, nil
		}
		return typedResult(h(ctx, req, in))
	})
}

// lazyResolve resolves t's input schema once, when first asked.
func lazyResolve(t *mcp.Tool) func() (*jsonschema.Resolved, error) {
	return sync.OnceValues(func() (*jsonschema.Resolved, error) {
		var s jsonschema.Schema
		raw, ok := t.InputSchema.(json.RawMessage)
		if !ok {
			return nil, fmt.Errorf("tool %s: input schema is a %T, not JSON", t.Name, t.InputSchema)
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("tool %s: decode its input schema: %w", t.Name, err)
		}
		r, err := s.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
		if err != nil {
			return nil, fmt.Errorf("tool %s: resolve its input schema: %w", t.Name, err)
		}
		return r, nil
	})
}

// decodeArguments is the typed API's handling of a call's arguments, step by step (mcp.applySchema, then decoding
// into In): a tool result with the error the client gets, or the decoded value.
func decodeArguments[In any](raw json.RawMessage, resolved *jsonschema.Resolved) (In, *mcp.CallToolResult) {
	v := make(map[string]any)
	if len(raw) > 0 {
		if err := sdkjson.Unmarshal(raw, &v); err != nil {
			var zero In
			return zero, argumentsError(fmt.Errorf("unmarshaling arguments: %w", err))
		}
	}
	return decodeMap[In](v, resolved)
}

// decodeMap is decodeArguments after the first decoding into a map.
func decodeMap[In any](v map[string]any, resolved *jsonschema.Resolved) (In, *mcp.CallToolResult) {
	var in In
	var unmarshaled any = v
	if err := resolved.ApplyDefaults(&unmarshaled); err != nil {
		return in, argumentsError(fmt.Errorf("applying schema defaults:\n%w", err))
	}
	if err := resolved.Validate(&unmarshaled); err != nil {
		return in, argumentsError(err)
	}
	data, err := json.Marshal(unmarshaled)
	if err == nil {
		dec := sdkjson.NewDecoder(bytes.NewReader(data))
		dec.DontMatchCaseInsensitiveStructFields()
		err = dec.Decode(&in)
	}
	if err != nil {
		var res mcp.CallToolResult
		res.SetError(err)
		return in, &res
	}
	return in, nil
}

func argumentsError(err error) *mcp.CallToolResult {
	var res mcp.CallToolResult
	res.SetError(fmt.Errorf("validating \"arguments\": %v", err))
	return &res
}

// typedResult is what the SDK's typed tool API makes of a handler's outcome (Out = any, no output schema): a
// JSON-RPC error passed on as one, any other error as an error result, the output encoded once, as structured
// content and as its text.
func typedResult(res *mcp.CallToolResult, out any, err error) (*mcp.CallToolResult, error) {
	if err != nil {
		if wire, ok := err.(*jsonrpc.Error); ok {
			return nil, wire
		}
		var errRes mcp.CallToolResult
		errRes.SetError(err)
		return &errRes, nil
	}
	if res == nil {
		res = &mcp.CallToolResult{}
	}
	if out != nil {
		raw, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("marshaling output: %w", err)
		}
		res.StructuredContent = json.RawMessage(raw)
		if res.Content == nil {
			res.Content = []mcp.Content{&mcp.TextContent{Text: string(raw)}}
		}
	}
	return res, nil
}
