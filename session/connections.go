package session

// This file connects the session to the auth package's connected accounts: the status reporter, and the "who am I"
// call that names an account once it is connected (run here, since running a tool is this package's job).

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/toolmux/toolmux/store"
	"github.com/toolmux/toolmux/tools"
)

// Connections returns what reports the session's connection statuses (the auth package's Manager in a server), or
// nil. The MCP server uses it for COMPOSIO_MANAGE_CONNECTIONS.
func (s *Session) Connections() Connections { return s.connections }

// accountLabeler is implemented by the auth package's Manager: it asks for an account's label when the account
// turns ACTIVE.
type accountLabeler interface {
	SetLabeler(func(ctx context.Context, acct store.ConnectedAccount) (string, error))
}

// wireLabeler makes conns name freshly connected accounts with the toolkit's "who am I" call from this session's
// catalog.
func (s *Session) wireLabeler(conns Connections) {
	if l, ok := conns.(accountLabeler); ok {
		l.SetLabeler(func(ctx context.Context, acct store.ConnectedAccount) (string, error) {
			cat, err := s.catalog.Get(ctx)
			if err != nil {
				return "", err
			}
			return cat.AccountLabel(ctx, acct)
		})
	}
}

// AccountLabel runs acct's toolkit's "who am I" tool (tools.Toolkit.WhoAmI) with acct's credentials and returns the
// first non-empty string at one of its label paths. It returns "" and no error when the toolkit has no such call.
func (c *Catalog) AccountLabel(ctx context.Context, acct store.ConnectedAccount) (string, error) {
	var tk *tools.Toolkit
	for _, k := range c.Toolkits() {
		if k.Slug == acct.Toolkit {
			tk = k
			break
		}
	}
	if tk == nil || tk.WhoAmI == nil || len(tk.WhoAmI.Label) == 0 {
		return "", nil
	}
	t := c.Tool(tk.WhoAmI.Tool)
	if t == nil {
		return "", fmt.Errorf("%s's who-am-I tool %s is not in the catalog", tk.Slug, tk.WhoAmI.Tool)
	}
	ex := c.Executor(tk.Slug)
	if ex == nil {
		return "", fmt.Errorf("toolkit %q has no executor", tk.Slug)
	}
	args := map[string]any{}
	for k, v := range tk.WhoAmI.Arguments { // e.g. Gmail's userId "me", Drive's fields "user"
		args[k] = v
	}
	res, err := ex.Execute(ctx, tools.Call{Tool: t, Arguments: args, Account: acct.ID})
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.Slug, err)
	}
	for _, path := range tk.WhoAmI.Label {
		if v := lookupPath(res.Data, path); v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s answered without %s", t.Slug, strings.Join(tk.WhoAmI.Label, " or "))
}

// maxLabel bounds a stored label (it comes from a remote API).
const maxLabel = 200

// lookupPath follows a dotted path through decoded JSON objects and returns the string (or number) it ends at, or "".
func lookupPath(data any, path string) string {
	cur := data
	for _, key := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = obj[key]
	}
	var s string
	switch v := cur.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	case float64:
		s = fmt.Sprint(v)
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > maxLabel {
		s = s[:maxLabel]
	}
	return strings.TrimSpace(strings.ToValidUTF8(s, ""))
}

// connectedOnly drops, with HideUnconnected, the tools of toolkits whose calls would carry no credentials (their
// Connections status is not active). The server lists them once their account is connected.
func (s *Session) connectedOnly(ctx context.Context, list []*tools.Tool) []*tools.Tool {
	if !s.hideUnconn || s.connections == nil || len(list) == 0 {
		return list
	}
	cat, err := s.catalog.Get(ctx)
	if err != nil {
		return list
	}
	kits := map[string]*tools.Toolkit{}
	for _, tk := range cat.Toolkits() {
		kits[tk.Slug] = tk
	}
	active := map[string]bool{}
	out := list[:0:0]
	for _, t := range list {
		ok, seen := active[t.Toolkit]
		if !seen {
			if tk := kits[t.Toolkit]; tk != nil {
				ok, _, _ = s.connections.Status(ctx, s.user, tk)
			}
			active[t.Toolkit] = ok
		}
		if ok {
			out = append(out, t)
		}
	}
	return out
}
