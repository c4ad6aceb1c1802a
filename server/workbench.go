package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/sandbox"
	"github.com/toolmux/toolmux/session"
)

type workbenchIn struct {
	CodeToExecute  string      `json:"code_to_execute" jsonschema:"Python 3 code; variables persist between calls; the value of a final expression is returned"`
	Thought        string      `json:"thought,omitempty" jsonschema:"why you run this (optional)"`
	TimeoutSeconds int         `json:"timeout_seconds,omitempty" jsonschema:"wall-time limit, default and max 180"`
	Session        *sessionRef `json:"session,omitempty"`
	SessionID      string      `json:"session_id,omitempty"`
}

type bashIn struct {
	Command        string      `json:"command" jsonschema:"one bash command line, run in /mnt/files"`
	TimeoutSeconds int         `json:"timeout_seconds,omitempty" jsonschema:"wall-time limit, default and max 180"`
	Session        *sessionRef `json:"session,omitempty"`
	SessionID      string      `json:"session_id,omitempty"`
}

type workbenchData struct {
	Results         string       `json:"results"`
	ResultsFilePath string       `json:"results_file_path,omitempty"`
	Stderr          string       `json:"stderr"`
	Error           string       `json:"error,omitempty"`
	Warning         string       `json:"warning,omitempty"`
	Session         session.Info `json:"session"`
}

type bashData struct {
	*sandbox.BashResult
	Session session.Info `json:"session"`
}

// addWorkbenchTools registers the workbench and bash tools. Where the sandbox cannot run, they stay listed and say
// why in every result, so the model learns the reason instead of meeting a missing tool.
func addWorkbenchTools(srv *mcp.Server, s *session.Session, prefix string) {
	maxSeconds := int(s.Sandbox().MaxTimeout().Seconds())
	addTypedTool(srv, &mcp.Tool{
		Name:        prefix + "_REMOTE_WORKBENCH",
		InputSchema: metaSchema[workbenchIn]("REMOTE_WORKBENCH", map[string][2]int{"timeout_seconds": {1, maxSeconds}}),
		Description: "Run Python 3 in a persistent, sandboxed kernel (no network; files in /mnt/files, the working " +
			"directory, shared with " + prefix + "_REMOTE_BASH_TOOL). Use it for large tool outputs (offloaded responses " +
			"are JSON files under /mnt/files/outputs/), bulk operations and data work. Preloaded: " +
			"run_composio_tool(tool_slug, arguments) -> (data, error) runs a tool through this session; " +
			"proxy_execute(method, endpoint, toolkit, body=None, params=None, headers=None) -> (data, error) calls the " +
			"toolkit's own API with its credentials; invoke_llm(prompt) -> str; upload_local_file(path) -> host path. " +
			"Returns printed output plus the repr of the last expression, stderr and any exception.",
		Annotations: &mcp.ToolAnnotations{Title: "Python workbench", DestructiveHint: ptr(true), OpenWorldHint: ptr(true)},
	}, func(ctx context.Context, req *mcp.CallToolRequest, in workbenchIn) (*mcp.CallToolResult, any, error) {
		if in.CodeToExecute == "" {
			return reply(s, nil, errors.New("code_to_execute is empty: pass the Python code to run"))
		}
		res, err := s.RunCode(ctx, in.CodeToExecute, in.TimeoutSeconds, sampler(req))
		if err != nil {
			return reply(s, nil, err)
		}
		out := workbenchData{Results: res.Stdout, Stderr: res.Stderr, Error: res.Error, Session: s.Info()}
		if res.Result != "" {
			if out.Results != "" && out.Results[len(out.Results)-1] != '\n' {
				out.Results += "\n"
			}
			out.Results += res.Result
		}
		if out.Results, _, out.ResultsFilePath, err = s.Sandbox().Cap(out.Results, "workbench"); err != nil {
			return reply(s, nil, err)
		}
		if out.Stderr, _, _, err = s.Sandbox().Cap(out.Stderr, "workbench-stderr"); err != nil {
			return reply(s, nil, err)
		}
		if s.Sandbox().Mode() == sandbox.ModeNone {
			out.Warning = sandbox.UnsandboxedWarning
		}
		return reply(s, out, nil)
	})

	addTypedTool(srv, &mcp.Tool{
		Name:        prefix + "_REMOTE_BASH_TOOL",
		InputSchema: metaSchema[bashIn]("REMOTE_BASH_TOOL", map[string][2]int{"timeout_seconds": {1, maxSeconds}}),
		Description: "Run one bash command in the workbench sandbox (no network; /mnt/files is the working directory, " +
			"shared with " + prefix + "_REMOTE_WORKBENCH). Good for ls, head, jq-like one-liners, grep over offloaded " +
			"outputs. Returns stdout, stderr, line counts and exit_code; long output is cut and saved to a file.",
		Annotations: &mcp.ToolAnnotations{Title: "Bash in the workbench", DestructiveHint: ptr(true), OpenWorldHint: ptr(false)},
	}, func(ctx context.Context, req *mcp.CallToolRequest, in bashIn) (*mcp.CallToolResult, any, error) {
		if in.Command == "" {
			return reply(s, nil, errors.New("command is empty: pass the bash command to run"))
		}
		res, err := s.RunBash(ctx, in.Command, in.TimeoutSeconds)
		if err != nil {
			return reply(s, nil, err)
		}
		return reply(s, bashData{res, s.Info()}, nil)
	})
}

// multiRoundTripProtocol is the first MCP version that forbids server requests (sampling) while a tool call is served.
const multiRoundTripProtocol = "2026-07-28"

// sampler returns invoke_llm's backend: MCP sampling when the client declared the capability, else nil (the
// kernel then raises a clear error).
func sampler(req *mcp.CallToolRequest) session.LLM {
	if req == nil || req.Session == nil {
		return nil
	}
	params := req.Session.InitializeParams()
	if params == nil || params.Capabilities == nil || params.Capabilities.Sampling == nil {
		return nil
	}
	if params.ProtocolVersion >= multiRoundTripProtocol {
		return func(context.Context, string) (string, error) {
			return "", fmt.Errorf("invoke_llm is not available: on MCP protocol %s a server cannot ask the client's model "+
				"in the middle of a tool call (it needs multi round-trip requests, which toolmux does not support yet); "+
				"do the reasoning in your own reply instead", params.ProtocolVersion)
		}
	}
	return func(ctx context.Context, prompt string) (string, error) {
		res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{
			Messages:  []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: prompt}}},
			MaxTokens: 2048,
		})
		if err != nil {
			return "", fmt.Errorf("invoke_llm: the client's model did not answer: %w", err)
		}
		if t, ok := res.Content.(*mcp.TextContent); ok {
			return t.Text, nil
		}
		return "", errors.New("invoke_llm: the client's model answered with non-text content")
	}
}
