package server

// This file is COMPOSIO_MANAGE_CONNECTIONS: connection status per toolkit and local connect links for what is
// missing (the auth package's Manager does the work; this file adapts it to MCP).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/tools"
)

type manageIn struct {
	Toolkits      []string    `json:"toolkits" jsonschema:"toolkit slugs to check or connect, e.g. [\"github\"]"`
	ReinitiateAll bool        `json:"reinitiate_all,omitempty" jsonschema:"make a new connect link even for toolkits that are connected"`
	WaitSeconds   int         `json:"wait_seconds,omitempty" jsonschema:"wait up to this many seconds for the user to finish connecting (max 300)"`
	Session       *sessionRef `json:"session,omitempty"`
	SessionID     string      `json:"session_id,omitempty"`
}

type manageData struct {
	*auth.ManageResult
	Session session.Info `json:"session"`
}

// addConnectionTools registers PREFIX_MANAGE_CONNECTIONS when the session's connections are managed by auth.
func addConnectionTools(srv *mcp.Server, s *session.Session, prefix string) {
	m, ok := s.Connections().(*auth.Manager)
	if !ok {
		return
	}
	mcp.AddTool(srv, &mcp.Tool{
		Name:        prefix + "_MANAGE_CONNECTIONS",
		InputSchema: inputSchema[manageIn](map[string][2]int{"toolkits": {1, 20}, "wait_seconds": {0, int(auth.MaxWait.Seconds())}}),
		Description: "Check and create the user's connections to toolkits. For each toolkit: ACTIVE (ready), or INITIATED " +
			"with a redirect_url, a local page where the user connects the account (OAuth approval or an API key form). " +
			"Show the user the link, then call again with wait_seconds to wait until they finish. Call it when " +
			prefix + "_SEARCH_TOOLS shows a toolkit is not connected, or a call fails for lack of credentials.",
		Annotations: &mcp.ToolAnnotations{Title: "Manage connections", OpenWorldHint: ptr(false)},
	}, func(ctx context.Context, req *mcp.CallToolRequest, in manageIn) (*mcp.CallToolResult, any, error) {
		if len(in.Toolkits) == 0 {
			return reply(s, nil, errors.New("toolkits is empty: name the toolkits to connect, e.g. [\"github\"]"))
		}
		cat, err := s.Catalog(ctx)
		if err != nil {
			return reply(s, nil, err)
		}
		known := map[string]*tools.Toolkit{}
		var slugs []string
		for _, tk := range cat.Toolkits() {
			known[tk.Slug] = tk
			slugs = append(slugs, tk.Slug)
		}
		var kits []*tools.Toolkit
		var unknown []string
		for _, slug := range in.Toolkits {
			if tk, ok := known[strings.ToLower(slug)]; ok {
				kits = append(kits, tk)
			} else {
				unknown = append(unknown, slug)
			}
		}
		onActive := func(toolkit string, r *auth.ConnectionResult) {
			if req.Session == nil {
				return
			}
			_ = req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Logger: "toolmux",
				Data: fmt.Sprintf("%s connected (account %s)", toolkit, r.ConnectedAccountID)})
		}
		res, err := m.Manage(ctx, kits, in.ReinitiateAll, time.Duration(in.WaitSeconds)*time.Second, onActive)
		if err != nil {
			return reply(s, nil, err)
		}
		for _, slug := range unknown {
			res.Results[slug] = &auth.ConnectionResult{Status: auth.StatusFailed,
				Instructions: fmt.Sprintf("no toolkit %q; loaded toolkits: %s", slug, strings.Join(slugs, ", "))}
			res.Summary.TotalToolkits++
			res.Summary.FailedConnections++
		}
		return reply(s, manageData{ManageResult: res, Session: s.Info()}, nil)
	})
}
