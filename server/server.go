// Package server exposes a session over MCP: the meta tools (search, schemas, multi-execute) under a configurable
// prefix, and the session's exposed toolkit tools registered from their schemas at run time. Cross-cutting concerns
// (timing and logging of every request) are middleware, not code inside handlers.
//
// It depends on session and tools; nothing in toolmux depends on it but main.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/tools"
)

// Options configures the MCP server.
type Options struct {
	Session *session.Session
	// Prefix names the meta tools: PREFIX_SEARCH_TOOLS, … (default COMPOSIO).
	Prefix string
	// NoMeta serves only the session's filtered toolkit tools (direct access).
	NoMeta  bool
	Version string
	Logger  *slog.Logger
	// OnInitialized runs when the client completes the handshake (the server starts the catalog load there).
	OnInitialized func()
	// OnFirstToolsList runs once, in its own goroutine, when the first tools/list has been handled (its answer is on
	// its way to the client).
	OnFirstToolsList func()
}

// exposeWarnAt is where clients start to struggle with long tool lists.
const exposeWarnAt = 40

// New builds the MCP server. With NoMeta or exposed tools it waits for the catalog, since tools/list needs it;
// otherwise the catalog keeps loading in the background and the first meta tool call waits for it.
func New(ctx context.Context, opts Options) (*mcp.Server, error) {
	if opts.Prefix == "" {
		opts.Prefix = "COMPOSIO"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	watch := newConnWatch(opts.Session, opts.NoMeta, log)
	srv := mcp.NewServer(&mcp.Implementation{Name: "toolmux", Title: "toolmux", Version: opts.Version}, &mcp.ServerOptions{
		Instructions: instructions(opts.Prefix, opts.NoMeta),
		HasTools:     true,
		InitializedHandler: func(_ context.Context, req *mcp.InitializedRequest) {
			watch.attach(req.Session)
			if opts.OnInitialized != nil {
				opts.OnInitialized()
			}
		},
	})
	watch.srv = srv
	srv.AddReceivingMiddleware(timing(log), envelopeErrors(opts.Session), withUser(opts.Session))
	if opts.OnFirstToolsList != nil {
		srv.AddReceivingMiddleware(afterFirstList(opts.OnFirstToolsList))
	}
	if !opts.NoMeta {
		addMetaTools(srv, opts.Session, opts.Prefix)
		addWorkbenchTools(srv, opts.Session, opts.Prefix)
		addConnectionTools(srv, opts.Session, opts.Prefix, watch)
	}
	exposed, err := opts.Session.ExposedTools(ctx, opts.NoMeta)
	if err != nil {
		return nil, err
	}
	if len(exposed) > exposeWarnAt {
		log.Warn("many tools are listed directly; some clients refuse more than 40", "count", len(exposed))
	}
	for _, t := range exposed {
		addToolkitTool(srv, opts.Session, t)
	}
	watch.start(exposed)
	watch.listenCatalog()
	return srv, nil
}

func instructions(prefix string, noMeta bool) string {
	if noMeta {
		return "toolmux serves toolkit tools directly. Each result is {successful, data, error}."
	}
	return fmt.Sprintf("toolmux routes to thousands of tools without listing them. To act in an app: "+
		"1) %[1]s_SEARCH_TOOLS with the task, naming the app; "+
		"2) %[1]s_GET_TOOL_SCHEMAS for any tool whose schema you lack; "+
		"3) %[1]s_MULTI_EXECUTE_TOOL with exact slugs and arguments (independent calls in one request run in parallel). "+
		"Never invent slugs or arguments.", prefix)
}

// afterFirstList starts f once the first tools/list request has been handled.
func afterFirstList(f func()) mcp.Middleware {
	var done atomic.Bool
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			if method == "tools/list" && done.CompareAndSwap(false, true) {
				go f()
			}
			return res, err
		}
	}
}

// timing logs every request with its duration at debug level, and failures at warn.
func timing(log *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			start := time.Now()
			res, err := next(ctx, method, req)
			if err == nil && !log.Enabled(ctx, slog.LevelDebug) {
				return res, err
			}
			attrs := []any{"method", method, "duration", time.Since(start)}
			if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok {
				attrs = append(attrs, "tool", p.Name)
			}
			if err != nil {
				log.Warn("request failed", append(attrs, "err", err)...)
			} else {
				log.Debug("request", attrs...)
			}
			return res, err
		}
	}
}

// envelopeErrors wraps tool errors raised before a handler ran (the SDK's argument validation) in the envelope, so
// every tools/call result has the same shape.
func envelopeErrors(s *session.Session) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			r, ok := res.(*mcp.CallToolResult)
			if err != nil || !ok || !r.IsError || r.StructuredContent != nil {
				return res, err
			}
			var parts []string
			for _, c := range r.Content {
				if t, ok := c.(*mcp.TextContent); ok {
					parts = append(parts, t.Text)
				}
			}
			msg := strings.Join(parts, "; ") + " (check the arguments against the tool's input schema)"
			return structured(envelope{Data: map[string]any{"session": s.Info()}, Error: &msg}, true), nil
		}
	}
}

// envelope is every result's shape: {"successful", "data", "error"}.
type envelope struct {
	Successful bool    `json:"successful"`
	Data       any     `json:"data"`
	Error      *string `json:"error"`
}

// reply turns a handler's outcome into a result: the envelope as structured content (and as text, added by the SDK);
// an error the model can act on is a result with isError, not a protocol error.
func reply(s *session.Session, data any, err error) (*mcp.CallToolResult, any, error) {
	if err != nil {
		msg := err.Error()
		return &mcp.CallToolResult{IsError: true}, envelope{Data: map[string]any{"session": s.Info()}, Error: &msg}, nil
	}
	return nil, envelope{Successful: true, Data: data}, nil
}

// addToolkitTool registers one toolkit tool with its own schema (known only at run time, hence the raw API).
func addToolkitTool(srv *mcp.Server, s *session.Session, t *tools.Tool) {
	openWorld, destructive := t.Annotations.OpenWorld, t.Annotations.Destructive
	tool := &mcp.Tool{
		Name:        t.Slug,
		Title:       t.Name,
		Description: t.Description,
		InputSchema: t.InputSchema,
		Annotations: &mcp.ToolAnnotations{
			Title:           t.Name,
			ReadOnlyHint:    t.Annotations.ReadOnly,
			DestructiveHint: &destructive,
			IdempotentHint:  t.Annotations.Idempotent,
			OpenWorldHint:   &openWorld,
		},
	}
	// The output schema is not advertised: results are wrapped in the envelope, not the API's bare response.
	srv.AddTool(tool, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var args map[string]any
		if len(req.Params.Arguments) > 0 {
			dec := json.NewDecoder(bytes.NewReader(req.Params.Arguments))
			dec.UseNumber()
			if err := dec.Decode(&args); err != nil {
				return errorResult(fmt.Errorf("arguments must be a JSON object: %w", err)), nil
			}
		}
		out, err := s.Execute(ctx, session.ExecRequest{Calls: []session.ExecCall{{ToolSlug: t.Slug, Arguments: args}}}, nil)
		if err != nil {
			return errorResult(err), nil
		}
		r := out.Results[0]
		env := envelope{Successful: r.Response.Successful, Data: r.Response.Data, Error: r.Response.Error}
		if r.FilePath != "" {
			env.Data = map[string]any{"file_path": r.FilePath, "preview": r.Response.Data}
		}
		return structured(env, !env.Successful), nil
	})
}

func errorResult(err error) *mcp.CallToolResult {
	msg := err.Error()
	return structured(envelope{Data: map[string]any{}, Error: &msg}, true)
}

func structured(v any, isError bool) *mcp.CallToolResult {
	raw, err := json.Marshal(v)
	if err != nil {
		raw = []byte(fmt.Sprintf(`{"successful":false,"data":{},"error":%q}`, "result not encodable: "+err.Error()))
		isError = true
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: string(raw)}},
		StructuredContent: json.RawMessage(raw),
		IsError:           isError,
	}
}
