package openapi

// This file is the HTTP executor: it sends the request BuildRequest made, with credentials from an Authorizer, and
// turns the answer into a tools.Result or an error a model can act on. Decisions worth knowing:
//   - Redirects are followed only to the same scheme and host (at most MaxRedirects), with the credentials applied
//     again; a redirect anywhere else is an error naming the host, never a request.
//   - Every value the Authorizer added (headers, query parameters), and every header whose name looks sensitive,
//     is a secret of the call: it is scrubbed from errors, error bodies and results, and secret query values are
//     shown as REDACTED in URLs.
//   - A 2xx JSON object {"ok": false, "error": "..."} is an error (Slack's convention).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/toolmux/toolmux/tools"
)

// DefaultTimeout is the timeout of the client an HTTPExecutor uses when it has none.
const DefaultTimeout = 60 * time.Second

var (
	_ tools.Executor = (*HTTPExecutor)(nil)
	_ Authorizer     = StaticAuth{}
)

// defaultClient is shared so that connections are reused across executors.
var defaultClient = &http.Client{Timeout: DefaultTimeout}

// Authorizer adds credentials to a request: the seam between execution and the auth package. account selects a
// connected account by id or alias; empty means the default one. Implementations must not log secrets.
type Authorizer interface {
	Authorize(ctx context.Context, toolkit, account string, req *http.Request) error
}

// StaticAuth is an Authorizer that applies one auth scheme with a secret resolved beforehand (an API key or token
// from the config). For BASIC, Secret is "user:password". OAUTH2 with a static secret sends it as a bearer token;
// NO_AUTH sends nothing. Its String, GoString and LogValue methods never show the secret.
type StaticAuth struct {
	Scheme tools.AuthScheme
	Secret string
}

// Authorize implements Authorizer; toolkit only names the toolkit in errors.
func (a StaticAuth) Authorize(ctx context.Context, toolkit, account string, req *http.Request) error {
	if a.Scheme.Scheme == tools.SchemeNoAuth || a.Scheme.Scheme == "" {
		return nil
	}
	if a.Secret == "" {
		return fmt.Errorf("no %s credential configured for toolkit %s; connect an account (toolmux connect %s)", a.Scheme.Scheme, toolkit, toolkit)
	}
	if hasControl(a.Secret, false) {
		// Never echo the value: it is the secret.
		return fmt.Errorf("the %s credential for toolkit %s contains a line break or control character; set it again", a.Scheme.Scheme, toolkit)
	}
	switch a.Scheme.Scheme {
	case tools.SchemeBearerToken, tools.SchemeOAuth2:
		req.Header.Set("Authorization", "Bearer "+a.Secret)
	case tools.SchemeBasic:
		user, pass, ok := strings.Cut(a.Secret, ":")
		if !ok {
			return fmt.Errorf("the BASIC credential for toolkit %s must be user:password", toolkit)
		}
		req.SetBasicAuth(user, pass)
	case tools.SchemeAPIKey:
		name := a.Scheme.Name
		switch strings.ToLower(a.Scheme.In) {
		case "query":
			if name == "" {
				return fmt.Errorf("the API_KEY scheme of toolkit %s has no query parameter name", toolkit)
			}
			q := req.URL.Query()
			q.Set(name, a.Secret)
			req.URL.RawQuery = q.Encode()
		case "cookie":
			if name == "" {
				return fmt.Errorf("the API_KEY scheme of toolkit %s has no cookie name", toolkit)
			}
			setCookie(req, name, a.Secret)
		case "header", "":
			if name == "" {
				name = "X-API-Key"
			}
			if !isToken(name) {
				return fmt.Errorf("the API_KEY scheme of toolkit %s names an invalid header %q", toolkit, name)
			}
			req.Header.Set(name, a.Secret)
		default:
			return fmt.Errorf("the API_KEY scheme of toolkit %s has unsupported location %q (want header, query or cookie)", toolkit, a.Scheme.In)
		}
	default:
		return fmt.Errorf("toolkit %s: auth scheme %q is not supported by a static credential", toolkit, a.Scheme.Scheme)
	}
	return nil
}

// setCookie sets one cookie, replacing an earlier one of the same name (a redirect copies the Cookie header and
// then authorizes again).
func setCookie(req *http.Request, name, value string) {
	cookies := req.Cookies()
	req.Header.Del("Cookie")
	for _, c := range cookies {
		if c.Name != name {
			req.AddCookie(c)
		}
	}
	req.AddCookie(&http.Cookie{Name: name, Value: value})
}

// String describes the scheme without the secret.
func (a StaticAuth) String() string {
	return fmt.Sprintf("StaticAuth{scheme: %s, in: %s, name: %s, secret: [REDACTED]}", a.Scheme.Scheme, a.Scheme.In, a.Scheme.Name)
}

// GoString is String, so that %#v does not print the secret either.
func (a StaticAuth) GoString() string { return a.String() }

// LogValue implements slog.LogValuer without the secret.
func (a StaticAuth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("scheme", a.Scheme.Scheme), slog.String("secret", "[REDACTED]"))
}

// HTTPExecutor runs the tools of one OpenAPI toolkit against its service. Zero values are sane defaults: a client
// with DefaultTimeout, DefaultMaxResponseBytes, DefaultMaxRequestBytes, User-Agent "toolmux", no credentials.
type HTTPExecutor struct {
	// BaseURL is the service's root, may carry a base path ("https://api.example.com/v1").
	BaseURL string
	// Toolkit is the toolkit slug, handed to Auth and used in hints ("toolmux connect github").
	Toolkit string
	// Name is the service's display name in error messages ("GitHub" → "GitHub API returned …"); empty means
	// Toolkit.
	Name string
	// Client sends the requests. Its CheckRedirect is replaced per call by the same-host policy.
	Client *http.Client
	// Auth adds credentials; nil sends none.
	Auth Authorizer
	// MaxResponseBytes and MaxRequestBytes cap the response and the request body.
	MaxResponseBytes, MaxRequestBytes int64
	// UserAgent is sent with every request (some APIs, GitHub among them, refuse requests without one).
	UserAgent string
	// DefaultHeaders are sent with every request unless a header argument sets the same header.
	DefaultHeaders map[string]string
	// Logger receives one debug record per call (no arguments, no secrets); nil logs nothing.
	Logger *slog.Logger
}

// HTTPError is a call the service answered with a non-2xx status, or with a 2xx {"ok": false} object.
type HTTPError struct {
	// Status is the HTTP status code.
	Status int
	// Method and URL identify the request; URL has credentials replaced by REDACTED.
	Method string
	URL    string
	// Message is the service's own explanation, extracted from its error body.
	Message string
	// Body is the decoded error body (a JSON value or text), with credentials scrubbed.
	Body any
	// Service is the display name used by Error ("GitHub").
	Service string
	// Hint says what to do next, when the status suggests something (reconnect, wait, retry).
	Hint string
}

// Error reads like "GitHub API returned 404 Not Found: Not Found (GET /repos/o/r)".
func (e *HTTPError) Error() string {
	var sb strings.Builder
	if e.Service != "" {
		sb.WriteString(e.Service + " API")
	} else {
		sb.WriteString("API")
	}
	if e.Status >= 200 && e.Status <= 299 {
		sb.WriteString(" returned an error")
	} else {
		sb.WriteString(" returned " + strconv.Itoa(e.Status))
		if text := http.StatusText(e.Status); text != "" {
			sb.WriteString(" " + text)
		}
	}
	if e.Message != "" {
		sb.WriteString(": " + e.Message)
	}
	path := e.URL
	if u, err := url.Parse(e.URL); err == nil {
		path = u.EscapedPath()
	}
	fmt.Fprintf(&sb, " (%s %s)", e.Method, path)
	if e.Hint != "" {
		sb.WriteString("; " + e.Hint)
	}
	return sb.String()
}

// Execute implements tools.Executor: it builds the request, authorizes it, sends it and decodes the answer.
// A non-2xx status is returned as an *HTTPError together with a Result carrying the status.
func (e *HTTPExecutor) Execute(ctx context.Context, call tools.Call) (tools.Result, error) {
	if call.Tool == nil || call.Tool.HTTP == nil {
		return tools.Result{}, errors.New("the tool has no HTTP binding; it cannot run on the HTTP executor")
	}
	if strings.TrimSpace(e.BaseURL) == "" {
		return tools.Result{}, fmt.Errorf("toolkit %s has no base URL; set base_url for it in the config", e.Toolkit)
	}
	base := e.BaseURL
	if call.Tool.HTTP != nil && call.Tool.HTTP.BaseURL != "" {
		base = call.Tool.HTTP.BaseURL // the operation's own server (uploads.github.com)
	}
	req, err := buildRequest(ctx, base, call.Tool.HTTP, call.Arguments, e.maxRequest())
	if err != nil {
		return tools.Result{}, fmt.Errorf("%s: %w", call.Tool.Slug, err)
	}
	if err := e.setDefaultHeaders(req); err != nil {
		return tools.Result{}, err
	}
	red := &redactor{queryNames: map[string]bool{}}
	if e.Auth != nil {
		if err := e.authorize(req.Context(), req, call.Account, red); err != nil {
			return tools.Result{}, fmt.Errorf("authorize %s: %w", e.Toolkit, err)
		}
	}
	red.addSensitiveHeaders(req.Header)
	red.addUserinfo(req.URL)

	client := *e.client()
	origin := req.URL
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return errTooManyRedirects
		}
		if !sameOrigin(origin, next.URL) {
			return &redirectError{target: next.URL.Scheme + "://" + next.URL.Host}
		}
		// The Referer would repeat the previous URL, query credentials included; an API needs none.
		next.Header.Del("Referer")
		if e.Auth != nil {
			if err := e.authorize(next.Context(), next, call.Account, red); err != nil {
				return fmt.Errorf("authorize redirected request: %w", err)
			}
		}
		red.addSensitiveHeaders(next.Header)
		return nil
	}

	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		err = e.transportError(ctx, err, req, red, start, &client)
		e.log(ctx, call, req, 0, start, red, err)
		return tools.Result{}, err
	}
	defer func() {
		// Drain a little so the connection can be reused, then close.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
	}()
	res, err := e.readResponse(ctx, req, resp, red, start, &client)
	e.log(ctx, call, req, resp.StatusCode, start, red, err)
	return res, err
}

// log writes one debug record per call: no arguments, no query, no secrets.
func (e *HTTPExecutor) log(ctx context.Context, call tools.Call, req *http.Request, status int, start time.Time, red *redactor, err error) {
	if e.Logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("toolkit", e.Toolkit), slog.String("tool", call.Tool.Slug),
		slog.String("method", req.Method), slog.String("path", req.URL.EscapedPath()),
		slog.Int("status", status), slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", red.scrub(err.Error())))
	}
	e.Logger.LogAttrs(ctx, slog.LevelDebug, "http call", attrs...)
}

func (e *HTTPExecutor) client() *http.Client {
	if e.Client != nil {
		return e.Client
	}
	return defaultClient
}

func (e *HTTPExecutor) maxRequest() int64 {
	if e.MaxRequestBytes > 0 {
		return e.MaxRequestBytes
	}
	return DefaultMaxRequestBytes
}

func (e *HTTPExecutor) maxResponse() int64 {
	if e.MaxResponseBytes > 0 {
		return e.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

func (e *HTTPExecutor) service() string {
	if e.Name != "" {
		return e.Name
	}
	return e.Toolkit
}

// setDefaultHeaders adds User-Agent, Accept and DefaultHeaders where the request does not set them already.
func (e *HTTPExecutor) setDefaultHeaders(req *http.Request) error {
	for name, value := range e.DefaultHeaders {
		if !isToken(name) {
			return fmt.Errorf("toolkit %s: default header name %q is invalid; fix it in the config", e.Toolkit, name)
		}
		if hasControl(value, true) {
			return fmt.Errorf("toolkit %s: default header %q contains a line break or control character; fix it in the config", e.Toolkit, name)
		}
		if req.Header.Get(name) == "" {
			req.Header.Set(name, value)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		ua := e.UserAgent
		if ua == "" {
			ua = "toolmux"
		}
		if hasControl(ua, true) {
			return fmt.Errorf("toolkit %s: user agent contains a control character", e.Toolkit)
		}
		req.Header.Set("User-Agent", ua)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json, */*;q=0.5")
	}
	return nil
}

// authorize runs the Authorizer and records every header and query value it added as a secret of the call.
func (e *HTTPExecutor) authorize(ctx context.Context, req *http.Request, account string, red *redactor) error {
	beforeHeader := req.Header.Clone()
	beforeQuery := req.URL.RawQuery
	err := e.Auth.Authorize(ctx, e.Toolkit, account, req)
	for name, values := range req.Header {
		for _, v := range values {
			if !slices.Contains(beforeHeader[name], v) {
				red.addHeaderValue(v)
			}
		}
	}
	if req.URL.RawQuery != beforeQuery {
		old, _ := url.ParseQuery(beforeQuery)
		now, _ := url.ParseQuery(req.URL.RawQuery)
		for name, values := range now {
			for _, v := range values {
				if !slices.Contains(old[name], v) {
					red.queryNames[name] = true
					red.add(v)
				}
			}
		}
	}
	return err
}

var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", MaxRedirects)

// redirectError is a redirect to another scheme or host, which is never followed.
type redirectError struct{ target string }

func (r *redirectError) Error() string { return "redirect to " + r.target + " not followed" }

// sameOrigin compares scheme, host name (case-insensitively) and port (defaulted by scheme).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// transportError explains a failure to get a (complete) response: timeout, cancellation, refused redirect,
// network error. Nothing from the URL's query or the credentials reaches the message.
func (e *HTTPExecutor) transportError(ctx context.Context, err error, req *http.Request, red *redactor, start time.Time, client *http.Client) error {
	what := fmt.Sprintf("%s %s", req.Method, req.URL.EscapedPath())
	svc := e.service()
	var redir *redirectError
	if errors.As(err, &redir) {
		return fmt.Errorf("%s API redirected %s to another host, %s; it was not followed because credentials only go to %s://%s (if that host is right, make it the toolkit's base URL)",
			svc, what, red.scrub(redir.target), req.URL.Scheme, req.URL.Host)
	}
	if errors.Is(err, errTooManyRedirects) {
		return fmt.Errorf("%s API call %s %w; the service is redirecting in a loop", svc, what, errTooManyRedirects)
	}
	var urlErr *url.Error
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		(errors.As(err, &urlErr) && urlErr.Timeout())
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		timedOut = true
	}
	if timedOut {
		return &timeoutError{msg: fmt.Sprintf("%s API call %s timed out after %s; the session is still usable: retry, ask for less data, or give the call more time",
			svc, what, timeoutAfter(ctx, start, client))}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s API call %s was canceled: %w", svc, what, context.Canceled)
	}
	inner := err
	if urlErr != nil || errors.As(err, &urlErr) {
		// url.Error prints the full URL, query credentials included; keep only its cause.
		inner = urlErr.Err
	}
	msg := inner.Error()
	if scrubbed := red.scrub(msg); scrubbed != msg {
		return fmt.Errorf("%s API request %s failed: %s", svc, red.url(req.URL), scrubbed)
	}
	return fmt.Errorf("%s API request %s failed: %w", svc, red.url(req.URL), inner)
}

// timeoutError is a call that ran out of time; it matches context.DeadlineExceeded under errors.Is.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string { return e.msg }
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// timeoutAfter is the budget the call had: the context's deadline or the client's timeout, whichever came first.
func timeoutAfter(ctx context.Context, start time.Time, client *http.Client) time.Duration {
	d := time.Since(start)
	if dl, ok := ctx.Deadline(); ok {
		d = dl.Sub(start)
		if client.Timeout > 0 && client.Timeout < d {
			d = client.Timeout
		}
	} else if client.Timeout > 0 {
		d = client.Timeout
	}
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// readResponse turns a response into a Result, an *HTTPError or a size error.
func (e *HTTPExecutor) readResponse(ctx context.Context, req *http.Request, resp *http.Response, red *redactor, start time.Time, client *http.Client) (tools.Result, error) {
	status := resp.StatusCode
	// The final URL after redirects; same host by construction.
	final := req
	if resp.Request != nil {
		final = resp.Request
	}
	if status < 200 || status > 299 {
		return tools.Result{Status: status}, e.httpError(ctx, final, resp, red, start, client)
	}
	limit := e.maxResponse()
	tooLarge := func() error {
		return fmt.Errorf("response from %s API %s %s larger than %d bytes; ask for less (a filter, or a smaller page size such as per_page or limit)",
			e.service(), final.Method, final.URL.EscapedPath(), limit)
	}
	if resp.ContentLength > limit {
		return tools.Result{Status: status}, tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return tools.Result{Status: status}, e.transportError(ctx, err, final, red, start, client)
	}
	if int64(len(data)) > limit {
		return tools.Result{Status: status}, tooLarge()
	}
	if len(data) == 0 || req.Method == http.MethodHead {
		return tools.Result{Status: status}, nil
	}
	value := red.value(decodeBody(resp.Header.Get("Content-Type"), data))
	if obj, ok := value.(map[string]any); ok && obj["ok"] == false {
		if msg, ok := obj["error"].(string); ok {
			if needed, ok := obj["needed"].(string); ok && needed != "" {
				msg += " (needed: " + needed + ")"
			}
			return tools.Result{Status: status}, &HTTPError{
				Status: status, Method: final.Method, URL: red.url(final.URL), Message: truncate(msg, 300),
				Body: value, Service: e.service(),
			}
		}
	}
	return tools.Result{Data: value, Status: status}, nil
}

// maxErrorBody bounds how much of an error response is read: enough for any JSON error, not a whole HTML site.
const maxErrorBody = 64 << 10

func (e *HTTPExecutor) httpError(ctx context.Context, req *http.Request, resp *http.Response, red *redactor, start time.Time, client *http.Client) error {
	limit := min(e.maxResponse(), maxErrorBody)
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil && len(data) == 0 {
		var ue *url.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ue) && ue.Timeout()) {
			return e.transportError(ctx, err, req, red, start, client)
		}
	}
	herr := &HTTPError{
		Status: resp.StatusCode, Method: req.Method, URL: red.url(req.URL), Service: e.service(),
		Hint: e.hint(resp),
	}
	if len(data) > 0 && req.Method != http.MethodHead {
		body := red.value(decodeBody(resp.Header.Get("Content-Type"), data))
		herr.Body = body
		herr.Message = errorMessage(body, resp.Header.Get("Content-Type"))
	}
	return herr
}

// hint says what a model (or person) should do about a status.
func (e *HTTPExecutor) hint(resp *http.Response) string {
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		if e.Auth == nil {
			return fmt.Sprintf("this API needs credentials: connect an account (toolmux connect %s)", e.Toolkit)
		}
		return fmt.Sprintf("the credentials were refused: reconnect the account (toolmux connect %s)", e.Toolkit)
	case code == http.StatusForbidden:
		return "the account may lack a permission or scope for this call, or a rate limit was hit"
	case code == http.StatusTooManyRequests:
		if ra := resp.Header.Get("Retry-After"); ra != "" && !hasControl(ra, false) {
			return "rate limited: wait " + truncate(ra, 40) + " (Retry-After) before retrying"
		}
		return "rate limited: wait before retrying"
	case code >= 500:
		return "the service failed; retrying later may help"
	}
	return ""
}

var utf8BOM = []byte("\xef\xbb\xbf")

// decodeBody decodes JSON (numbers as json.Number), keeps text as a string and describes anything else as
// {"content_type", "size_bytes", "base64"}.
func decodeBody(contentType string, data []byte) any {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	switch {
	case isJSONType(mediaType):
		if v, err := decodeJSON(data); err == nil {
			return v
		}
		if utf8.Valid(data) {
			return string(data)
		}
	case isTextType(mediaType):
		if utf8.Valid(data) {
			return string(data)
		}
	case mediaType == "":
		trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
		if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
			if v, err := decodeJSON(data); err == nil {
				return v
			}
		}
		if utf8.Valid(data) {
			return string(data)
		}
		mediaType = http.DetectContentType(data)
	}
	return map[string]any{
		"content_type": mediaType,
		"size_bytes":   len(data),
		"base64":       base64.StdEncoding.EncodeToString(data),
	}
}

// decodeJSON decodes exactly one JSON value, keeping numbers as json.Number so big integers survive.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func isTextType(mediaType string) bool {
	if strings.HasPrefix(mediaType, "text/") || strings.HasSuffix(mediaType, "+xml") || strings.HasSuffix(mediaType, "+yaml") {
		return true
	}
	switch mediaType {
	case "application/xml", "application/javascript", "application/ecmascript", "application/x-www-form-urlencoded",
		"application/yaml", "application/x-yaml", "application/graphql", "application/x-ndjson", "application/csv",
		"application/sql":
		return true
	}
	return false
}

// errorMessage extracts the service's explanation from common error shapes, else the start of the text.
func errorMessage(body any, contentType string) string {
	switch b := body.(type) {
	case map[string]any:
		if msg := jsonErrorMessage(b); msg != "" {
			return truncate(msg, 300)
		}
		raw, _ := json.Marshal(b)
		return truncate(string(raw), 300)
	case string:
		text := b
		if strings.Contains(strings.ToLower(contentType), "html") || strings.HasPrefix(strings.TrimSpace(text), "<") {
			text = stripTags(text)
		}
		return truncate(strings.Join(strings.Fields(text), " "), 300)
	case []any:
		if len(b) > 0 {
			if m, ok := b[0].(map[string]any); ok {
				if msg := jsonErrorMessage(m); msg != "" {
					return truncate(msg, 300)
				}
			}
		}
		raw, _ := json.Marshal(b)
		return truncate(string(raw), 300)
	}
	return ""
}

// jsonErrorMessage knows message, error (string or object), error_description, errors[0], detail and title.
func jsonErrorMessage(m map[string]any) string {
	str := func(v any) string {
		s, _ := v.(string)
		return strings.TrimSpace(s)
	}
	msg := str(m["message"])
	if msg == "" {
		switch e := m["error"].(type) {
		case string:
			msg = strings.TrimSpace(e)
			if d := str(m["error_description"]); d != "" {
				msg = joinMessage(msg, d)
			}
		case map[string]any:
			msg = str(e["message"])
			if msg == "" {
				msg = str(e["description"])
			}
		}
	}
	if msg == "" {
		msg = str(m["error_description"])
	}
	if errs, ok := m["errors"].([]any); ok && len(errs) > 0 {
		var first string
		switch x := errs[0].(type) {
		case string:
			first = x
		case map[string]any:
			first = str(x["message"])
			if first == "" {
				first = str(x["detail"])
			}
			if first == "" && (str(x["field"]) != "" || str(x["code"]) != "") {
				first = strings.TrimSpace("field " + str(x["field"]) + ": " + str(x["code"]))
			}
		}
		msg = joinMessage(msg, strings.TrimSpace(first))
	}
	if msg == "" {
		msg = joinMessage(str(m["title"]), str(m["detail"]))
	}
	if msg == "" {
		msg = str(m["msg"])
	}
	return msg
}

func joinMessage(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	}
	return a + ": " + b
}

var tagPattern = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)

func stripTags(s string) string { return tagPattern.ReplaceAllString(s, " ") }

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// redactor knows the secrets of one call and removes them from text, URLs and decoded values.
type redactor struct {
	secrets    []string
	queryNames map[string]bool
}

const redacted = "REDACTED"

// minSecretLen keeps a pathological short secret from mangling every message.
const minSecretLen = 4

func (r *redactor) add(secret string) {
	secret = strings.TrimSpace(secret)
	if len(secret) < minSecretLen {
		return
	}
	for _, s := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
		if !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// addHeaderValue records a credential header value, its token after the scheme word, and a basic password.
func (r *redactor) addHeaderValue(v string) {
	r.add(v)
	scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return
	}
	token = strings.TrimSpace(token)
	r.add(token)
	if strings.EqualFold(scheme, "basic") {
		if raw, err := base64.StdEncoding.DecodeString(token); err == nil {
			if _, pass, ok := strings.Cut(string(raw), ":"); ok {
				r.add(pass)
			}
		}
	}
}

// addSensitiveHeaders records the values of headers whose names say they carry credentials.
func (r *redactor) addSensitiveHeaders(h http.Header) {
	for name, values := range h {
		if sensitiveName(name) {
			for _, v := range values {
				r.addHeaderValue(v)
			}
		}
	}
}

func (r *redactor) addUserinfo(u *url.URL) {
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			r.add(p)
		}
	}
}

// sensitiveName reports whether a header or query parameter name suggests a credential. It is deliberately
// narrow: every value of such a header is scrubbed from results, so a broad rule would mangle ordinary data.
func sensitiveName(name string) bool {
	n := strings.ToLower(name)
	n = strings.NewReplacer("-", "", "_", "", ".", "").Replace(n)
	for _, w := range []string{"authorization", "cookie", "token", "secret", "password", "passwd", "apikey", "accesskey",
		"privatekey", "subscriptionkey", "signature", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "key" || n == "xkey" || n == "sig"
}

func (r *redactor) scrub(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

// url renders u without a password and with credential query values replaced.
func (r *redactor) url(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	if c.RawQuery != "" {
		q, err := url.ParseQuery(c.RawQuery)
		if err != nil {
			c.RawQuery = redacted
		} else {
			for name, values := range q {
				if r.queryNames[name] || sensitiveName(name) {
					for i := range values {
						values[i] = redacted
					}
				}
			}
			c.RawQuery = q.Encode()
		}
	}
	return r.scrub(c.String())
}

// value scrubs secrets from every string (and map key) of a freshly decoded value, in place.
func (r *redactor) value(v any) any {
	if len(r.secrets) == 0 {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.scrub(x)
	case map[string]any:
		var renamed []string
		for k, item := range x {
			x[k] = r.value(item)
			if r.scrub(k) != k {
				renamed = append(renamed, k)
			}
		}
		for _, k := range renamed {
			x[r.scrub(k)] = x[k]
			delete(x, k)
		}
		return x
	case []any:
		for i, item := range x {
			x[i] = r.value(item)
		}
		return x
	}
	return v
}
