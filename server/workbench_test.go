package server

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/config"
	"github.com/toolmux/toolmux/session"
)

// connectWorkbench is connect with a workbench config and client options (sampling); it skips where the sandbox
// cannot run, except under CI.
func connectWorkbench(t testing.TB, wb config.Workbench, copts *mcp.ClientOptions, protocol string) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	sess := newSession(t, func(cfg *config.Config) {
		if wb.Sandbox != "" {
			cfg.Workbench.Sandbox = wb.Sandbox
		}
	}, session.Options{})
	if err := sess.WorkbenchAvailable(ctx); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the workbench must work under CI: %v", err)
		}
		t.Skip(err)
	}
	srv, err := New(ctx, Options{Session: sess, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return connectClient(t, srv, copts, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
}

func py(t *testing.T, cs *mcp.ClientSession, code string) map[string]any {
	t.Helper()
	env, isErr := call(t, cs, "COMPOSIO_REMOTE_WORKBENCH", map[string]any{"code_to_execute": code}, nil)
	if isErr {
		t.Fatalf("workbench call failed: %v", env)
	}
	return env["data"].(map[string]any)
}

func TestWorkbenchTools(t *testing.T) {
	cs := connectWorkbench(t, config.Workbench{}, nil, "")
	tests := []struct {
		name, code string
		results    string // exact
		error      string // substring; empty means none
	}{
		{name: "define", code: "rows = [1, 2, 3]"},
		{name: "state persists", code: "print('sum')\nsum(rows)", results: "sum\n6"},
		{name: "run_composio_tool from 20 threads", code: `
from concurrent.futures import ThreadPoolExecutor
def get(i):
    data, err = run_composio_tool("PETSTORE_GETPET", {"petId": str(i)})
    return data["id"] if err is None else err
with ThreadPoolExecutor(20) as ex:
    got = list(ex.map(get, range(20)))
got == [str(i) for i in range(20)]`, results: "True"},
		{name: "run_composio_tool error", code: "data, err = run_composio_tool('PETSTORE_NOPE', {})\n(data, 'no tool' in err)", results: "(None, True)"},
		{name: "proxy_execute to the toolkit's API", code: "data, err = proxy_execute('GET', '/pets/9', 'petstore')\n(data, err)", results: "({'id': '9'}, None)"},
		{name: "proxy_execute to another host refused", code: "data, err = proxy_execute('GET', 'https://evil.example.com/x', 'petstore')\n(data, \"not petstore's API host\" in err)",
			results: "(None, True)"},
		{name: "invoke_llm without sampling", code: "invoke_llm('hi')", error: "does not support sampling"},
		{name: "upload_local_file", code: "open('report.txt', 'w').write('r')\nupload_local_file('report.txt').endswith('/files/report.txt')", results: "True"},
		{name: "upload_local_file outside files", code: "upload_local_file('/etc/passwd')", error: "outside /mnt/files"},
		{name: "exception", code: "1/0", error: "ZeroDivisionError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := py(t, cs, tt.code)
			errText, _ := d["error"].(string)
			if d["results"] != tt.results || (tt.error == "") != (errText == "") || !strings.Contains(errText, tt.error) {
				t.Errorf("results %q error %q; want %q, %q", d["results"], errText, tt.results, tt.error)
			}
			if _, ok := d["session"]; !ok {
				t.Error("no session block")
			}
		})
	}

	// Bash shares the files dir; an offloaded response is readable at the path the result named.
	env, _ := call(t, cs, "COMPOSIO_MULTI_EXECUTE_TOOL", map[string]any{
		"tools": []any{map[string]any{"tool_slug": "PETSTORE_LISTPETS", "arguments": map[string]any{}}}, "sync_response_to_workbench": true}, nil)
	path, _ := env["data"].(map[string]any)["results"].([]any)[0].(map[string]any)["file_path"].(string)
	if !strings.HasPrefix(path, "/mnt/files/outputs/") {
		t.Fatalf("offloaded path = %q", path)
	}
	env, isErr := call(t, cs, "COMPOSIO_REMOTE_BASH_TOOL", map[string]any{"command": "cat report.txt; echo; cat " + path}, nil)
	d := env["data"].(map[string]any)
	if isErr || d["stdout"] != "r\n[{\"id\":1,\"name\":\"rex\"}]" || d["exit_code"] != float64(0) || d["stdoutLines"] != float64(2) {
		t.Errorf("bash: %v", env)
	}
	if got := py(t, cs, fmt.Sprintf("import json\njson.load(open(%q))[0]['name']", path)); got["results"] != "'rex'" {
		t.Errorf("python reading the offloaded response: %v", got)
	}
}

func TestWorkbenchSampling(t *testing.T) {
	// Sampling in the middle of a tool call is possible up to protocol 2025-11-25 (later versions need multi
	// round-trip requests, and invoke_llm says so).
	cs := connectWorkbench(t, config.Workbench{}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			prompt := req.Params.Messages[0].Content.(*mcp.TextContent).Text
			return &mcp.CreateMessageResult{Role: "assistant", Model: "test", Content: &mcp.TextContent{Text: "echo: " + prompt}}, nil
		},
	}, "2025-11-25")
	if d := py(t, cs, "invoke_llm('hello')"); d["results"] != "'echo: hello'" {
		t.Errorf("invoke_llm with sampling: %v", d)
	}
	latest := connectWorkbench(t, config.Workbench{}, &mcp.ClientOptions{
		CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return nil, fmt.Errorf("must not be called")
		},
	}, "")
	if d := py(t, latest, "invoke_llm('hello')"); !strings.Contains(fmt.Sprint(d["error"]), "multi round-trip") {
		t.Errorf("invoke_llm on the latest protocol: %v", d)
	}
}

func TestWorkbenchUnsandboxedWarns(t *testing.T) {
	cs := connectWorkbench(t, config.Workbench{Sandbox: "none"}, nil, "")
	d := py(t, cs, "1 + 1")
	if d["results"] != "2" || !strings.Contains(fmt.Sprint(d["warning"]), "without isolation") {
		t.Errorf("python: %v", d)
	}
	env, _ := call(t, cs, "COMPOSIO_REMOTE_BASH_TOOL", map[string]any{"command": "echo hi"}, nil)
	if d := env["data"].(map[string]any); d["stdout"] != "hi\n" || !strings.Contains(fmt.Sprint(d["warning"]), "without isolation") {
		t.Errorf("bash: %v", env)
	}
}

// BenchmarkRunComposioTool compares a tool call from workbench code (run_composio_tool, 100 per cell) with the
// same call through MULTI_EXECUTE; the difference per call is the call-back's overhead.
func BenchmarkRunComposioTool(b *testing.B) {
	cs := connectWorkbench(b, config.Workbench{}, nil, "")
	ctx := context.Background()
	b.Run("run_composio_tool", func(b *testing.B) {
		for b.Loop() {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "COMPOSIO_REMOTE_WORKBENCH", Arguments: map[string]any{
				"code_to_execute": "for i in range(100):\n    d, e = run_composio_tool('PETSTORE_GETPET', {'petId': '1'})\n    assert e is None, e"}})
			if err != nil || res.IsError {
				b.Fatal(err, res)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/toolcall")
	})
	b.Run("multi_execute", func(b *testing.B) {
		for b.Loop() {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "COMPOSIO_MULTI_EXECUTE_TOOL", Arguments: map[string]any{
				"tools": []any{map[string]any{"tool_slug": "PETSTORE_GETPET", "arguments": map[string]any{"petId": "1"}}}}})
			if err != nil || res.IsError {
				b.Fatal(err, res)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/toolcall")
	})
}
