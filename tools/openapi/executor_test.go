package openapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/toolmux/toolmux/internal/freeport"
	"github.com/toolmux/toolmux/tools"
)

// The secrets of these tests: each must never appear in an error, a log line or an error body.
const (
	testToken    = "tok_s3cr3t_0123456789"
	testPassword = "pa55-w0rd-secret"
)

// lastSeen is what echo received last, as the server saw it: results are scrubbed of credentials, so tests that
// check what went on the wire read this instead of the result.
var lastSeen atomic.Pointer[map[string]any]

// echo answers with what it received.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	seen := map[string]any{
		"method":        r.Method,
		"path":          r.URL.EscapedPath(),
		"query":         r.URL.RawQuery,
		"authorization": r.Header.Get("Authorization"),
		"x_api_key":     r.Header.Get("X-Api-Key"),
		"cookies":       strings.Join(cookies, ";"),
		"user_agent":    r.Header.Get("User-Agent"),
		"accept":        r.Header.Get("Accept"),
		"x_version":     r.Header.Get("X-Version"),
		"content_type":  r.Header.Get("Content-Type"),
		"body":          string(body),
	}
	lastSeen.Store(&seen)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(seen)
}

// seenByServer returns what echo received last.
func seenByServer(t *testing.T) map[string]any {
	t.Helper()
	p := lastSeen.Swap(nil)
	if p == nil {
		t.Fatal("the echo handler received no request")
	}
	return *p
}

// reply writes a canned response.
func reply(status int, contentType, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		} else {
			w.Header()["Content-Type"] = nil // no sniffing: really send none
		}
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// leak is an error page that repeats the credentials it received, as careless services do.
func leak(w http.ResponseWriter, r *http.Request) {
	_, pass, _ := r.BasicAuth()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	json.NewEncoder(w).Encode(map[string]any{
		"message": "bad credentials " + r.Header.Get("Authorization") + " " + r.Header.Get("X-Api-Key") + " " + r.URL.RawQuery + " " + pass,
		"echo":    map[string]any{"cookie": r.Header.Get("Cookie"), r.URL.Query().Get("api_key"): "as a key"},
	})
}

// slow waits for the client to give up (or five seconds).
func slow(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func newAPI(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/echo/", echo)
	mux.HandleFunc("/v1/leak", leak)
	mux.HandleFunc("/v1/slow", slow)
	mux.HandleFunc("/v1/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v1/echo/after-redirect", http.StatusFound)
	})
	mux.HandleFunc("/v1/redirect307", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v1/echo/after-307", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/v1/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v1/loop", http.StatusFound)
	})
	mux.HandleFunc("/v1/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "4096")
		w.Write(bytes.Repeat([]byte("x"), 4096))
	})
	mux.HandleFunc("/v1/bigchunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`"`))
		for range 64 {
			w.Write(bytes.Repeat([]byte("y"), 64))
			w.(http.Flusher).Flush()
		}
		w.Write([]byte(`"`))
	})
	mux.HandleFunc("/v1/exact", reply(200, "text/plain", strings.Repeat("z", 1024)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// getTool is GET <path> with an optional query parameter q.
func getTool(path string) *tools.Tool {
	return &tools.Tool{Slug: "EXAMPLE_GET", Toolkit: "example", HTTP: &tools.HTTPBinding{
		Method: "GET", Path: path,
		Params: []tools.HTTPParam{{Arg: "q", Name: "q", In: tools.InQuery}},
	}}
}

func decodeEcho(t *testing.T, res tools.Result) map[string]any {
	t.Helper()
	m, ok := res.Data.(map[string]any)
	if !ok {
		t.Fatalf("echo result is %T (%v), want an object", res.Data, res.Data)
	}
	return m
}

func TestStaticAuth(t *testing.T) {
	srv := newAPI(t)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("octocat:"+testPassword))
	tests := []struct {
		name string
		auth StaticAuth
		want map[string]string // echo fields
	}{
		{name: "bearer", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}, Secret: testToken},
			want: map[string]string{"authorization": "Bearer " + testToken, "query": "q=1"}},
		{name: "oauth2 static token", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeOAuth2}, Secret: testToken},
			want: map[string]string{"authorization": "Bearer " + testToken}},
		{name: "api key header", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-API-Key"}, Secret: testToken},
			want: map[string]string{"x_api_key": testToken, "authorization": ""}},
		{name: "api key query", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "query", Name: "api_key"}, Secret: testToken},
			want: map[string]string{"query": "api_key=" + testToken + "&q=1", "authorization": ""}},
		{name: "api key cookie", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "cookie", Name: "sid"}, Secret: testToken},
			want: map[string]string{"cookies": "sid=" + testToken}},
		{name: "basic", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBasic}, Secret: "octocat:" + testPassword},
			want: map[string]string{"authorization": basic}},
		{name: "no auth", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeNoAuth}, Secret: testToken},
			want: map[string]string{"authorization": "", "x_api_key": "", "query": "q=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", Auth: tt.auth}
			res, err := e.Execute(context.Background(), tools.Call{Tool: getTool("/echo/x"), Arguments: map[string]any{"q": float64(1)}})
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			got := seenByServer(t)
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("server saw %s = %q, want %q", k, got[k], want)
				}
			}
			// The service echoed the credentials; the result must not carry them.
			raw, _ := json.Marshal(decodeEcho(t, res))
			for _, secret := range []string{testToken, testPassword} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("result %s contains a secret", raw)
				}
			}
		})
	}
}

func TestStaticAuthErrors(t *testing.T) {
	tests := []struct {
		name    string
		auth    StaticAuth
		wantErr string
	}{
		{name: "empty secret", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}},
			wantErr: "no BEARER_TOKEN credential configured for toolkit example; connect an account (toolmux connect example)"},
		{name: "basic without colon", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBasic}, Secret: testToken},
			wantErr: "must be user:password"},
		{name: "secret with newline", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}, Secret: testToken + "\r\nX: y"},
			wantErr: "contains a line break"},
		{name: "query key without name", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "query"}, Secret: testToken},
			wantErr: "has no query parameter name"},
		{name: "unknown scheme", auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: "HMAC"}, Secret: testToken},
			wantErr: `auth scheme "HMAC" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "https://api.example.com/x", nil)
			err := tt.auth.Authorize(context.Background(), "example", "", req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Authorize error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestStaticAuthNeverPrintsSecret(t *testing.T) {
	a := StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBasic}, Secret: "octocat:" + testPassword}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("auth", "auth", a, "ptr", &a)
	outputs := []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), fmt.Sprintf("%v", &a), logged.String()}
	for _, out := range outputs {
		if strings.Contains(out, testPassword) {
			t.Errorf("output %q contains the secret", out)
		}
		if !strings.Contains(out, "BASIC") {
			t.Errorf("output %q does not name the scheme", out)
		}
	}
}

func TestExecuteDecodesResponses(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/json", reply(200, "application/json; charset=utf-8", `{"id": 12345678901234567890123, "ratio": 0.5, "tags": ["a"]}`))
	mux.HandleFunc("/vendor-json", reply(200, "application/vnd.github+json", `[1, 2]`))
	mux.HandleFunc("/bom-json", reply(200, "application/json", "\xef\xbb\xbf{\"a\": true}"))
	mux.HandleFunc("/untyped-json", reply(200, "", `{"a": "b"}`))
	mux.HandleFunc("/text", reply(200, "text/plain; charset=utf-8", "hello"))
	mux.HandleFunc("/xml", reply(200, "application/xml", "<a>1</a>"))
	mux.HandleFunc("/bad-json", reply(200, "application/json", `{"a": `))
	mux.HandleFunc("/binary", reply(200, "application/octet-stream", "\x00\x01\xff"))
	mux.HandleFunc("/latin1", reply(200, "text/plain", "caf\xe9"))
	mux.HandleFunc("/empty", reply(204, "", ""))
	mux.HandleFunc("/created", reply(201, "application/json", ""))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		path       string
		wantData   any
		wantStatus int
	}{
		{"/json", map[string]any{"id": json.Number("12345678901234567890123"), "ratio": json.Number("0.5"), "tags": []any{"a"}}, 200},
		{"/vendor-json", []any{json.Number("1"), json.Number("2")}, 200},
		{"/bom-json", map[string]any{"a": true}, 200},
		{"/untyped-json", map[string]any{"a": "b"}, 200},
		{"/text", "hello", 200},
		{"/xml", "<a>1</a>", 200},
		{"/bad-json", `{"a": `, 200},
		{"/binary", map[string]any{"content_type": "application/octet-stream", "size_bytes": 3, "base64": "AAH/"}, 200},
		{"/latin1", map[string]any{"content_type": "text/plain", "size_bytes": 4, "base64": base64.StdEncoding.EncodeToString([]byte("caf\xe9"))}, 200},
		{"/empty", nil, 204},
		{"/created", nil, 201},
	}
	e := &HTTPExecutor{BaseURL: srv.URL, Toolkit: "example"}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := e.Execute(context.Background(), tools.Call{Tool: getTool(tt.path)})
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if diff := cmp.Diff(tools.Result{Data: tt.wantData, Status: tt.wantStatus}, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExecuteRequestShape(t *testing.T) {
	srv := newAPI(t)
	e := &HTTPExecutor{
		BaseURL: srv.URL + "/v1/", Toolkit: "example", UserAgent: "toolmux-test/1",
		DefaultHeaders: map[string]string{"X-Version": "2022-11-28", "Accept": "application/vnd.github+json"},
	}
	tool := &tools.Tool{Slug: "EXAMPLE_CREATE", HTTP: &tools.HTTPBinding{
		Method: "POST", Path: "/echo/{owner}/items",
		Params: []tools.HTTPParam{
			{Arg: "owner", Name: "owner", In: tools.InPath, Required: true},
			{Arg: "name", Name: "name", In: tools.InQuery},
			{Arg: "version", Name: "X-Version", In: tools.InHeader},
		},
		Body: &tools.HTTPBody{ContentType: "application/json", Props: map[string]string{"body_name": "name", "title": "title"}},
	}}
	res, err := e.Execute(context.Background(), tools.Call{Tool: tool, Arguments: map[string]any{
		"owner": "a/b", "name": "q", "body_name": "b", "title": "t", "version": "2026-01-01",
	}})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	got := decodeEcho(t, res)
	want := map[string]any{
		"method": "POST", "path": "/v1/echo/a%2Fb/items", "query": "name=q", "authorization": "", "x_api_key": "",
		"cookies": "", "user_agent": "toolmux-test/1", "accept": "application/vnd.github+json",
		"x_version": "2026-01-01", "content_type": "application/json", "body": `{"name":"b","title":"t"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request as received (-want +got):\n%s", diff)
	}
}

func TestExecuteHTTPErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/repos/o/r", reply(404, "text/plain", "Not Found"))
	mux.HandleFunc("/e500", reply(500, "application/json", `{"message": "boom"}`))
	mux.HandleFunc("/oauth", reply(400, "application/json", `{"error": "invalid_grant", "error_description": "code expired"}`))
	mux.HandleFunc("/validation", reply(422, "application/json", `{"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}]}`))
	mux.HandleFunc("/stripe", reply(402, "application/json", `{"error": {"message": "Your card was declined.", "type": "card_error"}}`))
	mux.HandleFunc("/problem", reply(404, "application/problem+json", `{"title": "Not Found", "detail": "no user 7"}`))
	mux.HandleFunc("/jsonapi", reply(400, "application/vnd.api+json", `{"errors": [{"detail": "name is too long"}]}`))
	mux.HandleFunc("/html", reply(502, "text/html", `<html><head><title>x</title><style>p{}</style></head><body><h1>Bad   Gateway</h1></body></html>`))
	mux.HandleFunc("/odd", reply(418, "application/json", `{"code": 7}`))
	mux.HandleFunc("/limited", reply(429, "application/json", `{"message": "slow down"}`, "Retry-After", "30"))
	mux.HandleFunc("/unauth", reply(401, "application/json", `{"message": "Requires authentication"}`))
	mux.HandleFunc("/api/chat.postMessage", reply(200, "application/json", `{"ok": false, "error": "missing_scope", "needed": "chat:write"}`))
	mux.HandleFunc("/long", reply(400, "text/plain", strings.Repeat("é", 400)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name       string
		svc        string
		tool       *tools.Tool
		args       map[string]any
		wantStatus int
		wantMsg    string
		wantError  string // the whole Error() text
	}{
		{name: "404 text", svc: "GitHub",
			tool: &tools.Tool{Slug: "GITHUB_GET_REPO", HTTP: &tools.HTTPBinding{Method: "GET", Path: "/repos/{owner}/{repo}",
				Params: []tools.HTTPParam{{Arg: "owner", Name: "owner", In: tools.InPath, Required: true}, {Arg: "repo", Name: "repo", In: tools.InPath, Required: true}}}},
			args:       map[string]any{"owner": "o", "repo": "r"},
			wantStatus: 404, wantMsg: "Not Found",
			wantError: "GitHub API returned 404 Not Found: Not Found (GET /repos/o/r)"},
		{name: "500 JSON message", svc: "Example", tool: getTool("/e500"), wantStatus: 500, wantMsg: "boom",
			wantError: "Example API returned 500 Internal Server Error: boom (GET /e500); the service failed; retrying later may help"},
		{name: "oauth error", tool: getTool("/oauth"), wantStatus: 400, wantMsg: "invalid_grant: code expired"},
		{name: "validation errors", tool: getTool("/validation"), wantStatus: 422, wantMsg: "Validation Failed: field title: missing_field"},
		{name: "error object", tool: getTool("/stripe"), wantStatus: 402, wantMsg: "Your card was declined."},
		{name: "problem json", tool: getTool("/problem"), wantStatus: 404, wantMsg: "Not Found: no user 7"},
		{name: "json api errors", tool: getTool("/jsonapi"), wantStatus: 400, wantMsg: "name is too long"},
		{name: "html page", tool: getTool("/html"), wantStatus: 502, wantMsg: "x Bad Gateway"},
		{name: "unknown JSON shape", tool: getTool("/odd"), wantStatus: 418, wantMsg: `{"code":7}`},
		{name: "rate limited", tool: getTool("/limited"), wantStatus: 429, wantMsg: "slow down",
			wantError: "example API returned 429 Too Many Requests: slow down (GET /limited); rate limited: wait 30 (Retry-After) before retrying"},
		{name: "unauthorized without auth", tool: getTool("/unauth"), wantStatus: 401, wantMsg: "Requires authentication",
			wantError: "example API returned 401 Unauthorized: Requires authentication (GET /unauth); this API needs credentials: connect an account (toolmux connect example)"},
		{name: "slack ok false", svc: "Slack",
			tool:       &tools.Tool{Slug: "SLACK_CHAT_POST_MESSAGE", HTTP: &tools.HTTPBinding{Method: "POST", Path: "/api/chat.postMessage"}},
			wantStatus: 200, wantMsg: "missing_scope (needed: chat:write)",
			wantError: "Slack API returned an error: missing_scope (needed: chat:write) (POST /api/chat.postMessage)"},
		{name: "long text truncated", tool: getTool("/long"), wantStatus: 400, wantMsg: strings.Repeat("é", 300) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &HTTPExecutor{BaseURL: srv.URL, Toolkit: "example", Name: tt.svc}
			res, err := e.Execute(context.Background(), tools.Call{Tool: tt.tool, Arguments: tt.args})
			var herr *HTTPError
			if !errors.As(err, &herr) {
				t.Fatalf("Execute error = %v (%T), want *HTTPError", err, err)
			}
			if res.Status != tt.wantStatus || herr.Status != tt.wantStatus {
				t.Errorf("status = %d / %d, want %d", res.Status, herr.Status, tt.wantStatus)
			}
			if herr.Message != tt.wantMsg {
				t.Errorf("Message = %q, want %q", herr.Message, tt.wantMsg)
			}
			if herr.Body == nil {
				t.Errorf("Body is nil, want the decoded error body")
			}
			if tt.wantError != "" && err.Error() != tt.wantError {
				t.Errorf("Error() = %q\nwant      %q", err.Error(), tt.wantError)
			}
		})
	}
}

func TestExecuteTimeout(t *testing.T) {
	srv := newAPI(t)
	e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", Name: "Example"}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := e.Execute(ctx, tools.Call{Tool: getTool("/slow")})
	if err == nil {
		t.Fatal("Execute against a server that never answers returned no error")
	}
	// The budget is measured from the start of Execute, a little after the context was made.
	want := regexp.MustCompile(`^Example API call GET /v1/slow timed out after \d+ms; the session is still usable`)
	if !want.MatchString(err.Error()) {
		t.Errorf("error %q does not match %q", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v is not context.DeadlineExceeded", err)
	}
	// The executor is still good for the next call.
	if _, err := e.Execute(context.Background(), tools.Call{Tool: getTool("/echo/again")}); err != nil {
		t.Errorf("call after a timeout: %v", err)
	}

	// The client's own timeout reads the same.
	e.Client = &http.Client{Timeout: 150 * time.Millisecond}
	_, err = e.Execute(context.Background(), tools.Call{Tool: getTool("/slow")})
	if err == nil || !strings.Contains(err.Error(), "timed out after 150ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("client timeout error = %v, want one saying it timed out after 150ms", err)
	}
}

func TestExecuteCanceled(t *testing.T) {
	srv := newAPI(t)
	e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example"}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := e.Execute(ctx, tools.Call{Tool: getTool("/slow")})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "was canceled") {
		t.Errorf("error = %v, want a cancellation", err)
	}
}

func TestExecuteResponseCap(t *testing.T) {
	srv := newAPI(t)
	tests := []struct {
		path    string
		wantErr string
	}{
		{"/big", "response from example API GET /v1/big larger than 1024 bytes; ask for less"},
		{"/bigchunked", "response from example API GET /v1/bigchunked larger than 1024 bytes"},
		{"/exact", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", MaxResponseBytes: 1024}
			res, err := e.Execute(context.Background(), tools.Call{Tool: getTool(tt.path)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Execute: %v", err)
				}
				if s, _ := res.Data.(string); len(s) != 1024 {
					t.Errorf("got %d bytes, want 1024", len(s))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Execute error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestExecuteRequestCap(t *testing.T) {
	srv := newAPI(t)
	e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", MaxRequestBytes: 100}
	tool := &tools.Tool{Slug: "EXAMPLE_PUT", HTTP: &tools.HTTPBinding{Method: "PUT", Path: "/echo/x",
		Body: &tools.HTTPBody{ContentType: "application/json", Arg: "request_body"}}}
	_, err := e.Execute(context.Background(), tools.Call{Tool: tool, Arguments: map[string]any{"request_body": strings.Repeat("a", 200)}})
	if err == nil || !strings.Contains(err.Error(), "EXAMPLE_PUT: request body is larger than 100 bytes") {
		t.Errorf("error = %v, want the body refused", err)
	}
}

func TestExecuteRedirects(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		echo(w, r)
	}))
	defer other.Close()
	srv := newAPI(t)
	srv.Config.Handler.(*http.ServeMux).HandleFunc("/v1/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal?"+r.URL.RawQuery, http.StatusFound)
	})
	srv.Config.Handler.(*http.ServeMux).HandleFunc("/v1/downgrade", func(w http.ResponseWriter, r *http.Request) {
		// Same host and port, other scheme.
		http.Redirect(w, r, strings.Replace(srv.URL, "http://", "https://", 1)+"/v1/echo/x", http.StatusMovedPermanently)
	})
	var loopHits atomic.Int32
	srv.Config.Handler.(*http.ServeMux).HandleFunc("/v1/loop2", func(w http.ResponseWriter, r *http.Request) {
		loopHits.Add(1)
		http.Redirect(w, r, "/v1/loop2", http.StatusFound)
	})

	bearer := StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}, Secret: testToken}
	queryKey := StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "query", Name: "api_key"}, Secret: testToken}

	t.Run("same host keeps bearer", func(t *testing.T) {
		e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", Auth: bearer}
		res, err := e.Execute(context.Background(), tools.Call{Tool: getTool("/redirect")})
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
		decodeEcho(t, res)
		got := seenByServer(t)
		if got["path"] != "/v1/echo/after-redirect" || got["authorization"] != "Bearer "+testToken {
			t.Errorf("redirected request = %v, want /v1/echo/after-redirect with the bearer token", got)
		}
	})
	t.Run("same host keeps query key", func(t *testing.T) {
		e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", Auth: queryKey}
		res, err := e.Execute(context.Background(), tools.Call{Tool: getTool("/redirect")})
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
		decodeEcho(t, res)
		got := seenByServer(t)
		if got["query"] != "api_key="+testToken {
			t.Errorf("redirected query = %q, want the API key again", got["query"])
		}
	})
	t.Run("307 resends the body", func(t *testing.T) {
		e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", Auth: bearer}
		tool := &tools.Tool{Slug: "EXAMPLE_POST", HTTP: &tools.HTTPBinding{Method: "POST", Path: "/redirect307",
			Body: &tools.HTTPBody{ContentType: "application/json", Props: map[string]string{"a": "a"}}}}
		res, err := e.Execute(context.Background(), tools.Call{Tool: tool, Arguments: map[string]any{"a": "b"}})
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
		decodeEcho(t, res)
		got := seenByServer(t)
		if got["method"] != "POST" || got["body"] != `{"a":"b"}` || got["authorization"] != "Bearer "+testToken {
			t.Errorf("redirected request = %v, want the POST with its body and token", got)
		}
	})
	t.Run("other host refused", func(t *testing.T) {
		e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", Auth: queryKey}
		_, err := e.Execute(context.Background(), tools.Call{Tool: getTool("/away")})
		if err == nil || !strings.Contains(err.Error(), "to another host, "+other.URL+"; it was not followed") {
			t.Fatalf("error = %v, want the redirect to %s refused", err, other.URL)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("error %q contains the secret", err)
		}
		if n := otherHits.Load(); n != 0 {
			t.Errorf("the other host got %d requests, want 0", n)
		}
	})
	t.Run("scheme change refused", func(t *testing.T) {
		e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example", Auth: bearer}
		_, err := e.Execute(context.Background(), tools.Call{Tool: getTool("/downgrade")})
		if err == nil || !strings.Contains(err.Error(), "it was not followed") {
			t.Fatalf("error = %v, want the redirect refused", err)
		}
	})
	t.Run("loop stops after five", func(t *testing.T) {
		e := &HTTPExecutor{BaseURL: srv.URL + "/v1", Toolkit: "example"}
		_, err := e.Execute(context.Background(), tools.Call{Tool: getTool("/loop2")})
		if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
			t.Fatalf("error = %v, want the loop stopped", err)
		}
		if n := loopHits.Load(); n != MaxRedirects+1 {
			t.Errorf("loop got %d requests, want %d", n, MaxRedirects+1)
		}
	})
}

// TestSecretsNeverInErrors runs every failure mode with every credential placement and checks that neither the
// error text, the error's URL and body, nor the debug log carries a secret.
func TestSecretsNeverInErrors(t *testing.T) {
	srv := newAPI(t)
	other := httptest.NewServer(http.HandlerFunc(echo))
	defer other.Close()
	srv.Config.Handler.(*http.ServeMux).HandleFunc("/v1/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal?"+r.URL.RawQuery, http.StatusFound)
	})
	srv.Config.Handler.(*http.ServeMux).HandleFunc("/v1/okfalse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok": false, "error": "invalid_auth %s %s"}`, r.Header.Get("Authorization"), r.URL.RawQuery)
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	auths := map[string]StaticAuth{
		"bearer":       {Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}, Secret: testToken},
		"header key":   {Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "header", Name: "X-Api-Key"}, Secret: testToken},
		"query key":    {Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "query", Name: "api_key"}, Secret: testToken},
		"odd query":    {Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "query", Name: "k"}, Secret: testToken},
		"cookie key":   {Scheme: tools.AuthScheme{Scheme: tools.SchemeAPIKey, In: "cookie", Name: "sid"}, Secret: testToken},
		"basic":        {Scheme: tools.AuthScheme{Scheme: tools.SchemeBasic}, Secret: "octocat:" + testPassword},
		"basic escape": {Scheme: tools.AuthScheme{Scheme: tools.SchemeBasic}, Secret: "u:" + testPassword + "/+="},
	}
	scenarios := []struct {
		name string
		base string
		path string
		ctx  time.Duration
		max  int64
	}{
		{name: "echoed in 401", path: "/leak"},
		{name: "echoed in ok false", path: "/okfalse"},
		{name: "cross host redirect", path: "/away"},
		{name: "timeout", path: "/slow", ctx: 100 * time.Millisecond},
		{name: "oversized", path: "/big", max: 10},
		{name: "connection refused", base: closedURL, path: "/x"},
	}
	for authName, auth := range auths {
		for _, sc := range scenarios {
			t.Run(authName+"/"+sc.name, func(t *testing.T) {
				var logged bytes.Buffer
				base := sc.base
				if base == "" {
					base = srv.URL + "/v1"
				}
				e := &HTTPExecutor{BaseURL: base, Toolkit: "example", Auth: auth, MaxResponseBytes: sc.max,
					Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))}
				ctx := context.Background()
				if sc.ctx > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, sc.ctx)
					defer cancel()
				}
				_, err := e.Execute(ctx, tools.Call{Tool: getTool(sc.path), Arguments: map[string]any{"q": "x"}})
				if err == nil {
					t.Fatal("Execute returned no error")
				}
				texts := []string{err.Error(), fmt.Sprintf("%+v", err), logged.String()}
				var herr *HTTPError
				if errors.As(err, &herr) {
					body, _ := json.Marshal(herr.Body)
					texts = append(texts, herr.URL, herr.Message, string(body))
					if authName == "query key" && !strings.Contains(herr.URL, "api_key=REDACTED&q=x") {
						t.Errorf("URL = %q, want the key shown as REDACTED", herr.URL)
					}
				}
				if !strings.Contains(logged.String(), "msg=\"http call\"") {
					t.Errorf("no log record of the call in %q", logged.String())
				}
				secrets := []string{testToken, testPassword, base64.StdEncoding.EncodeToString([]byte(auth.Secret))}
				for _, text := range texts {
					for _, secret := range secrets {
						if strings.Contains(text, secret) {
							t.Errorf("secret leaked in %q", text)
						}
					}
				}
			})
		}
	}
}

func TestExecuteMisconfigured(t *testing.T) {
	tests := []struct {
		name    string
		e       *HTTPExecutor
		call    tools.Call
		wantErr string
	}{
		{name: "no binding", e: &HTTPExecutor{BaseURL: "https://api.example.com"}, call: tools.Call{Tool: &tools.Tool{Slug: "X"}},
			wantErr: "the tool has no HTTP binding"},
		{name: "no base URL", e: &HTTPExecutor{Toolkit: "example"}, call: tools.Call{Tool: getTool("/x")},
			wantErr: "toolkit example has no base URL; set base_url for it in the config"},
		{name: "bad default header", e: &HTTPExecutor{BaseURL: "https://api.example.com", Toolkit: "example",
			DefaultHeaders: map[string]string{"X-A": "b\nc"}}, call: tools.Call{Tool: getTool("/x")},
			wantErr: `default header "X-A" contains a line break`},
		{name: "auth error", e: &HTTPExecutor{BaseURL: "https://api.example.com", Toolkit: "example",
			Auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}}}, call: tools.Call{Tool: getTool("/x")},
			wantErr: "authorize example: no BEARER_TOKEN credential configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.e.Execute(context.Background(), tt.call)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Execute error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// BenchmarkExecuteJSON measures a whole call against a local server answering 100 KB of JSON, with a bearer token
// (so the result is also scrubbed).
func BenchmarkExecuteJSON(b *testing.B) {
	items := make([]map[string]any, 500)
	for i := range items {
		items[i] = map[string]any{"id": i, "name": fmt.Sprintf("item %d", i), "description": strings.Repeat("lorem ipsum ", 12)}
	}
	payload, _ := json.Marshal(items)
	srv := httptest.NewServer(reply(200, "application/json", string(payload)))
	defer srv.Close()
	e := &HTTPExecutor{BaseURL: srv.URL, Toolkit: "example",
		Auth: StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}, Secret: testToken}}
	call := tools.Call{Tool: getTool("/items"), Arguments: map[string]any{"q": "x"}}
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := e.Execute(context.Background(), call); err != nil {
			b.Fatal(err)
		}
	}
}

// TestExecuteGitHubAgainstPrism imports the published GitHub description and runs real calls through the executor
// against Prism mocking it. Prism validates every request against the description and answers 422 for an invalid
// one, so a 2xx means the request was what GitHub documents: path escaping, query formatting, body shape.
func TestExecuteGitHubAgainstPrism(t *testing.T) {
	const (
		prismBin = "../../test-tools/node_modules/.bin/prism"
		specFile = "../../test-tools/node_modules/@octokit/openapi/generated/api.github.com.json"
	)
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf(format+" (CI is set, so this is a failure; run npm ci in test-tools)", args...)
		}
		t.Skipf(format+"; run npm ci in test-tools", args...)
	}
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("starting Prism on the GitHub description takes about 30 s; skipped with -short")
	}
	if _, err := os.Stat(prismBin); err != nil {
		missing("Prism not installed: %v", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node not found: %v", err)
	}
	spec, err := os.ReadFile(specFile)
	if err != nil {
		missing("GitHub description not installed: %v", err)
	}

	port, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	var prismLog bytes.Buffer
	cmd := exec.Command(prismBin, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), specFile)
	cmd.Stdout, cmd.Stderr = &prismLog, &prismLog
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Prism: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	tk, _, err := Import(context.Background(), specFile, spec, Options{Slug: "github"})
	if err != nil {
		t.Fatalf("import the GitHub description: %v", err)
	}
	bySlug := map[string]*tools.Tool{}
	for _, tool := range tk.Tools {
		bySlug[tool.Slug] = tool
	}

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("Prism exited before it was ready (%v):\n%s", err, prismLog.String())
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prism not ready after 3 minutes:\n%s", prismLog.String())
		}
	}

	e := &HTTPExecutor{BaseURL: base, Toolkit: "github", Name: "GitHub",
		Auth:           StaticAuth{Scheme: tools.AuthScheme{Scheme: tools.SchemeBearerToken}, Secret: testToken},
		DefaultHeaders: map[string]string{"X-GitHub-Api-Version": "2022-11-28"}}
	repo := map[string]any{"owner": "octocat", "repo": "hello-world"}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range repo {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		slug       string
		args       map[string]any
		wantStatus int
	}{
		{"GITHUB_USERS_GET_AUTHENTICATED", nil, 200},
		{"GITHUB_ISSUES_CREATE", with(map[string]any{"title": "Found a bug", "body": "It breaks.", "labels": []any{"bug"}, "assignees": []any{"octocat"}}), 201},
		{"GITHUB_ISSUES_LIST_FOR_REPO", with(map[string]any{"state": "open", "labels": "bug,ui", "per_page": float64(5), "sort": "created"}), 200},
		{"GITHUB_ISSUES_UPDATE", with(map[string]any{"issue_number": float64(1347), "state": "closed", "state_reason": "completed"}), 200},
		{"GITHUB_ISSUES_ADD_LABELS", with(map[string]any{"issue_number": json.Number("1347"), "request_body": map[string]any{"labels": []any{"bug"}}}), 200},
		{"GITHUB_REACTIONS_CREATE_FOR_ISSUE", with(map[string]any{"issue_number": float64(1347), "content": "+1"}), 200},
		{"GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS", map[string]any{"q": "repo:octocat/hello-world is:open label:\"good first issue\"", "per_page": float64(10)}, 200},
		{"GITHUB_MARKDOWN_RENDER_RAW", map[string]any{"request_body": "# Hello"}, 200},
		// Prism refuses a page size that is not an integer: the error reaches the caller as an *HTTPError.
		{"GITHUB_ISSUES_LIST_FOR_REPO", with(map[string]any{"per_page": "many"}), 422},
		{"GITHUB_REACTIONS_CREATE_FOR_ISSUE", with(map[string]any{"issue_number": float64(1347), "content": "thumbs"}), 422},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			tool := bySlug[tt.slug]
			if tool == nil {
				t.Fatalf("the import has no tool %s", tt.slug)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := e.Execute(ctx, tools.Call{Tool: tool, Arguments: tt.args})
			if tt.wantStatus >= 300 {
				var herr *HTTPError
				if !errors.As(err, &herr) || herr.Status != tt.wantStatus {
					t.Fatalf("Execute error = %v, want an *HTTPError with status %d", err, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if res.Status != tt.wantStatus || res.Data == nil {
				t.Errorf("result status %d with data %T, want %d with a body", res.Status, res.Data, tt.wantStatus)
			}
		})
	}
}
