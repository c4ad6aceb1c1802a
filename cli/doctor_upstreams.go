package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/toolmux/toolmux/session"
	"github.com/toolmux/toolmux/tools/mcpproxy"
)

// doctorUpstreams checks every upstream MCP server of the config: it starts the ones that loaded (a cached tool list
// loads without starting them) and pings them, and shows each one's tool list and the last error any toolmux
// process recorded for it.
func doctorUpstreams(ctx context.Context, r *doctorReport, e *env, cat *session.Catalog) {
	statuses, err := session.UpstreamStatuses(ctx, e.cfg, e.db)
	if err != nil {
		r.fail("upstreams", err.Error(), "")
		return
	}
	for _, s := range statuses {
		what := "upstream " + s.Toolkit
		last := ""
		if s.Recorded.LastError != "" {
			last = fmt.Sprintf("; last error %s ago: %s", time.Since(s.Recorded.LastErrorAt).Round(time.Second), s.Recorded.LastError)
		}
		cached := "no cached tool list"
		if s.Cached >= 0 {
			cached = fmt.Sprintf("%d tools cached", s.Cached)
		}
		u := cat.Upstream(s.Toolkit)
		if u == nil {
			r.fail(what, fmt.Sprintf("%s: not loaded (%s)%s", s.Target, cached, last),
				"run the command yourself to see its error, fix the [[toolkits]] entry of "+s.Toolkit+" in "+e.cfg.File())
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		start := time.Now()
		err := u.Ping(pctx)
		cancel()
		st := u.Status()
		if err != nil {
			r.fail(what, fmt.Sprintf("%s: %s, %s: %v", s.Target, st.State, cached, err),
				"run the command yourself to see its error, fix the [[toolkits]] entry of "+s.Toolkit+" in "+e.cfg.File())
			continue
		}
		detail := fmt.Sprintf("%s: %s (answered in %s), %s%s", s.Target, st.State, time.Since(start).Round(time.Millisecond), cached, last)
		if st.State != mcpproxy.StateRunning {
			r.warn(what, detail, "")
			continue
		}
		r.ok(what, detail)
	}
}
