package mcpproxy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Downstream is the MCP client a tool call came from. Progress and log notifications an upstream sends during the
// call are forwarded to it, and so are the upstream's sampling and elicitation requests when the client supports
// them. One Downstream serves one client request (a multi-execute) and may be shared by its concurrent calls.
type Downstream struct {
	// Session is the client's session.
	Session *mcp.ServerSession
	// ProgressToken is the token of the client's request; nil when it asked for no progress.
	ProgressToken any

	mu   sync.Mutex
	last float64
}

type downstreamKey struct{}

// WithDownstream returns ctx carrying d; Execute forwards the upstream's notifications and requests to d.
func WithDownstream(ctx context.Context, d *Downstream) context.Context {
	return context.WithValue(ctx, downstreamKey{}, d)
}

func downstreamFrom(ctx context.Context) *Downstream {
	d, _ := ctx.Value(downstreamKey{}).(*Downstream)
	return d
}

// mrtrProtocol is the first protocol version without server-initiated requests during a call (SEP-2322).
const mrtrProtocol = "2026-07-28"

// progressStep is how far a forwarded upstream notification advances the client's progress value, which the
// protocol requires to increase with every notification of one token.
const progressStep = 1.0 / 1024

// Progress sends a progress notification on the client's token. progress is raised just above the last value sent
// when it would not increase, so notifications of several calls and the multi-execute's own count interleave
// without breaking the protocol's rule. Nothing is sent without a token.
func (d *Downstream) Progress(ctx context.Context, progress, total float64, message string) {
	if d == nil || d.Session == nil || d.ProgressToken == nil {
		return
	}
	d.mu.Lock()
	if progress <= d.last {
		progress = d.last + progressStep
	}
	d.last = progress
	d.mu.Unlock()
	if total > 0 && progress > total {
		total = 0 // an unknown total is better than one the value already passed
	}
	_ = d.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
		ProgressToken: d.ProgressToken, Progress: progress, Total: total, Message: message,
	})
}

// forwardProgress reports an upstream call's progress to its client.
func (d *Downstream) forwardProgress(ctx context.Context, slug string, p *mcp.ProgressNotificationParams) {
	msg := p.Message
	if p.Total > 0 {
		msg = fmt.Sprintf("%s: %g of %g %s", slug, p.Progress, p.Total, msg)
	} else {
		msg = fmt.Sprintf("%s: %g %s", slug, p.Progress, msg)
	}
	d.mu.Lock()
	last := d.last
	d.mu.Unlock()
	d.Progress(ctx, last, 0, trimSpace(msg))
}

func trimSpace(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// inflight is one call in progress on the upstream.
type inflight struct {
	slug string
	down *Downstream
}

// logLinger is how long after its last call a client still receives the upstream's log messages: a message the
// upstream wrote just before its result may be handled after the call returned.
const logLinger = 2 * time.Second

// target returns the one client the upstream's unsolicited messages belong to: the client of every call in flight
// when they all come from one, else the client of the last call if it ended less than logLinger ago. Messages of an
// upstream shared by several clients at once go to none of them, never to the wrong one.
func (c *Client) target() *Downstream {
	c.mu.Lock()
	defer c.mu.Unlock()
	var d *Downstream
	for _, f := range c.inflight {
		if f.down == nil {
			continue
		}
		if d != nil && d.Session != f.down.Session {
			return nil
		}
		d = f.down
	}
	if d == nil && c.lastDown != nil && time.Since(c.lastDownAt) < logLinger {
		d = c.lastDown
	}
	return d
}

func (c *Client) clientOptions() *mcp.ClientOptions {
	return &mcp.ClientOptions{
		ToolListChangedHandler: func(ctx context.Context, req *mcp.ToolListChangedRequest) {
			c.scheduleRefresh(req.Session)
		},
		ProgressNotificationHandler: func(ctx context.Context, req *mcp.ProgressNotificationClientRequest) {
			tok, _ := req.Params.ProgressToken.(string)
			c.mu.Lock()
			f := c.inflight[tok]
			c.mu.Unlock()
			if f == nil || f.down == nil {
				return
			}
			f.down.forwardProgress(ctx, f.slug, req.Params)
		},
		LoggingMessageHandler: func(ctx context.Context, req *mcp.LoggingMessageRequest) {
			d := c.target()
			if d == nil || d.Session == nil {
				c.log.Debug("upstream log message", "level", req.Params.Level, "data", req.Params.Data)
				return
			}
			p := *req.Params
			if p.Logger == "" {
				p.Logger = c.cfg.Toolkit
			} else {
				p.Logger = c.cfg.Toolkit + "/" + p.Logger
			}
			_ = d.Session.Log(ctx, &p)
		},
		CreateMessageHandler: func(ctx context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			d, err := c.requestTarget("sampling", func(caps *mcp.ClientCapabilities) bool { return caps.Sampling != nil })
			if err != nil {
				return nil, err
			}
			return d.Session.CreateMessage(ctx, req.Params)
		},
		ElicitationHandler: func(ctx context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			d, err := c.requestTarget("elicitation", func(caps *mcp.ClientCapabilities) bool { return caps.Elicitation != nil })
			if err != nil {
				return nil, err
			}
			return d.Session.Elicit(ctx, req.Params)
		},
	}
}

// requestTarget returns the client to forward an upstream's sampling or elicitation request to, or the error the
// upstream gets when there is none or it does not support the feature.
func (c *Client) requestTarget(what string, supports func(*mcp.ClientCapabilities) bool) (*Downstream, error) {
	d := c.target()
	if d == nil || d.Session == nil {
		return nil, fmt.Errorf("toolmux cannot forward this %s request: it came outside a tool call of a single client", what)
	}
	p := d.Session.InitializeParams()
	if p == nil || p.Capabilities == nil || !supports(p.Capabilities) {
		return nil, errors.New("the client connected to toolmux does not support " + what)
	}
	if p.ProtocolVersion >= mrtrProtocol {
		// From this version on a server may not send requests during a call; the client expects them embedded in
		// an input-required result (multi round-trip requests), which a multi-execute does not relay.
		return nil, fmt.Errorf("the client connected to toolmux speaks MCP %s, where %s requests during a tool call are not relayed", p.ProtocolVersion, what)
	}
	return d, nil
}
