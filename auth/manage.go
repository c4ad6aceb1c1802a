package auth

// This file is the logic of COMPOSIO_MANAGE_CONNECTIONS: per toolkit, report the connection, or hand out a connect
// link for what is missing, and optionally wait (bounded) for the user to finish.

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// MaxWait bounds ManageRequest.Wait.
const MaxWait = 5 * time.Minute

// ConnectionResult is one toolkit's entry in a ManageResult (the DESIGN §4 shape).
type ConnectionResult struct {
	Status             string `json:"status"`
	ConnectedAccountID string `json:"connected_account_id,omitempty"`
	Alias              string `json:"alias,omitempty"`
	// Label is the account's own name at the provider (a GitHub login), when its "who am I" call answered.
	Label       string `json:"label,omitempty"`
	AuthScheme  string `json:"auth_scheme,omitempty"`
	RedirectURL string `json:"redirect_url,omitempty"`
	UserCode    string `json:"user_code,omitempty"`
	// Elicitation is the client's answer when the link was also offered through URL-mode elicitation ("accept",
	// "decline" or "cancel").
	Elicitation  string `json:"elicitation,omitempty"`
	Instructions string `json:"instructions"`
}

// ManageSummary counts a ManageResult's statuses.
type ManageSummary struct {
	TotalToolkits        int `json:"total_toolkits"`
	ActiveConnections    int `json:"active_connections"`
	InitiatedConnections int `json:"initiated_connections"`
	FailedConnections    int `json:"failed_connections"`
}

// ManageResult is the answer to a manage-connections request.
type ManageResult struct {
	Results map[string]*ConnectionResult `json:"results"`
	Summary ManageSummary                `json:"summary"`
	Message string                       `json:"message"`
}

// Manage reports each toolkit's connection and creates a connect link for each one that is not ACTIVE (for every
// one with reinitiate). With wait > 0 it then waits, at most MaxWait, until every link was completed or failed.
func (m *Manager) Manage(ctx context.Context, kits []*tools.Toolkit, reinitiate bool, wait time.Duration) (*ManageResult, error) {
	out := &ManageResult{Results: map[string]*ConnectionResult{}}
	for _, tk := range kits {
		r, err := m.manageOne(ctx, tk, reinitiate)
		if err != nil {
			r = &ConnectionResult{Status: StatusFailed, Instructions: err.Error()}
		}
		out.Results[tk.Slug] = r
	}
	m.Wait(ctx, out, wait)
	return out, nil
}

// Wait waits, at most MaxWait, until every INITIATED link in out was completed or failed (not at all when wait is
// 0), then recomputes out's summary and message.
func (m *Manager) Wait(ctx context.Context, out *ManageResult, wait time.Duration) {
	if wait > MaxWait {
		wait = MaxWait
	}
	if wait > 0 {
		m.wait(ctx, out, wait)
	}
	out.Summary = ManageSummary{TotalToolkits: len(out.Results)}
	for _, r := range out.Results {
		switch r.Status {
		case StatusActive:
			out.Summary.ActiveConnections++
		case StatusInitiated:
			out.Summary.InitiatedConnections++
		case StatusFailed, StatusExpired:
			out.Summary.FailedConnections++
		}
	}
	s := out.Summary
	out.Message = fmt.Sprintf("%d of %d toolkits connected", s.ActiveConnections, s.TotalToolkits)
	if s.InitiatedConnections > 0 {
		out.Message += fmt.Sprintf("; %d waiting for the user: show them each redirect_url (a local page; it works once and expires in %s), then call this tool again with wait_seconds to wait for them", s.InitiatedConnections, LinkTTL)
	}
	if n := m.secrets.Notice(); n != "" {
		out.Message += ". Note: " + n
	}
}

func (m *Manager) manageOne(ctx context.Context, tk *tools.Toolkit, reinitiate bool) (*ConnectionResult, error) {
	// Asking about connections is when a keyring: reference of the config is worth reading: the status then says
	// whether calls will find it, and a missing one gets a link.
	m.static.resolve(ctx, tk.Slug)
	active, status, msg := m.Status(ctx, m.user, tk)
	acct, chooseErr := m.choose(ctx, tk.Slug, "")
	if active && !reinitiate {
		r := &ConnectionResult{Status: StatusActive, Instructions: msg}
		if chooseErr == nil {
			r.ConnectedAccountID, r.Alias, r.Label, r.AuthScheme = acct.ID, acct.Alias, acct.Label, acct.AuthScheme
		}
		return r, nil
	}
	scheme := m.linkScheme(ctx, tk)
	alias := ""
	if chooseErr == nil {
		// Reconnect the selected account in place, the same way unless OAuth2 is now possible.
		alias = acct.Alias
		if scheme != tools.SchemeOAuth2 {
			scheme = acct.AuthScheme
		}
	} else if stale := m.latestStale(ctx, tk.Slug); stale != nil {
		alias = stale.Alias
	} else if needsNoAuth(tk) {
		return &ConnectionResult{Status: StatusActive, AuthScheme: tools.SchemeNoAuth, Instructions: "no credentials needed"}, nil
	}
	link, err := m.ConnectServer().NewLink(ctx, tk.Slug, alias, scheme)
	if err != nil {
		return nil, err
	}
	what := "approve access at the provider"
	if scheme != tools.SchemeOAuth2 {
		what = "paste " + map[string]string{tools.SchemeAPIKey: "an API key", tools.SchemeBearerToken: "a token", tools.SchemeBasic: "a user name and password"}[scheme]
	}
	_ = status
	return &ConnectionResult{Status: StatusInitiated, ConnectedAccountID: link.Account.ID, Alias: link.Account.Alias,
		AuthScheme: scheme, RedirectURL: link.URL,
		Instructions: fmt.Sprintf("Ask the user to open %s in a browser on this machine and %s (for user %s). Was: %s", link.URL, what, m.user, msg)}, nil
}

// linkScheme picks how a toolkit is connected through a link: OAuth2 when the toolkit has it and a client id is
// configured, else the toolkit's secret scheme (a personal token for an OAuth2-only API).
func (m *Manager) linkScheme(ctx context.Context, tk *tools.Toolkit) string {
	hasOAuth := slices.ContainsFunc(tk.AuthSchemes, func(s tools.AuthScheme) bool { return s.Scheme == tools.SchemeOAuth2 })
	if hasOAuth {
		// The client secret is not read to decide: NewLink reads it, and a missing one fails with the reference and
		// the command that stores it rather than silently turning into a form for a personal token.
		if oc, err := m.oauthConfig(ctx, tk.Slug, "", false); err == nil && oc.Endpoint.AuthURL != "" {
			return tools.SchemeOAuth2
		}
	}
	return suggestedScheme(tk)
}

// wait polls the INITIATED accounts until none is left or wait passes.
func (m *Manager) wait(ctx context.Context, out *ManageResult, wait time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		pending := 0
		for _, r := range out.Results {
			if r.Status != StatusInitiated {
				continue
			}
			a, err := m.db.ConnectedAccount(ctx, r.ConnectedAccountID)
			if err != nil {
				pending++
				continue
			}
			switch a.Status {
			case store.AccountActive:
				r.Status, r.RedirectURL, r.Label, r.Instructions = StatusActive, "", a.Label, "connected"
				if a.Label != "" {
					r.Instructions += " as " + a.Label
				}
			case store.AccountFailed, store.AccountExpired:
				r.Status, r.RedirectURL, r.Instructions = StatusFailed, "", a.StatusReason+"; call again with reinitiate_all for a new link"
			default:
				pending++
			}
		}
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
