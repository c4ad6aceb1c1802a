package session

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/toolmux/toolmux/tools"
)

// SearchQuery is one use case to find tools for.
type SearchQuery struct {
	UseCase     string `json:"use_case"`
	KnownFields string `json:"known_fields,omitempty"`
}

// SearchRequest is the input of a tool search.
type SearchRequest struct {
	Queries []SearchQuery
	// Toolkits restricts the search to these toolkit slugs (within the filter).
	Toolkits []string
	// Limit bounds primary + related slugs per query (default 5, at most 20).
	Limit int
}

// QueryResult is the answer to one query.
type QueryResult struct {
	Index                int      `json:"index"`
	UseCase              string   `json:"use_case"`
	PrimaryToolSlugs     []string `json:"primary_tool_slugs"`
	RelatedToolSlugs     []string `json:"related_tool_slugs"`
	Toolkits             []string `json:"toolkits"`
	RecommendedPlanSteps []string `json:"recommended_plan_steps"`
	KnownPitfalls        []string `json:"known_pitfalls"`
}

// ToolSchema is a tool's description and, when HasFullSchema, its schemas.
type ToolSchema struct {
	Toolkit       string          `json:"toolkit"`
	ToolSlug      string          `json:"tool_slug"`
	Description   string          `json:"description"`
	InputSchema   json.RawMessage `json:"input_schema,omitempty"`
	OutputSchema  json.RawMessage `json:"output_schema,omitempty"`
	HasFullSchema bool            `json:"hasFullSchema"`
}

// ConnectionStatus says whether a toolkit can be called now.
type ConnectionStatus struct {
	Toolkit             string `json:"toolkit"`
	HasActiveConnection bool   `json:"has_active_connection"`
	Status              string `json:"status"`
	StatusMessage       string `json:"status_message"`
}

// Connections reports whether a toolkit's calls will carry credentials; the auth package implements it.
type Connections interface {
	Status(ctx context.Context, user string, tk *tools.Toolkit) (active bool, status, message string)
	// Connected returns the toolkits the user has connected (an ACTIVE account, or credentials in the config).
	// The search prefers their tools when a query names no app.
	Connected(ctx context.Context, user string) (map[string]bool, error)
}

// SearchResult is the output of a tool search.
type SearchResult struct {
	Results                   []QueryResult         `json:"results"`
	ToolkitConnectionStatuses []ConnectionStatus    `json:"toolkit_connection_statuses"`
	ToolSchemas               map[string]ToolSchema `json:"tool_schemas"`
	RestrictedToolSlugs       []string              `json:"restricted_tool_slugs"`
	Memory                    map[string][]string   `json:"memory"`
}

// MaxSearchLimit bounds SearchRequest.Limit.
const MaxSearchLimit = 20

// Bounds that keep a search response for one query near 1,500 tokens (6,000 bytes of JSON): a use case longer than
// maxUseCaseBytes is refused; descriptions are cut to a sentence or two; full input schemas are included for the
// primary tools, best first, while the query's schema budget lasts.
const (
	maxUseCaseBytes   = 4096
	primaryDescBytes  = 240
	relatedDescBytes  = 110
	schemaBudgetBytes = 2600
	// responseBudgetBytes is what a response may take per query (about 1,500 tokens) before schemas are dropped.
	responseBudgetBytes = 6000
	maxEchoedUseCase    = 300
	maxQueriesPerCall   = 7
	defaultSearchLimit  = 5
)

// Search runs the queries in parallel over the tools the session may see.
func (s *Session) Search(ctx context.Context, req SearchRequest) (*SearchResult, error) {
	if len(req.Queries) == 0 || len(req.Queries) > maxQueriesPerCall {
		return nil, fmt.Errorf("queries: give 1 to %d queries, got %d; split a longer list over several calls", maxQueriesPerCall, len(req.Queries))
	}
	for i, q := range req.Queries {
		if strings.TrimSpace(q.UseCase) == "" {
			return nil, fmt.Errorf("queries[%d].use_case is empty: describe the task, naming the app (e.g. \"create a GitHub issue\")", i)
		}
		if n := len(q.UseCase) + len(q.KnownFields); n > maxUseCaseBytes {
			return nil, fmt.Errorf("queries[%d] is %d bytes: describe the task in a sentence (under %d bytes), naming the app and the action", i, n, maxUseCaseBytes)
		}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	cat, err := s.catalog.Get(ctx)
	if err != nil {
		return nil, err
	}
	for _, tk := range req.Toolkits {
		if cat.Toolkit(tk) == nil {
			return nil, fmt.Errorf("toolkits: no toolkit %q; known toolkits: %s", tk, strings.Join(toolkitSlugs(cat), ", "))
		}
	}
	allow := func(t *tools.Tool) bool {
		return s.filter.Allows(t) && (len(req.Toolkits) == 0 || slices.ContainsFunc(req.Toolkits, func(x string) bool { return strings.EqualFold(x, t.Toolkit) }))
	}
	ix := cat.Index()
	prefer := s.connectedToolkits(ctx)
	out := &SearchResult{Results: make([]QueryResult, len(req.Queries)), ToolSchemas: map[string]ToolSchema{}}
	restricted := make([][]string, len(req.Queries))
	g, _ := errgroup.WithContext(ctx)
	for i, q := range req.Queries {
		g.Go(func() error {
			text := q.UseCase
			if q.KnownFields != "" {
				text += " " + q.KnownFields
			}
			// One search over the whole catalog usually answers both questions: the best tools the session may use,
			// and the good ones its filter hides. A tool's score does not depend on which others are allowed, so
			// the allowed hits of the unfiltered ranking are the filtered ranking; only when too few of them are
			// allowed does a filtered search look deeper.
			all := ix.SearchPreferring(text, nil, prefer, limit+3)
			var hits []tools.Hit
			for _, h := range all {
				if len(hits) < limit && allow(h.Tool) {
					hits = append(hits, h)
				}
			}
			if len(hits) < limit && len(all) == limit+3 {
				hits = ix.SearchPreferring(text, allow, prefer, limit)
			}
			out.Results[i] = s.queryResult(i, q, hits)
			// Good hits the filter hides are named so the agent is not misled into thinking they do not exist.
			best := 0.0
			if len(hits) > 0 {
				best = hits[0].Score
			}
			for _, h := range all[:min(3, len(all))] {
				if !s.filter.Allows(h.Tool) && h.Score >= best {
					restricted[i] = append(restricted[i], h.Tool.Slug)
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	toolkitsSeen := map[string]bool{}
	// Primary tools get their input schema while two budgets last: the query's own and the call's. The call's is
	// one query budget plus half a budget for each further query, so a call of seven queries carries about four
	// budgets of schemas, not seven. Each query's best tool goes first; the agent fetches the others with
	// GET_TOOL_SCHEMAS (hasFullSchema false says so).
	callBudget := schemaBudgetBytes + schemaBudgetBytes*(len(out.Results)-1)/2
	queryBudget := make([]int, len(out.Results))
	for pass := range 2 {
		for qi, r := range out.Results {
			if pass == 0 {
				queryBudget[qi] = schemaBudgetBytes
			}
			for j, slug := range r.PrimaryToolSlugs {
				if (pass == 0) != (j == 0) {
					continue
				}
				t := cat.Tool(slug)
				toolkitsSeen[t.Toolkit] = true
				if prev, ok := out.ToolSchemas[slug]; ok && prev.HasFullSchema {
					continue
				}
				ts := briefSchema(t, primaryDescBytes)
				if n := len(t.InputSchema); n <= queryBudget[qi] && (pass == 0 || n <= callBudget) {
					ts.InputSchema, ts.HasFullSchema = t.InputSchema, true
					queryBudget[qi] -= n
					callBudget -= n
				}
				out.ToolSchemas[slug] = ts
			}
		}
	}
	for _, r := range out.Results {
		for _, slug := range r.RelatedToolSlugs {
			if _, ok := out.ToolSchemas[slug]; !ok {
				out.ToolSchemas[slug] = briefSchema(cat.Tool(slug), relatedDescBytes)
			}
		}
	}
	for _, r := range restricted {
		for _, slug := range r {
			if !slices.Contains(out.RestrictedToolSlugs, slug) {
				out.RestrictedToolSlugs = append(out.RestrictedToolSlugs, slug)
			}
		}
	}
	if out.RestrictedToolSlugs == nil {
		out.RestrictedToolSlugs = []string{}
	}
	out.ToolkitConnectionStatuses = []ConnectionStatus{}
	for _, slug := range sortedKeys(toolkitsSeen) {
		out.ToolkitConnectionStatuses = append(out.ToolkitConnectionStatuses, s.connectionStatus(ctx, cat.Toolkit(slug)))
	}
	statusOf := map[string]ConnectionStatus{}
	for _, st := range out.ToolkitConnectionStatuses {
		statusOf[st.Toolkit] = st
	}
	for i := range out.Results {
		out.Results[i].RecommendedPlanSteps = planSteps(cat, out.Results[i], statusOf)
	}
	mem, err := s.Memory(ctx)
	if err != nil {
		s.log.Warn("memory unavailable", "err", err)
	}
	if mem == nil {
		mem = map[string][]string{}
	}
	out.Memory = mem
	trimToBudget(out)
	return out, nil
}

// trimToBudget keeps a response near responseBudgetBytes a query: while it is over, the largest input schema of a
// tool that is not some query's best is left out (hasFullSchema false), so pitfalls, plans and connection help
// crowd out schemas the agent can fetch, never the other way round.
func trimToBudget(out *SearchResult) {
	budget := responseBudgetBytes * len(out.Results)
	data, err := json.Marshal(out)
	if err != nil || len(data) <= budget {
		return
	}
	size := len(data)
	best := map[string]bool{}
	for _, r := range out.Results {
		if len(r.PrimaryToolSlugs) > 0 {
			best[r.PrimaryToolSlugs[0]] = true
		}
	}
	for size > budget {
		drop := ""
		for slug, ts := range out.ToolSchemas {
			if ts.HasFullSchema && !best[slug] && (drop == "" || len(ts.InputSchema) > len(out.ToolSchemas[drop].InputSchema) ||
				len(ts.InputSchema) == len(out.ToolSchemas[drop].InputSchema) && slug < drop) {
				drop = slug
			}
		}
		if drop == "" {
			return
		}
		ts := out.ToolSchemas[drop]
		size -= len(ts.InputSchema) + len(`,"input_schema":`) + len("true") - len("false")
		ts.InputSchema, ts.HasFullSchema = nil, false
		out.ToolSchemas[drop] = ts
	}
}

// connectedToolkits is the search's preference: the toolkits the user has connected, nil when unknown.
func (s *Session) connectedToolkits(ctx context.Context) map[string]bool {
	if s.connections == nil {
		return nil
	}
	set, err := s.connections.Connected(ctx, s.user)
	if err != nil {
		s.log.Warn("connected toolkits unknown; searching without preferring them", "err", err)
		return nil
	}
	return set
}

func (s *Session) connectionStatus(ctx context.Context, tk *tools.Toolkit) ConnectionStatus {
	if s.connections == nil {
		return ConnectionStatus{Toolkit: tk.Slug, Status: "UNKNOWN", StatusMessage: "connection status is not available"}
	}
	active, status, msg := s.connections.Status(ctx, s.user, tk)
	return ConnectionStatus{Toolkit: tk.Slug, HasActiveConnection: active, Status: status, StatusMessage: msg}
}

// queryResult splits hits into primary tools (close to the best score) and related ones.
func (s *Session) queryResult(i int, q SearchQuery, hits []tools.Hit) QueryResult {
	r := QueryResult{Index: i, UseCase: Brief(q.UseCase, maxEchoedUseCase), PrimaryToolSlugs: []string{}, RelatedToolSlugs: []string{}, Toolkits: []string{}, KnownPitfalls: []string{}}
	for j, h := range hits {
		if j == 0 || (len(r.PrimaryToolSlugs) < 3 && h.Score >= 0.8*hits[0].Score) {
			r.PrimaryToolSlugs = append(r.PrimaryToolSlugs, h.Tool.Slug)
			r.KnownPitfalls = append(r.KnownPitfalls, h.Tool.Pitfalls...)
		} else {
			r.RelatedToolSlugs = append(r.RelatedToolSlugs, h.Tool.Slug)
		}
		if !slices.Contains(r.Toolkits, h.Tool.Toolkit) {
			r.Toolkits = append(r.Toolkits, h.Tool.Toolkit)
		}
	}
	return r
}

// planSteps writes the steps an agent should follow: connect first where needed, read before write, destructive
// calls confirmed, required arguments named.
func planSteps(cat *Catalog, r QueryResult, status map[string]ConnectionStatus) []string {
	steps := []string{}
	if len(r.PrimaryToolSlugs) == 0 {
		return []string{"No tool matched. Rephrase the use case naming the app and the action (e.g. \"list open pull requests in GitHub\"), or narrow with toolkits."}
	}
	for _, tk := range r.Toolkits {
		if st, ok := status[tk]; ok && !st.HasActiveConnection {
			steps = append(steps, fmt.Sprintf("Connect %s first with %s (status %s; see toolkit_connection_statuses).", tk, cat.metaTool("MANAGE_CONNECTIONS"), st.Status))
		}
	}
	primary := make([]*tools.Tool, 0, len(r.PrimaryToolSlugs))
	for _, slug := range r.PrimaryToolSlugs {
		primary = append(primary, cat.Tool(slug))
	}
	rank := func(t *tools.Tool) int {
		switch {
		case t.Annotations.ReadOnly:
			return 0
		case t.Annotations.Destructive:
			return 2
		}
		return 1
	}
	sort.SliceStable(primary, func(i, j int) bool { return rank(primary[i]) < rank(primary[j]) })
	for _, t := range primary {
		req := requiredArgs(t.InputSchema)
		step := "Call " + t.Slug
		if t.Name != "" {
			step += " (" + strings.TrimSuffix(t.Name, ".") + ")"
		}
		if len(req) > 0 {
			step += " with required arguments " + strings.Join(req, ", ")
		}
		if t.Annotations.Destructive {
			step = "Confirm with the user, then " + strings.ToLower(step[:1]) + step[1:] + " — it cannot be undone"
		}
		steps = append(steps, step+".")
	}
	steps = append(steps, "Use "+cat.metaTool("GET_TOOL_SCHEMAS")+" for any related tool before calling it, and pass arguments exactly as its input_schema names them.")
	return steps
}

func requiredArgs(schema json.RawMessage) []string {
	var s struct {
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(schema, &s)
	return s.Required
}

// briefSchema is a tool's entry in search results without schemas: its description cut to about max bytes.
func briefSchema(t *tools.Tool, max int) ToolSchema {
	return ToolSchema{Toolkit: t.Toolkit, ToolSlug: t.Slug, Description: Brief(t.Description, max)}
}

// Brief returns text as plain prose of at most about max bytes: HTML tags and Markdown link targets removed,
// whitespace collapsed, cut after the last whole sentence that fits (or the last whole word, with "…").
func Brief(text string, max int) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '<':
			if j := strings.IndexByte(text[i:], '>'); j > 0 && j < 200 {
				// Block tags separate words; inline ones (<code>, <a>) do not.
				switch tag := strings.ToLower(strings.TrimLeft(text[i+1:i+j], "/")); {
				case tag == "p", tag == "br", tag == "br/", tag == "li", tag == "div", tag == "tr", strings.HasPrefix(tag, "h"):
					space = true
				}
				i += j
				continue
			}
		case c == ']' && i+1 < len(text) && text[i+1] == '(':
			if j := strings.IndexByte(text[i:], ')'); j > 0 {
				i += j
				continue
			}
		case c == '[':
			continue
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(c)
		if b.Len() > max+200 {
			break
		}
	}
	s := b.String()
	if len(s) <= max {
		return s
	}
	cut := s[:max]
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	if i := strings.LastIndex(cut, ". "); i >= max/3 {
		return cut[:i+1]
	}
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}

func toolkitSlugs(cat *Catalog) []string {
	var out []string
	for _, tk := range cat.Toolkits() {
		out = append(out, tk.Slug)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
