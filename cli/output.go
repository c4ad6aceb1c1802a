package cli

import (
	"encoding/json"
	"time"

	"fmt"
	"github.com/toolmux/toolmux/store"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table writes aligned columns; cells are cut to keep lines readable.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(headers...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = cut(strings.Join(strings.Fields(c), " "), 80)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// sessionJSON and executionJSON are the --json shapes of store rows: snake_case like every other output, durations
// in milliseconds.
type sessionJSON struct {
	ID         string          `json:"id"`
	UserID     string          `json:"user_id"`
	CreatedAt  time.Time       `json:"created_at"`
	LastUsedAt time.Time       `json:"last_used_at"`
	Config     json.RawMessage `json:"config,omitempty"`
}

func sessionsJSON(ss []store.Session) []sessionJSON {
	out := make([]sessionJSON, len(ss))
	for i, s := range ss {
		out[i] = sessionJSON{s.ID, s.UserID, s.CreatedAt, s.LastUsedAt, s.Config}
	}
	return out
}

type executionJSON struct {
	ID            int64           `json:"id"`
	SessionID     string          `json:"session_id"`
	UserID        string          `json:"user_id"`
	ToolSlug      string          `json:"tool_slug"`
	Toolkit       string          `json:"toolkit"`
	Account       string          `json:"account,omitempty"`
	StartedAt     time.Time       `json:"started_at"`
	DurationMS    int64           `json:"duration_ms"`
	Status        string          `json:"status"`
	Error         string          `json:"error,omitempty"`
	Arguments     json.RawMessage `json:"arguments,omitempty"`
	ResponseBytes int             `json:"response_bytes"`
}

func executionsJSON(xs []store.Execution) []executionJSON {
	out := make([]executionJSON, len(xs))
	for i, x := range xs {
		out[i] = executionJSON{x.ID, x.SessionID, x.UserID, x.ToolSlug, x.Toolkit, x.Account, x.StartedAt,
			x.Duration.Milliseconds(), x.Status, x.Error, x.Arguments, x.ResponseBytes}
	}
	return out
}
