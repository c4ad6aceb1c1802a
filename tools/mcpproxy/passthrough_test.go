package mcpproxy

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/tools"
)

// downstreamClient is an MCP client of a go-sdk server whose one tool, "run", executes an upstream tool through the
// proxy with the client as its Downstream, the way the multi-execute meta tool does.
type downstreamClient struct {
	sess     *mcp.ClientSession
	mu       sync.Mutex
	progress []string
	logs     []string
	sampled  int
	elicited int
}

type runIn struct {
	Slug string         `json:"slug"`
	Args map[string]any `json:"args"`
}

func newDownstream(t *testing.T, c *Client, tk *tools.Toolkit, capable bool, protocol string) *downstreamClient {
	t.Helper()
	ctx := ctxT(t)
	srv := mcp.NewServer(&mcp.Implementation{Name: "toolmux-under-test"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "run"}, func(ctx context.Context, req *mcp.CallToolRequest, in runIn) (*mcp.CallToolResult, any, error) {
		ctx = WithDownstream(ctx, &Downstream{Session: req.Session, ProgressToken: req.Params.GetProgressToken()})
		res, err := c.Execute(ctx, tools.Call{Tool: findTool(t, tk, in.Slug), Arguments: in.Args})
		if err != nil {
			return nil, nil, err
		}
		b, _ := json.Marshal(res.Data)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}}, nil, nil
	})
	d := &downstreamClient{}
	opts := &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			d.mu.Lock()
			d.progress = append(d.progress, req.Params.Message)
			d.mu.Unlock()
		},
		LoggingMessageHandler: func(_ context.Context, req *mcp.LoggingMessageRequest) {
			d.mu.Lock()
			d.logs = append(d.logs, req.Params.Logger+": "+mustJSON(t, req.Params.Data))
			d.mu.Unlock()
		},
	}
	if capable {
		opts.CreateMessageHandler = func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			d.mu.Lock()
			d.sampled++
			d.mu.Unlock()
			return &mcp.CreateMessageResult{Model: "test-model", Role: "assistant", Content: &mcp.TextContent{Text: "sampled by the client"}}, nil
		}
		opts.ElicitationHandler = func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			d.mu.Lock()
			d.elicited++
			d.mu.Unlock()
			return &mcp.ElicitResult{Action: "decline"}, nil
		}
	}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	d.sess, err = mcp.NewClient(&mcp.Implementation{Name: "agent"}, opts).Connect(ctx, ct, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.sess.Close() })
	if err := d.sess.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "debug"}); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *downstreamClient) run(t *testing.T, slug string, args map[string]any, progressToken any) (string, bool) {
	t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	p := &mcp.CallToolParams{Name: "run", Arguments: runIn{Slug: slug, Args: args}}
	if progressToken != nil {
		p.SetProgressToken(progressToken)
	}
	res, err := d.sess.CallTool(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	return contentText(res.Content), res.IsError
}

// TestPassThrough: progress and log notifications of the real server-everything reach the client of the call, and
// its sampling and elicitation requests are forwarded to a client that supports them and refused otherwise.
func TestPassThrough(t *testing.T) {
	c := everything(t)
	ctx := ctxT(t)
	if _, err := c.List(ctx); err != nil {
		t.Fatal(err)
	}
	// The conditional tools (sampling, elicitation) are registered after initialize; list again to see them.
	sess, _, _, err := c.session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := c.list(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	// Clients of today speak 2025-11-25, where a server may send requests during a call.
	d := newDownstream(t, c, tk, true, "2025-11-25")

	t.Run("progress", func(t *testing.T) {
		text, isErr := d.run(t, "EVERYTHING_TRIGGER_LONG_RUNNING_OPERATION", map[string]any{"duration": 2, "steps": 4}, "tok-1")
		if isErr {
			t.Fatal(text)
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		// The last step's notification may be handled after the result, when the call is over; the others arrive.
		if len(d.progress) < 3 || !strings.Contains(d.progress[0], "EVERYTHING_TRIGGER_LONG_RUNNING_OPERATION: 1 of 4") {
			t.Fatalf("progress notifications = %q, want at least 3 naming the tool", d.progress)
		}
	})
	t.Run("logging", func(t *testing.T) {
		if text, isErr := d.run(t, "EVERYTHING_TOGGLE_SIMULATED_LOGGING", nil, nil); isErr {
			t.Fatal(text)
		}
		// The first simulated message is sent at once, the next ones every 5 s, each at a random level that the
		// server drops when it is below the level the client set (a debug message, one time in eight). Whether it
		// is written before or after the result, it is forwarded while the call is recent: wait for one by calling
		// again (a cheap round trip) for up to 12 s, past the second message.
		simulated := func() bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			for _, l := range d.logs {
				if strings.HasPrefix(l, "everything") && strings.Contains(strings.ToLower(l), "level") {
					return true
				}
			}
			return false
		}
		for deadline := time.Now().Add(12 * time.Second); time.Now().Before(deadline) && !simulated(); {
			d.run(t, "EVERYTHING_ECHO", map[string]any{"message": "tick"}, nil)
			time.Sleep(100 * time.Millisecond)
		}
		if !simulated() {
			t.Fatalf("log messages = %q, want a simulated one labelled with the toolkit", d.logs)
		}
	})
	t.Run("sampling", func(t *testing.T) {
		text, isErr := d.run(t, "EVERYTHING_TRIGGER_SAMPLING_REQUEST", map[string]any{"prompt": "hi", "maxTokens": 10}, nil)
		if isErr || !strings.Contains(text, "sampled by the client") || d.sampled != 1 {
			t.Fatalf("result %q (isError %v), sampled %d times", text, isErr, d.sampled)
		}
	})
	t.Run("elicitation", func(t *testing.T) {
		text, isErr := d.run(t, "EVERYTHING_TRIGGER_ELICITATION_REQUEST", nil, nil)
		if isErr || !strings.Contains(text, "decline") || d.elicited != 1 {
			t.Fatalf("result %q (isError %v), elicited %d times", text, isErr, d.elicited)
		}
	})
	for _, tc := range []struct {
		name, protocol, want string
		capable              bool
	}{
		{"client without sampling", "2025-11-25", "does not support sampling", false},
		{"client on the multi round-trip protocol", "2026-07-28", "are not relayed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := newDownstream(t, c, tk, tc.capable, tc.protocol)
			text, isErr := other.run(t, "EVERYTHING_TRIGGER_SAMPLING_REQUEST", map[string]any{"prompt": "hi", "maxTokens": 10}, nil)
			if !isErr || !strings.Contains(text, tc.want) || other.sampled != 0 {
				t.Fatalf("result %q (isError %v), want the upstream's error carrying ours: %s", text, isErr, tc.want)
			}
		})
	}
}
