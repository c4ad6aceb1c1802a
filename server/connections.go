package server

// This file is COMPOSIO_MANAGE_CONNECTIONS: connection status per toolkit and local connect links for what is
// missing (the auth package's Manager does the work; this file adapts it to MCP). Decisions:
//   - A client that declares URL-mode elicitation is also offered each new link that way (one elicitation per
//     link, id "el_…"), as a multi round-trip result: the first round answers with the elicitations and a request
//     state, the retried call (the SDK does it for older protocol versions) carries the answers and gets the
//     result. The link stays in the result either way, since a client may decline.
//   - When an account of the session's user turns ACTIVE (through any flow in this process), every client gets a
//     log message, an elicitation that offered its link gets notifications/elicitation/complete, and the directly
//     listed toolkit tools are recomputed: a change (serve.hide_unconnected) adds or removes tools, which makes the
//     SDK send notifications/tools/list_changed.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/auth"
	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/store"
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

// connWatch tells a server's clients about connections that turn ACTIVE. Create it with newConnWatch, then set srv.
// It listens to the Manager only while a client is attached (from its initialized notification, or its first
// MANAGE_CONNECTIONS call), so a server whose clients are gone leaves nothing behind in a shared Manager.
type connWatch struct {
	srv    *mcp.Server
	s      *session.Session
	noMeta bool
	log    *slog.Logger

	mu       sync.Mutex
	attached map[*mcp.ServerSession]bool
	remove   func() // unregisters the Manager listener
	// removeCat unregisters the catalog listener.
	removeCat func()
	// listed holds the toolkit tools registered on srv, by slug.
	listed map[string]*tools.Tool
	// elicited maps an account id to the elicitation that offered its link.
	elicited map[string]elicitation
	// pending holds MANAGE_CONNECTIONS answers waiting for the client's elicitation answers, by request state.
	pending map[string]*pendingOffer
}

type elicitation struct {
	id string
	ss *mcp.ServerSession
}

func newConnWatch(s *session.Session, noMeta bool, log *slog.Logger) *connWatch {
	return &connWatch{s: s, noMeta: noMeta, log: log, listed: map[string]*tools.Tool{}, elicited: map[string]elicitation{},
		pending: map[string]*pendingOffer{}, attached: map[*mcp.ServerSession]bool{}}
}

// listenCatalog relists the toolkit tools after each change of the catalog's tools (an upstream MCP server's new
// list), until the last attached client has gone.
func (w *connWatch) listenCatalog() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.removeCat = w.s.OnCatalogChange(func() { w.resync(context.Background()) })
}

// start records the toolkit tools New registered.
func (w *connWatch) start(listed []*tools.Tool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range listed {
		w.listed[t.Slug] = t
	}
}

// attach listens for accounts turning ACTIVE (when the session's connections are managed by auth) until ss and
// every other attached client has gone; then the catalog listener listenCatalog set goes too.
func (w *connWatch) attach(ss *mcp.ServerSession) {
	if ss == nil {
		return
	}
	m, ok := w.s.Connections().(*auth.Manager)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.attached[ss] {
		return
	}
	w.attached[ss] = true
	if ok && w.remove == nil {
		w.remove = m.OnActive(w.active)
		// With a fixed connect.port, serve the links other processes made (say, before the client restarted).
		if err := m.ConnectServer().Listen(); err != nil {
			w.log.Warn("could not start the connect server", "err", err)
		}
	}
	go func() {
		_ = ss.Wait()
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.attached, ss)
		for id, el := range w.elicited {
			if el.ss == ss {
				delete(w.elicited, id)
			}
		}
		if len(w.attached) == 0 && w.remove != nil {
			w.remove()
			w.remove = nil
		}
		if len(w.attached) == 0 && w.removeCat != nil {
			w.removeCat()
			w.removeCat = nil
		}
	}()
}

// activeNoticeTimeout bounds the notifications sent for one account.
const activeNoticeTimeout = 30 * time.Second

func (w *connWatch) active(a store.ConnectedAccount) {
	if a.UserID != w.s.UserID() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), activeNoticeTimeout)
	defer cancel()
	msg := fmt.Sprintf("%s connected", a.Toolkit)
	if a.Label != "" {
		msg += " as " + a.Label
	}
	msg += fmt.Sprintf(" (account %s", a.ID)
	if a.Alias != "" {
		msg += ", alias " + a.Alias
	}
	msg += ", user " + a.UserID + "); its tools now run with this account"
	w.mu.Lock()
	var clients []*mcp.ServerSession
	for ss := range w.attached {
		clients = append(clients, ss)
	}
	w.mu.Unlock()
	for _, ss := range clients {
		if err := ss.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Logger: "toolmux", Data: msg}); err != nil {
			w.log.Debug("could not send the connection log message", "err", err)
		}
	}
	w.mu.Lock()
	el, ok := w.elicited[a.ID]
	delete(w.elicited, a.ID)
	w.mu.Unlock()
	if ok {
		if err := el.ss.NotifyElicitationComplete(ctx, &mcp.ElicitationCompleteParams{ElicitationID: el.id}); err != nil {
			w.log.Debug("could not send elicitation/complete", "err", err)
		}
	}
	w.resync(ctx)
}

// resync registers the toolkit tools the session now lists directly (again, for a tool whose definition changed)
// and removes the ones it no longer lists; the SDK sends notifications/tools/list_changed when that changed
// anything.
func (w *connWatch) resync(ctx context.Context) {
	want, err := w.s.ExposedTools(ctx, w.noMeta)
	if err != nil {
		w.log.Warn("could not recompute the listed tools", "err", err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	keep := map[string]bool{}
	for _, t := range want {
		keep[t.Slug] = true
		if old := w.listed[t.Slug]; old == nil || (old != t && !sameDefinition(old, t)) {
			addToolkitTool(w.srv, w.s, t)
		}
		w.listed[t.Slug] = t
	}
	var gone []string
	for slug := range w.listed {
		if !keep[slug] {
			gone = append(gone, slug)
			delete(w.listed, slug)
		}
	}
	if len(gone) > 0 {
		w.srv.RemoveTools(gone...)
	}
}

// sameDefinition reports whether two versions of a tool are listed alike (name, description, schema, annotations).
func sameDefinition(a, b *tools.Tool) bool {
	return a.Name == b.Name && a.Description == b.Description && bytes.Equal(a.InputSchema, b.InputSchema) &&
		a.Annotations == b.Annotations
}

// supportsURLElicitation reports whether the client declared URL-mode elicitation.
func supportsURLElicitation(ss *mcp.ServerSession) bool {
	if ss == nil {
		return false
	}
	p := ss.InitializeParams()
	return p != nil && p.Capabilities != nil && p.Capabilities.Elicitation != nil && p.Capabilities.Elicitation.URL != nil
}

// pendingOffer is a MANAGE_CONNECTIONS answer held while the client answers its URL elicitations: the retried call
// names it by its request state, an unguessable single-use key (the links never leave this process in it).
type pendingOffer struct {
	res     *auth.ManageResult
	wait    time.Duration
	offered map[string]string // elicitation id → toolkit
	expires time.Time
}

// offerLinks turns res's new links into URL-mode elicitations: the input requests of a multi round-trip result,
// and the request state that resumes the call once the client answered them. ok is false when there is no link.
func (w *connWatch) offerLinks(ss *mcp.ServerSession, res *auth.ManageResult, wait time.Duration) (*mcp.CallToolResult, bool) {
	reqs := mcp.InputRequestMap{}
	p := &pendingOffer{res: res, wait: wait, offered: map[string]string{}, expires: time.Now().Add(auth.LinkTTL)}
	w.mu.Lock()
	defer w.mu.Unlock()
	for toolkit, r := range res.Results {
		if r.Status != auth.StatusInitiated || r.RedirectURL == "" {
			continue
		}
		id := "el_" + strings.ToLower(rand.Text()[:20])
		what := "approve access at the provider"
		if r.AuthScheme != tools.SchemeOAuth2 {
			what = "enter the credentials on the page"
		}
		reqs[id] = &mcp.ElicitParams{Mode: "url", ElicitationID: id, URL: r.RedirectURL,
			Message: fmt.Sprintf("Connect your %s account for toolmux (user %s): open this local page and %s. It works once, for %s.",
				toolkit, w.s.UserID(), what, auth.LinkTTL)}
		p.offered[id] = toolkit
		w.elicited[r.ConnectedAccountID] = elicitation{id: id, ss: ss}
	}
	if len(reqs) == 0 {
		return nil, false
	}
	now := time.Now()
	for k, old := range w.pending {
		if now.After(old.expires) {
			delete(w.pending, k)
		}
	}
	state := "mc_" + rand.Text()
	w.pending[state] = p
	return &mcp.CallToolResult{InputRequests: reqs, RequestState: state}, true
}

// resumeOffer takes the held answer named by state and records the client's answers to its elicitations; nil when
// state names nothing (expired, already used, or forged).
func (w *connWatch) resumeOffer(state string, answers mcp.InputResponseMap) *pendingOffer {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.pending[state]
	delete(w.pending, state)
	if !ok || time.Now().After(p.expires) {
		return nil
	}
	for id, toolkit := range p.offered {
		r := p.res.Results[toolkit]
		action := "cancel"
		if er, ok := answers[id].(*mcp.ElicitResult); ok && er.Action != "" {
			action = er.Action
		}
		r.Elicitation = action
		if action == "accept" {
			r.Instructions = fmt.Sprintf("The user was shown the link through the client and chose to open it; call again with wait_seconds to wait until they finish connecting %s. If they did not see it, show them %s.", toolkit, r.RedirectURL)
			continue
		}
		delete(w.elicited, r.ConnectedAccountID)
		r.Instructions = fmt.Sprintf("The user was offered the link and answered %q; ask them whether to connect %s. %s", action, toolkit, r.Instructions)
	}
	return p
}

// addConnectionTools registers PREFIX_MANAGE_CONNECTIONS when the session's connections are managed by auth.
func addConnectionTools(srv *mcp.Server, s *session.Session, prefix string, w *connWatch) {
	m, ok := s.Connections().(*auth.Manager)
	if !ok {
		return
	}
	addTypedTool(srv, &mcp.Tool{
		Name:        prefix + "_MANAGE_CONNECTIONS",
		InputSchema: metaSchema[manageIn]("MANAGE_CONNECTIONS", map[string][2]int{"toolkits": {1, 20}, "wait_seconds": {0, int(auth.MaxWait.Seconds())}}),
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
		w.attach(req.Session)
		wait := time.Duration(in.WaitSeconds) * time.Second
		var res *auth.ManageResult
		if state := req.Params.RequestState; state != "" {
			// The client answered the elicitations of the first round: finish that call.
			if p := w.resumeOffer(state, req.Params.InputResponses); p != nil {
				res = p.res
				m.Wait(ctx, res, p.wait)
			}
		}
		if res == nil {
			res, err = m.Manage(ctx, kits, in.ReinitiateAll, 0)
			if err != nil {
				return reply(s, nil, err)
			}
			if req.Params.RequestState == "" && supportsURLElicitation(req.Session) {
				if offer, ok := w.offerLinks(req.Session, res, wait); ok {
					return offer, nil, nil
				}
			}
			m.Wait(ctx, res, wait)
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
