package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	sdkjson "github.com/segmentio/encoding/json"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/tools/mcpproxy"
)

// sessionRef is accepted on every meta tool: a stdio process serves exactly one session, so it only confirms it.
type sessionRef struct {
	ID         string `json:"id,omitempty"`
	GenerateID bool   `json:"generate_id,omitempty"`
}

type searchQuery struct {
	UseCase     string `json:"use_case" jsonschema:"the task in plain words, naming the app, e.g. 'open an issue in GitHub'"`
	KnownFields string `json:"known_fields,omitempty" jsonschema:"values you already have, e.g. 'repo: octo/hello'"`
}

type searchIn struct {
	Queries   []searchQuery `json:"queries" jsonschema:"1 to 7 independent use cases, searched in parallel"`
	Session   *sessionRef   `json:"session,omitempty"`
	SessionID string        `json:"session_id,omitempty"`
	Model     string        `json:"model,omitempty" jsonschema:"your model name (optional)"`
	Toolkits  []string      `json:"toolkits,omitempty" jsonschema:"only search these toolkit slugs"`
	Limit     int           `json:"limit,omitempty" jsonschema:"tools per query, default 5, max 20"`
}

type schemasIn struct {
	ToolSlugs []string    `json:"tool_slugs" jsonschema:"1 to 50 exact tool slugs"`
	Include   []string    `json:"include,omitempty" jsonschema:"input_schema (default) and/or output_schema"`
	Session   *sessionRef `json:"session,omitempty"`
	SessionID string      `json:"session_id,omitempty"`
}

type execCall struct {
	ToolSlug  string         `json:"tool_slug" jsonschema:"exact slug from search"`
	Arguments map[string]any `json:"arguments" jsonschema:"arguments matching the tool's input_schema"`
}

type executeIn struct {
	Tools                   []execCall          `json:"tools" jsonschema:"1 to 50 calls; independent calls run in parallel"`
	SyncResponseToWorkbench bool                `json:"sync_response_to_workbench,omitempty" jsonschema:"save every response to a file in the workbench; large ones always are"`
	Thought                 string              `json:"thought,omitempty"`
	CurrentStep             string              `json:"current_step,omitempty"`
	CurrentStepMetric       string              `json:"current_step_metric,omitempty"`
	Memory                  map[string][]string `json:"memory,omitempty" jsonschema:"facts worth remembering, by topic; returned by later searches"`
	Session                 *sessionRef         `json:"session,omitempty"`
	SessionID               string              `json:"session_id,omitempty"`
}

type searchData struct {
	*session.SearchResult
	Session session.Info `json:"session"`
}

type schemasData struct {
	*session.SchemasResult
	Session session.Info `json:"session"`
}

type executeData struct {
	*session.ExecOutput
	Session session.Info `json:"session"`
}

func ptr[T any](v T) *T { return &v }

// inputSchema infers T's schema and applies bounds to its properties: the schema is what the model reads, so limits
// belong there, not only in the handler's checks.
func inputSchema[T any](bounds map[string][2]int) *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("meta tool schema: %v", err))
	}
	for name, p := range s.Properties {
		// Optional slices and objects are inferred as nullable; agents send them or leave them out.
		if len(p.Types) == 2 && p.Types[0] == "null" {
			p.Type, p.Types = p.Types[1], nil
		}
		if b, ok := bounds[name]; ok {
			if p.Type == "array" {
				p.MinItems, p.MaxItems = &b[0], &b[1]
			} else {
				lo, hi := float64(b[0]), float64(b[1])
				p.Minimum, p.Maximum = &lo, &hi
			}
		}
	}
	return s
}

func addMetaTools(srv *mcp.Server, s *session.Session, prefix string) {
	addTypedTool(srv, &mcp.Tool{
		Name:        prefix + "_SEARCH_TOOLS",
		InputSchema: metaSchema[searchIn]("SEARCH_TOOLS", map[string][2]int{"queries": {1, 7}, "limit": {1, session.MaxSearchLimit}}),
		Description: "Find the tools for a task among every connected app. Call it first, with one query per " +
			"independent task, naming the app. Returns primary and related tool slugs, input schemas of the primary " +
			"ones, a plan, pitfalls, connection status and remembered facts. Then execute with " + prefix + "_MULTI_EXECUTE_TOOL.",
		Annotations: &mcp.ToolAnnotations{Title: "Search tools", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, func(ctx context.Context, req *mcp.CallToolRequest, in searchIn) (*mcp.CallToolResult, any, error) {
		qs := make([]session.SearchQuery, len(in.Queries))
		for i, q := range in.Queries {
			qs[i] = session.SearchQuery{UseCase: q.UseCase, KnownFields: q.KnownFields}
		}
		res, err := s.Search(ctx, session.SearchRequest{Queries: qs, Toolkits: in.Toolkits, Limit: in.Limit})
		if err != nil {
			return reply(s, nil, err)
		}
		return reply(s, searchData{res, s.Info()}, nil)
	})

	addTypedTool(srv, &mcp.Tool{
		Name:        prefix + "_GET_TOOL_SCHEMAS",
		InputSchema: metaSchema[schemasIn]("GET_TOOL_SCHEMAS", map[string][2]int{"tool_slugs": {1, session.MaxSchemaSlugs}}),
		Description: "Get the input schemas of tools by exact slug, when search did not return them in full. " +
			"Unknown slugs come back in not_found with near suggestions.",
		Annotations: &mcp.ToolAnnotations{Title: "Get tool schemas", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, func(ctx context.Context, req *mcp.CallToolRequest, in schemasIn) (*mcp.CallToolResult, any, error) {
		res, err := s.Schemas(ctx, in.ToolSlugs, in.Include)
		if err != nil {
			return reply(s, nil, err)
		}
		return reply(s, schemasData{res, s.Info()}, nil)
	})

	// Multi-execute is on every tool call's path: registered raw, it decodes its arguments once (executeInput)
	// instead of the typed API's decode, re-encode and second decode per call; the schema is unchanged.
	execute := &mcp.Tool{
		Name:        prefix + "_MULTI_EXECUTE_TOOL",
		InputSchema: metaSchema[executeIn]("MULTI_EXECUTE_TOOL", map[string][2]int{"tools": {1, session.MaxCalls}}),
		Description: "Run 1 to 50 tool calls with slugs and arguments from search; independent calls run in " +
			"parallel, results come back in input order and one failure never fails the others. Large responses are " +
			"saved to a file and previewed. Pass memory to remember facts (ids, names) for later.",
		Annotations: &mcp.ToolAnnotations{Title: "Execute tools", DestructiveHint: ptr(true), OpenWorldHint: ptr(true)},
	}
	executeResolved := lazyResolve(execute) // as addTypedTool's: resolved on the first call
	srv.AddTool(execute, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		resolved, err := executeResolved()
		if err != nil {
			return nil, err
		}
		in, bad := executeInput(req.Params.Arguments, resolved)
		if bad != nil {
			return bad, nil
		}
		calls := make([]session.ExecCall, len(in.Tools))
		for i, c := range in.Tools {
			calls[i] = session.ExecCall{ToolSlug: c.ToolSlug, Arguments: c.Arguments}
		}
		// Upstream MCP servers' progress, logs and requests during the calls reach this client; progress values
		// of both sources go through down, which keeps them increasing.
		down := &mcpproxy.Downstream{Session: req.Session, ProgressToken: req.Params.GetProgressToken()}
		ctx = mcpproxy.WithDownstream(ctx, down)
		var progress session.Progress
		if down.ProgressToken != nil {
			progress = func(done, total int, msg string) { down.Progress(ctx, float64(done), float64(total), msg) }
		}
		res, err := s.Execute(ctx, session.ExecRequest{Calls: calls, SyncToWorkbench: in.SyncResponseToWorkbench, Memory: in.Memory}, progress)
		if err != nil {
			return typedResult(reply(s, nil, err))
		}
		return typedResult(reply(s, executeData{res, s.Info()}, nil))
	})
}

// executeInput decodes a multi-execute's arguments with the typed API's outcome: the input schema decides. Arguments
// executeFromMap accepts are valid under the schema (TestExecuteInputMatchesSchema) and are used as decoded; any
// other input is judged by the schema, which words the error the client gets.
func executeInput(raw json.RawMessage, resolved *jsonschema.Resolved) (executeIn, *mcp.CallToolResult) {
	v := make(map[string]any)
	if len(raw) > 0 {
		if err := sdkjson.Unmarshal(raw, &v); err != nil {
			return executeIn{}, argumentsError(fmt.Errorf("unmarshaling arguments: %w", err))
		}
	}
	if in, ok := executeFromMap(v); ok {
		return in, nil
	}
	return decodeMap[executeIn](v, resolved)
}

// executeFromMap converts decoded arguments to executeIn when they certainly satisfy executeIn's input schema:
// only its properties, tools 1 to MaxCalls objects of exactly a string tool_slug and an object arguments, and
// every other property of its type. ok is false for anything else, valid or not.
func executeFromMap(m map[string]any) (in executeIn, ok bool) {
	tools, ok := m["tools"].([]any)
	if !ok || len(tools) == 0 || len(tools) > session.MaxCalls {
		return in, false
	}
	for k, v := range m {
		switch k {
		case "tools":
		case "sync_response_to_workbench":
			if in.SyncResponseToWorkbench, ok = v.(bool); !ok {
				return in, false
			}
		case "thought", "current_step", "current_step_metric", "session_id":
			str, ok := v.(string)
			if !ok {
				return in, false
			}
			switch k {
			case "thought":
				in.Thought = str
			case "current_step":
				in.CurrentStep = str
			case "current_step_metric":
				in.CurrentStepMetric = str
			default:
				in.SessionID = str
			}
		case "memory":
			mem, ok := v.(map[string]any)
			if !ok {
				return in, false
			}
			in.Memory = make(map[string][]string, len(mem))
			for topic, facts := range mem {
				if facts == nil {
					in.Memory[topic] = []string{} // as the SDK's decoder makes of null
					continue
				}
				list, ok := facts.([]any)
				if !ok {
					return in, false
				}
				strs := make([]string, len(list))
				for i, f := range list {
					if strs[i], ok = f.(string); !ok {
						return in, false
					}
				}
				in.Memory[topic] = strs
			}
		case "session":
			ref, ok := v.(map[string]any)
			if !ok {
				return in, false
			}
			in.Session = &sessionRef{}
			for rk, rv := range ref {
				switch rk {
				case "id":
					if in.Session.ID, ok = rv.(string); !ok {
						return in, false
					}
				case "generate_id":
					if in.Session.GenerateID, ok = rv.(bool); !ok {
						return in, false
					}
				default:
					return in, false
				}
			}
		default:
			return in, false
		}
	}
	in.Tools = make([]execCall, len(tools))
	for i, t := range tools {
		call, ok := t.(map[string]any)
		if !ok || len(call) != 2 {
			return in, false
		}
		slug, ok := call["tool_slug"].(string)
		if !ok {
			return in, false
		}
		args, ok := call["arguments"].(map[string]any)
		if !ok {
			return in, false
		}
		in.Tools[i] = execCall{ToolSlug: slug, Arguments: args}
	}
	return in, true
}
