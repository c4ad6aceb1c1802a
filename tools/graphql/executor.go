package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/toolmux/toolmux/tools"
)

// Defaults of an Executor with zero fields.
const (
	DefaultTimeout          = 60 * time.Second
	DefaultMaxResponseBytes = 10 << 20
)

var defaultClient = &http.Client{Timeout: DefaultTimeout}

var _ tools.Executor = (*Executor)(nil)

// Authorizer adds credentials to a request; tools/openapi's Authorizer and the auth package satisfy it. account
// selects a connected account by id or alias, empty for the default one.
type Authorizer interface {
	Authorize(ctx context.Context, toolkit, account string, req *http.Request) error
}

// Executor runs the GraphQL tools of one toolkit against its endpoint. Zero values are sane defaults.
type Executor struct {
	// Endpoint is the GraphQL URL ("https://api.linear.app/graphql").
	Endpoint string
	// Toolkit is the toolkit slug, handed to Auth and used in hints ("toolmux connect linear").
	Toolkit string
	// Name is the service's display name in errors ("Linear"); empty means Toolkit.
	Name string
	// Client sends the requests; redirects are never followed (a GraphQL POST has no business moving).
	Client *http.Client
	// Auth adds credentials; nil sends none.
	Auth Authorizer
	// MaxResponseBytes caps the response body.
	MaxResponseBytes int64
	// UserAgent is sent with every request; empty means "toolmux".
	UserAgent string
	// DefaultHeaders are sent with every request.
	DefaultHeaders map[string]string
	// Logger receives one debug record per call (no variables, no secrets); nil logs nothing.
	Logger *slog.Logger
}

// Error is a GraphQL call that failed: a non-2xx status, or an answer with errors.
type Error struct {
	// Service is the display name ("Linear"); Operation the operation name.
	Service, Operation string
	// Status is the HTTP status.
	Status int
	// Messages are the GraphQL errors' messages (with their path), or the body's start when it had none.
	Messages []string
	// Codes are the errors' extensions.code values, when present.
	Codes []string
	// Hint says what to do next, when the errors suggest something.
	Hint string
}

func (e *Error) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s API", e.Service)
	if e.Status < 200 || e.Status > 299 {
		fmt.Fprintf(&sb, " returned %d %s", e.Status, http.StatusText(e.Status))
	}
	fmt.Fprintf(&sb, " failed %s", e.Operation)
	if len(e.Messages) > 0 {
		sb.WriteString(": " + strings.Join(e.Messages, "; "))
	}
	if e.Hint != "" {
		sb.WriteString(" (" + e.Hint + ")")
	}
	return sb.String()
}

// response is a GraphQL response body.
type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Execute implements tools.Executor: it posts the tool's operation with the call's arguments as variables and
// returns the data at the tool's result path.
func (e *Executor) Execute(ctx context.Context, call tools.Call) (tools.Result, error) {
	if call.Tool == nil || call.Tool.GraphQL == nil {
		return tools.Result{}, errors.New("the tool has no GraphQL binding; it cannot run on the GraphQL executor")
	}
	if strings.TrimSpace(e.Endpoint) == "" {
		return tools.Result{}, fmt.Errorf("toolkit %s has no GraphQL endpoint; set its base_url in the config", e.Toolkit)
	}
	b := call.Tool.GraphQL
	vars := call.Arguments
	if vars == nil {
		vars = map[string]any{}
	}
	body, err := json.Marshal(map[string]any{"query": b.Query, "operationName": b.OperationName, "variables": vars})
	if err != nil {
		return tools.Result{}, fmt.Errorf("%s: encode variables: %w", call.Tool.Slug, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Endpoint, bytes.NewReader(body))
	if err != nil {
		return tools.Result{}, fmt.Errorf("toolkit %s: GraphQL endpoint %q: %w", e.Toolkit, e.Endpoint, err)
	}
	for name, value := range e.DefaultHeaders {
		if strings.ContainsAny(value, "\r\n") {
			return tools.Result{}, fmt.Errorf("toolkit %s: default header %q contains a line break; fix it in the config", e.Toolkit, name)
		}
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	ua := e.UserAgent
	if ua == "" {
		ua = "toolmux"
	}
	req.Header.Set("User-Agent", ua)
	before := req.Header.Clone()
	if e.Auth != nil {
		if err := e.Auth.Authorize(ctx, e.Toolkit, call.Account, req); err != nil {
			return tools.Result{}, fmt.Errorf("authorize %s: %w", e.Toolkit, err)
		}
	}
	var secrets []string
	for name, values := range req.Header {
		for _, v := range values {
			if !slices.Contains(before[name], v) {
				secrets = append(secrets, secretForms(v)...)
			}
		}
	}

	client := *e.client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		msg := scrub(err.Error(), secrets)
		if ctx.Err() != nil {
			return tools.Result{}, fmt.Errorf("%s API call %s: %w", e.service(), b.OperationName, ctx.Err())
		}
		return tools.Result{}, fmt.Errorf("%s API call %s failed: %s", e.service(), b.OperationName, msg)
	}
	defer resp.Body.Close()
	res, err := e.read(resp, b, secrets)
	if e.Logger != nil {
		attrs := []slog.Attr{slog.String("toolkit", e.Toolkit), slog.String("tool", call.Tool.Slug),
			slog.String("operation", b.OperationName), slog.Int("status", resp.StatusCode),
			slog.Int64("duration_ms", time.Since(start).Milliseconds())}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		e.Logger.LogAttrs(ctx, slog.LevelDebug, "graphql call", attrs...)
	}
	return res, err
}

func (e *Executor) read(resp *http.Response, b *tools.GraphQLBinding, secrets []string) (tools.Result, error) {
	status := resp.StatusCode
	limit := e.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return tools.Result{Status: status}, fmt.Errorf("%s API call %s: read response: %s", e.service(), b.OperationName, scrub(err.Error(), secrets))
	}
	if int64(len(data)) > limit {
		return tools.Result{Status: status}, fmt.Errorf("response from %s API %s larger than %d bytes; ask for less (a smaller first/limit or a filter)",
			e.service(), b.OperationName, limit)
	}
	data = []byte(scrub(string(data), secrets))
	gerr := &Error{Service: e.service(), Operation: b.OperationName, Status: status}

	out, err := decode(data)
	if err != nil {
		gerr.Messages = []string{bodyStart(data)}
		if status >= 200 && status <= 299 {
			gerr.Messages = []string{"the answer is not a GraphQL response: " + err.Error()}
		}
		gerr.Hint = e.hint(status, nil)
		return tools.Result{Status: status}, gerr
	}
	for _, x := range out.Errors {
		msg := strings.TrimSpace(x.Message)
		if msg == "" {
			msg = "unspecified error"
		}
		if u, _ := x.Extensions["userPresentableMessage"].(string); u != "" && u != msg {
			msg += " — " + u
		}
		if len(x.Path) > 0 {
			parts := make([]string, len(x.Path))
			for i, p := range x.Path {
				parts[i] = fmt.Sprint(p)
			}
			msg += " (at " + strings.Join(parts, ".") + ")"
		}
		gerr.Messages = append(gerr.Messages, truncate(msg, 500))
		if c, _ := x.Extensions["code"].(string); c != "" {
			gerr.Codes = append(gerr.Codes, c)
		}
	}
	var value any
	if len(out.Data) > 0 && string(out.Data) != "null" {
		value, err = at(out.Data, b.ResultPath)
		if err != nil {
			gerr.Messages = append(gerr.Messages, err.Error())
		}
	}
	if len(gerr.Messages) > 0 || status < 200 || status > 299 {
		if len(gerr.Messages) == 0 {
			gerr.Messages = []string{bodyStart(data)}
		}
		gerr.Hint = e.hint(status, gerr.Codes)
		return tools.Result{Status: status, Data: value}, gerr
	}
	if len(out.Data) == 0 || string(out.Data) == "null" {
		gerr.Messages = []string{"the answer has neither data nor errors"}
		return tools.Result{Status: status}, gerr
	}
	return tools.Result{Status: status, Data: value}, nil
}

// decode parses a GraphQL response body: an object with data and/or errors. Numbers in data stay json.Number.
func decode(body []byte) (*response, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var out response
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON response")
	}
	if len(out.Data) == 0 && out.Errors == nil {
		return nil, errors.New("the JSON object has neither data nor errors")
	}
	return &out, nil
}

// at decodes data and returns the value at a dotted path.
func at(data json.RawMessage, path string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode data: %w", err)
	}
	if path == "" {
		return v, nil
	}
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the answer's data has no %q", path)
		}
		if v, ok = m[key]; !ok {
			return nil, fmt.Errorf("the answer's data has no %q", path)
		}
	}
	return v, nil
}

// hint says what to do about a status or error codes.
func (e *Executor) hint(status int, codes []string) string {
	has := func(names ...string) bool {
		for _, c := range codes {
			if slices.Contains(names, strings.ToUpper(c)) {
				return true
			}
		}
		return false
	}
	switch {
	case status == http.StatusUnauthorized || has("AUTHENTICATION_ERROR", "UNAUTHENTICATED"):
		if e.Auth == nil {
			return fmt.Sprintf("this API needs credentials: connect an account (toolmux connect %s)", e.Toolkit)
		}
		return fmt.Sprintf("the credentials were refused: reconnect the account (toolmux connect %s)", e.Toolkit)
	case status == http.StatusForbidden || has("FORBIDDEN"):
		return "the account lacks a permission or scope for this operation"
	case status == http.StatusTooManyRequests || has("RATELIMITED", "RATE_LIMITED"):
		return "rate limited: wait before retrying"
	case status >= 500:
		return "the service failed; retrying later may help"
	case status >= 300 && status <= 399:
		return "the endpoint redirected; set the toolkit's base_url to the GraphQL endpoint itself"
	}
	return ""
}

func (e *Executor) client() *http.Client {
	if e.Client != nil {
		return e.Client
	}
	return defaultClient
}

func (e *Executor) service() string {
	if e.Name != "" {
		return e.Name
	}
	return e.Toolkit
}

// secretForms is a credential header value and the token after its scheme word.
func secretForms(v string) []string {
	out := []string{v}
	if _, token, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
		out = append(out, strings.TrimSpace(token))
	}
	return out
}

// scrub replaces every secret of 4 bytes or more in s.
func scrub(s string, secrets []string) string {
	for _, x := range secrets {
		if len(x) >= 4 {
			s = strings.ReplaceAll(s, x, "REDACTED")
		}
	}
	return s
}

func bodyStart(data []byte) string {
	s := strings.Join(strings.Fields(string(data)), " ")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if s == "" {
		return "empty answer"
	}
	return truncate(s, 300)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
