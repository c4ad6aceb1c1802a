package server

import (
	"context"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"

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
	mcp.AddTool(srv, &mcp.Tool{
		Name:        prefix + "_SEARCH_TOOLS",
		InputSchema: inputSchema[searchIn](map[string][2]int{"queries": {1, 7}, "limit": {1, session.MaxSearchLimit}}),
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

	mcp.AddTool(srv, &mcp.Tool{
		Name:        prefix + "_GET_TOOL_SCHEMAS",
		InputSchema: inputSchema[schemasIn](map[string][2]int{"tool_slugs": {1, session.MaxSchemaSlugs}}),
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

	mcp.AddTool(srv, &mcp.Tool{
		Name:        prefix + "_MULTI_EXECUTE_TOOL",
		InputSchema: inputSchema[executeIn](map[string][2]int{"tools": {1, session.MaxCalls}}),
		Description: "Run 1 to 50 tool calls with slugs and arguments from search; independent calls run in " +
			"parallel, results come back in input order and one failure never fails the others. Large responses are " +
			"saved to a file and previewed. Pass memory to remember facts (ids, names) for later.",
		Annotations: &mcp.ToolAnnotations{Title: "Execute tools", DestructiveHint: ptr(true), OpenWorldHint: ptr(true)},
	}, func(ctx context.Context, req *mcp.CallToolRequest, in executeIn) (*mcp.CallToolResult, any, error) {
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
			return reply(s, nil, err)
		}
		return reply(s, executeData{res, s.Info()}, nil)
	})
}
