package e2e

// Every tool of every curated toolkit, exercised at the request level. For each built-in toolkit with a
// toolkits/<slug>/testdata/calls.json (the format is documented in the toolkits package), the test starts a mock
// of the vendor's API, points the toolkit at it with [builtin.base_url], gives it static credentials through
// [auth.<slug>], and runs every listed call through one `toolmux serve` session:
//
//   - The mock is Prism on the manifest's source.spec, the vendor's FULL published description, so each request is
//     validated against what the vendor documents (path, method, parameters, body, and credentials where the
//     description declares security), not against the trimmed copy toolmux embeds. One Prism per document,
//     started in parallel, stopped when the test ends.
//   - A toolkit whose source.spec is our own document (Hacker News publishes none) is served instead by an httptest
//     fake registered in curatedFakes that asserts the method, path, query and headers the vendor documents.
//   - The operations of a manifest's source.extra, our own supplement to the vendor's description (Notion's lacks
//     search, creation and cursors), go to the toolkit's httptest fake in curatedFakes, which asserts the method,
//     path, headers and JSON body the vendor's API reference documents; the vendor's operations stay on Prism.
//   - Tools with body_media_type send JSON where the vendor's description lists only upload media types (Google's
//     messages.send, files.create), so Prism on it would answer 415 unread. Their requests go to a second Prism on
//     the toolkit's trimmed openapi.json, which has the JSON media type with the vendor's schema for the body.
//
// The test fails naming any tool without a call, any call that did not succeed (or did not fail with its
// expect_status), any request that arrived without the configured credential, and any toolkit without a negative
// control: a raw request the mock must refuse, proving it validates at all.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/toolmux/toolmux/internal/freeport"
)

// curatedManifest is the part of a toolkit's manifest.toml the harness needs. It is read independently of the
// toolkits package: the e2e tests depend on nothing in toolmux at compile time.
type curatedManifest struct {
	Slug   string `toml:"slug"`
	Source struct {
		Spec  string `toml:"spec"`
		Extra string `toml:"extra"`
	} `toml:"source"`
	AuthSchemes []struct {
		Scheme string `toml:"scheme"`
		In     string `toml:"in"`
		Name   string `toml:"name"`
	} `toml:"auth_schemes"`
	Tools []struct {
		Slug          string `toml:"slug"`
		OperationID   string `toml:"operation_id"`
		BodyMediaType string `toml:"body_media_type"`
	} `toml:"tools"`
	WhoAmI *struct {
		Tool string `toml:"tool"`
	} `toml:"whoami"`
}

// curatedCall is one entry of calls.json: a tool call through toolmux, or a raw request straight to the mock.
type curatedCall struct {
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
	// ExpectStatus is the HTTP status the call must end with; 0 means any 2xx.
	ExpectStatus int `json:"expect_status"`
	// Raw is a request sent to the mock without toolmux: a negative control (expect_status 4xx) proving the mock
	// validates requests.
	Raw *rawRequest `json:"raw"`
}

type rawRequest struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   map[string]string `json:"query"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	// Anonymous sends the request without the toolkit's credential.
	Anonymous bool `json:"anonymous"`
	// ExpectText must appear (case-insensitively) in the answer's body or in Prism's sl-violations header, e.g.
	// the name of the parameter a validation error is about.
	ExpectText string `json:"expect_text"`
}

// curatedToolkit is one toolkit under test.
type curatedToolkit struct {
	dir      string
	manifest curatedManifest
	calls    []curatedCall
}

func loadCuratedToolkits(t *testing.T) []curatedToolkit {
	t.Helper()
	manifests, err := filepath.Glob(filepath.Join(repoRoot, "toolkits", "*", "manifest.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []curatedToolkit
	for _, mfile := range manifests {
		dir := filepath.Dir(mfile)
		raw, err := os.ReadFile(filepath.Join(dir, "testdata", "calls.json"))
		if os.IsNotExist(err) {
			t.Logf("toolkit %s has no testdata/calls.json; its tools are not exercised here", filepath.Base(dir))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		tk := curatedToolkit{dir: dir}
		data, err := os.ReadFile(mfile)
		if err != nil {
			t.Fatal(err)
		}
		// Unknown keys are fine here: the toolkits package validates manifests; this reads only what it needs.
		if err := toml.Unmarshal(data, &tk.manifest); err != nil {
			t.Fatalf("%s: %v", mfile, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tk.calls); err != nil {
			t.Errorf("%s/testdata/calls.json: %v (a JSON list of {tool, arguments, expect_status} or {raw, expect_status}; see the toolkits package doc)", dir, err)
			continue
		}
		out = append(out, tk)
	}
	return out
}

// curatedFake serves a toolkit whose vendor publishes no API description: it asserts what the vendor documents
// and answers 400 with the reason otherwise. The toolkit's base URL is the fake's URL plus path (the API's own
// base path, e.g. "/v0").
type curatedFake struct {
	path    string
	handler func(t *testing.T) http.Handler
}

var curatedFakes = map[string]curatedFake{
	"hackernews": {path: "/v0", handler: hackerNewsFake},
	// Only the operations of notion's source.extra, our supplement to Notion's description; Prism serves the rest.
	"notion": {handler: notionFake},
}

// curatedAdapters bridge a documented difference between what the vendor's API accepts and what its published
// description says, in the proxy between toolmux and Prism. They never invent a credential: they only move the
// one toolmux sent.
var curatedAdapters = map[string]func(r *http.Request){
	// GitHub documents "Accept: application/vnd.github+json", but its description lists only application/json
	// responses, so Prism's content negotiation would answer 406.
	"github": func(r *http.Request) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Accept")); mt == "application/vnd.github+json" {
			r.Header.Set("Accept", "application/json")
		}
	},
	// Slack accepts the token as "Authorization: Bearer", which toolmux sends; the description still declares it
	// as a required "token" header or query parameter on each method. Copy the bearer token there.
	"slack": func(r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return
		}
		r.Header.Set("token", tok)
		q := r.URL.Query()
		q.Set("token", tok)
		r.URL.RawQuery = q.Encode()
	},
}

// curatedResponseAdapters undo what Prism copies from a description's recorded response headers but the vendor's
// API does not send.
var curatedResponseAdapters = map[string]func(*http.Response){
	// Notion's description, converted from a Postman collection, lists "Content-Encoding: gzip" among each
	// response's headers, and Prism sends it with a plain JSON body.
	"notion": func(resp *http.Response) { resp.Header.Del("Content-Encoding") },
}

// curatedPrisms holds one Prism per vendor document, shared by the toolkits that use it.
type curatedPrisms struct {
	mu    sync.Mutex
	byDoc map[string]*curatedPrism
}

type curatedPrism struct {
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
	log  *syncBuffer
}

// start returns the URL of a Prism mock of spec, starting it on first use.
func (p *curatedPrisms) start(t *testing.T, spec string) string {
	t.Helper()
	if spec == githubSpec(t) {
		return startPrism(t) // the package's shared GitHub mock
	}
	bin := nodeBin(t, "prism")
	p.mu.Lock()
	e := p.byDoc[spec]
	if e == nil {
		e = &curatedPrism{}
		p.byDoc[spec] = e
	}
	p.mu.Unlock()
	e.once.Do(func() {
		var took time.Duration
		e.url, took, e.cmd, e.log, e.err = launchPrismOn(bin, spec)
		if e.err == nil {
			t.Logf("Prism mocks %s at %s; it took %s to start", filepath.Base(spec), e.url, took.Round(100*time.Millisecond))
		}
	})
	if e.err != nil {
		t.Fatalf("prism on %s: %v", spec, e.err)
	}
	return e.url
}

func (p *curatedPrisms) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.byDoc {
		if e.cmd != nil && e.cmd.Process != nil {
			_ = e.cmd.Process.Kill()
		}
	}
}

// launchPrismOn starts `prism mock` (request validation on, --errors off, as prism_test.go's header explains) on spec and
// waits for its first HTTP answer.
func launchPrismOn(bin, spec string) (string, time.Duration, *exec.Cmd, *syncBuffer, error) {
	port, err := freeport.Get()
	if err != nil {
		return "", 0, nil, nil, err
	}
	log := &syncBuffer{}
	cmd := exec.Command(bin, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), spec)
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", 0, nil, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(prismReadyTimeout); time.Now().Before(deadline); {
		select {
		case err := <-exited:
			return "", 0, nil, nil, fmt.Errorf("prism exited before it was ready (%v):\n%s", err, tail(log.String(), 3000))
		case <-time.After(200 * time.Millisecond):
		}
		if resp, err := client.Get(url + "/"); err == nil {
			resp.Body.Close()
			return url, time.Since(start), cmd, log, nil
		}
	}
	_ = cmd.Process.Kill()
	return "", 0, nil, nil, fmt.Errorf("prism not ready after %s:\n%s", prismReadyTimeout, tail(log.String(), 3000))
}

// curatedRoute sends the requests for one operation (method and path template) to another mock than the
// toolkit's main one: the httptest fake of our supplementary document, or Prism on the trimmed document.
type curatedRoute struct {
	method      string
	path        *regexp.Regexp
	target      string
	operationID string
	mock        string // what target is, for messages
}

// curatedRouter picks each request's mock: the first route matching it, else the main mock. It counts the
// requests each route took, so the test can prove every rerouted operation was exercised where it belongs.
type curatedRouter struct {
	main   string
	routes []curatedRoute
	mu     sync.Mutex
	hits   map[int]int // index into routes -> requests routed
}

func (rt *curatedRouter) target(method, path string) string {
	for i, r := range rt.routes {
		if r.method == method && r.path.MatchString(path) {
			rt.mu.Lock()
			rt.hits[i]++
			rt.mu.Unlock()
			return r.target
		}
	}
	return rt.main
}

// targets lists the distinct mocks, the main one first.
func (rt *curatedRouter) targets() []string {
	out := []string{rt.main}
	for _, r := range rt.routes {
		if !slices.Contains(out, r.target) {
			out = append(out, r.target)
		}
	}
	return out
}

// unused names the routed operations no request reached.
func (rt *curatedRouter) unused() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var out []string
	for i, r := range rt.routes {
		if rt.hits[i] == 0 {
			out = append(out, r.operationID+" ("+r.mock+")")
		}
	}
	return out
}

// add routes every operation of the OpenAPI document file whose operationId is in ids (all when ids is nil) to
// target; it returns the operationIds it routed.
func (rt *curatedRouter) add(t *testing.T, file string, ids []string, target, mock string) []string {
	t.Helper()
	doc := decode[struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}](t, mustRead(t, file))
	var routed []string
	for p, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
			}
			if json.Unmarshal(raw, &op) != nil || op.OperationID == "" || (ids != nil && !slices.Contains(ids, op.OperationID)) {
				continue
			}
			re := "^" + regexp.MustCompile(`\\\{[^/]*?\\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$"
			rt.routes = append(rt.routes, curatedRoute{
				method: strings.ToUpper(method), path: regexp.MustCompile(re), target: target, operationID: op.OperationID, mock: mock,
			})
			routed = append(routed, op.OperationID)
		}
	}
	return routed
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// recordingProxy forwards to the mock the router picks, applying the toolkit's adapter, and records every request
// as toolmux sent it.
type recordingProxy struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	statuses []int // the mock's answers, in the order they came
}

func newRecordingProxy(t *testing.T, router *curatedRouter, adapt func(*http.Request), adaptResponse func(*http.Response)) *recordingProxy {
	t.Helper()
	p := &recordingProxy{}
	proxies := map[string]*httputil.ReverseProxy{}
	for _, target := range router.targets() {
		u, err := neturl.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		proxy := httputil.NewSingleHostReverseProxy(u)
		proxy.ModifyResponse = func(resp *http.Response) error {
			p.mu.Lock()
			p.statuses = append(p.statuses, resp.StatusCode)
			p.mu.Unlock()
			if adaptResponse != nil {
				adaptResponse(resp)
			}
			return nil
		}
		proxies[target] = proxy
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests = append(p.requests, r.Clone(context.Background()))
		p.mu.Unlock()
		if adapt != nil {
			adapt(r)
		}
		proxies[router.target(r.Method, r.URL.Path)].ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *recordingProxy) received() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

func (p *recordingProxy) answered() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.statuses)
}

// curatedCredential is the static credential the harness configures for a toolkit, and the Authorization header
// it must produce.
type curatedCredential struct {
	config string // the [auth.<slug>] section, empty for NO_AUTH
	env    []string
	header string // the expected Authorization header (or, for API_KEY, the key where the scheme puts it)
	// presented returns what a request carries where this credential goes; attach puts it there (for raw
	// requests). Both default to the Authorization header.
	presented func(r *http.Request) string
	attach    func(r *http.Request)
	// connect are the arguments and stdin of `toolmux connect <slug>` with the same credential.
	connect []string
	secret  string
}

// curatedBearerToken is the token the harness configures for a BEARER_TOKEN toolkit; fakes assert it arrives.
func curatedBearerToken(slug string) string { return "e2e-" + slug + "-token-never-leaks-0123456789" }

func credentialFor(t *testing.T, m curatedManifest) curatedCredential {
	t.Helper()
	envName := "TOOLMUX_E2E_" + strings.ToUpper(m.Slug)
	for _, a := range m.AuthSchemes {
		switch a.Scheme {
		case "BEARER_TOKEN":
			tok := curatedBearerToken(m.Slug)
			return curatedCredential{
				config:  fmt.Sprintf("[auth.%s]\nscheme = \"BEARER_TOKEN\"\ntoken = \"env:%s_TOKEN\"\n", m.Slug, envName),
				env:     []string{envName + "_TOKEN=" + tok},
				header:  "Bearer " + tok,
				connect: []string{"--api-key-stdin", "--scheme", "BEARER_TOKEN"},
				secret:  tok,
			}
		case "BASIC":
			user, pass := "e2e@example.com", "e2e-"+m.Slug+"-api-token-never-leaks"
			return curatedCredential{
				config:  fmt.Sprintf("[auth.%s]\nscheme = \"BASIC\"\nusername = %q\npassword = \"env:%s_PASSWORD\"\n", m.Slug, user, envName),
				env:     []string{envName + "_PASSWORD=" + pass},
				header:  "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)),
				connect: []string{"--api-key-stdin", "--scheme", "BASIC", "--username", user},
				secret:  pass,
			}
		case "API_KEY":
			key := "e2e-" + m.Slug + "-api-key-never-leaks-0123456789"
			name := a.Name
			presented := func(r *http.Request) string { return r.Header.Get(name) }
			attach := func(r *http.Request) { r.Header.Set(name, key) }
			if a.In == "query" {
				presented = func(r *http.Request) string { return r.URL.Query().Get(name) }
				attach = func(r *http.Request) {
					q := r.URL.Query()
					q.Set(name, key)
					r.URL.RawQuery = q.Encode()
				}
			}
			return curatedCredential{
				config:    fmt.Sprintf("[auth.%s]\nscheme = \"API_KEY\"\ntoken = \"env:%s_KEY\"\n", m.Slug, envName),
				env:       []string{envName + "_KEY=" + key},
				header:    key,
				presented: presented,
				attach:    attach,
				connect:   []string{"--api-key-stdin", "--scheme", "API_KEY"},
				secret:    key,
			}
		case "NO_AUTH":
			return curatedCredential{}
		}
	}
	t.Fatalf("toolkit %s has no BEARER_TOKEN, BASIC, API_KEY or NO_AUTH scheme for the harness to configure; extend credentialFor", m.Slug)
	return curatedCredential{}
}

func TestCuratedToolkits(t *testing.T) {
	if testing.Short() {
		t.Skip("Prism needs several seconds per vendor description; skipped with -short")
	}
	toolkits := loadCuratedToolkits(t)
	if len(toolkits) == 0 {
		t.Fatal("no toolkits/*/testdata/calls.json found")
	}
	prisms := &curatedPrisms{byDoc: map[string]*curatedPrism{}}
	t.Cleanup(prisms.stop)
	for _, tk := range toolkits {
		t.Run(tk.manifest.Slug, func(t *testing.T) {
			t.Parallel()
			runCuratedToolkit(t, tk, prisms)
		})
	}
}

func runCuratedToolkit(t *testing.T, tk curatedToolkit, prisms *curatedPrisms) {
	m := tk.manifest
	var calls []curatedCall
	var raws []curatedCall
	covered := map[string]bool{}
	for i, c := range tk.calls {
		switch {
		case c.Raw != nil && c.Tool == "":
			raws = append(raws, c)
		case c.Raw == nil && c.Tool != "":
			calls = append(calls, c)
			covered[c.Tool] = true
		default:
			t.Fatalf("calls.json entry %d: give either tool (with arguments) or raw, not both or neither", i)
		}
	}
	var missing, known []string
	for _, tool := range m.Tools {
		known = append(known, tool.Slug)
		if !covered[tool.Slug] {
			missing = append(missing, tool.Slug)
		}
	}
	if len(missing) > 0 {
		t.Errorf("tools of %s without a call in testdata/calls.json: %s", m.Slug, strings.Join(missing, ", "))
	}
	for tool := range covered {
		if !slices.Contains(known, tool) {
			t.Errorf("calls.json calls %s, which is not a tool of the %s manifest", tool, m.Slug)
		}
	}

	// The mock: Prism on the vendor's published description, or our fake where there is none.
	var mockURL string
	basePath := ""
	router := &curatedRouter{hits: map[int]int{}}
	if fake, ok := curatedFakes[m.Slug]; ok && m.Source.Extra == "" {
		srv := httptest.NewServer(fake.handler(t))
		t.Cleanup(srv.Close)
		mockURL, basePath = srv.URL, fake.path
	} else {
		if !strings.HasPrefix(m.Source.Spec, "test-tools/node_modules/") {
			t.Fatalf("toolkit %s is not built from a vendor description pinned in test-tools (source.spec %q); register an httptest fake in curatedFakes (Prism on our own document proves nothing)", m.Slug, m.Source.Spec)
		}
		spec := filepath.Join(repoRoot, filepath.FromSlash(m.Source.Spec))
		if _, err := os.Stat(spec); err != nil {
			requireComponent(t, "the vendor description "+m.Source.Spec, "run `npm ci` in test-tools")
		}
		mockURL = prisms.start(t, spec)
	}
	router.main = mockURL

	// Operations from source.extra, our own supplementary document, go to the toolkit's httptest fake, which checks
	// them against the vendor's API reference (Prism on that same document would prove nothing).
	if m.Source.Extra != "" {
		fake, ok := curatedFakes[m.Slug]
		if !ok {
			t.Fatalf("toolkit %s has source.extra %s but no httptest fake in curatedFakes to check its operations", m.Slug, m.Source.Extra)
		}
		srv := httptest.NewServer(fake.handler(t))
		t.Cleanup(srv.Close)
		routed := router.add(t, filepath.Join(repoRoot, filepath.FromSlash(m.Source.Extra)), nil, srv.URL+fake.path, "httptest fake")
		t.Logf("%d operations of %s are checked by the httptest fake: %s", len(routed), m.Source.Extra, strings.Join(routed, ", "))
	}
	// Tools with body_media_type send a JSON body the vendor's description lists only upload media types for, so
	// Prism on it answers 415 without looking at the body. Their requests go to Prism on the toolkit's trimmed
	// openapi.json, which has the JSON media type with the vendor's schema, so the body is validated after all.
	var mediaOps []string
	for _, tool := range m.Tools {
		if tool.BodyMediaType != "" {
			mediaOps = append(mediaOps, tool.OperationID)
		}
	}
	if len(mediaOps) > 0 {
		trimmed := filepath.Join(tk.dir, "openapi.json")
		if routed := router.add(t, trimmed, mediaOps, prisms.start(t, trimmed), "Prism on the trimmed openapi.json"); len(routed) != len(mediaOps) {
			t.Fatalf("body_media_type operations %v: only %v found in %s", mediaOps, routed, trimmed)
		}
	}

	cred := credentialFor(t, m)
	if cred.presented == nil {
		cred.presented = func(r *http.Request) string { return r.Header.Get("Authorization") }
		cred.attach = func(r *http.Request) { r.Header.Set("Authorization", cred.header) }
	}
	adapt := curatedAdapters[m.Slug]

	// The negative controls first: they need only the mock, and prove it refuses what the description forbids.
	if len(raws) == 0 || !slices.ContainsFunc(raws, func(c curatedCall) bool { return c.ExpectStatus >= 400 }) {
		t.Errorf("calls.json of %s has no negative control: add a {\"raw\": {...}, \"expect_status\": 4xx} request the mock must refuse", m.Slug)
	}
	for _, c := range raws {
		status, body := sendRaw(t, router.target(c.Raw.Method, c.Raw.Path), *c.Raw, cred, adapt)
		want := c.ExpectStatus
		if want == 0 {
			want = 200
		}
		if status != want || !strings.Contains(strings.ToLower(body), strings.ToLower(c.Raw.ExpectText)) {
			t.Errorf("raw %s %s: status %d, want %d with %q in the answer\n%.600s", c.Raw.Method, c.Raw.Path, status, want, c.Raw.ExpectText, body)
		}
	}

	proxy := newRecordingProxy(t, router, adapt, curatedResponseAdapters[m.Slug])
	h := newHarness(t)
	h.env = append(h.env, cred.env...)
	h.writeConfig(fmt.Sprintf("[builtin.base_url]\n%s = %s\n\n%s", m.Slug, tomlString(proxy.URL+basePath), cred.config))
	ctx := withTimeout(t, 4*time.Minute)
	s := h.serve(ctx, nil, "--session", "curated")

	// One multi-execute per 50 calls (the meta tool's limit); the calls of one batch run in parallel.
	for start := 0; start < len(calls); start += 50 {
		batch := calls[start:min(start+50, len(calls))]
		var cs []call
		for _, c := range batch {
			args := c.Arguments
			if args == nil {
				args = map[string]any{}
			}
			cs = append(cs, call{Slug: c.Tool, Args: args})
		}
		d := s.execute(ctx, t, nil, cs...)
		for i, r := range d.Results {
			c := batch[i]
			switch {
			case c.ExpectStatus == 0 || c.ExpectStatus/100 == 2:
				if !r.Response.Successful {
					t.Errorf("%s %s: %s", r.ToolSlug, mustJSONString(c.Arguments), r.Response.errorText())
					continue
				}
				if data := h.responseData(t, "curated", r); len(bytes.TrimSpace(data)) == 0 {
					t.Errorf("%s: successful with no data", r.ToolSlug)
				}
			default:
				if r.Response.Successful || !strings.Contains(r.Response.errorText(), strconv.Itoa(c.ExpectStatus)) {
					t.Errorf("%s %s: successful %v, error %q; want HTTP %d", r.ToolSlug, mustJSONString(c.Arguments),
						r.Response.Successful, r.Response.errorText(), c.ExpectStatus)
				}
			}
		}
	}

	// Every call reached the API (none was refused by toolmux before sending) with the configured credential, and
	// every rerouted operation reached its own mock.
	if unused := router.unused(); len(unused) > 0 {
		t.Errorf("no call of calls.json reached these rerouted operations: %s", strings.Join(unused, ", "))
	}
	reqs := proxy.received()
	if len(reqs) < len(calls) {
		t.Errorf("%d requests reached the mock for %d calls", len(reqs), len(calls))
	}
	for _, r := range reqs {
		if got := cred.presented(r); got != cred.header {
			t.Errorf("%s %s: credential %q, want %q", r.Method, r.URL.Path, redactCred(got), redactCred(cred.header))
		}
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "toolmux/") {
			t.Errorf("%s %s: User-Agent %q, want toolmux/VERSION", r.Method, r.URL.Path, ua)
		}
	}
	s.close(t)
	for _, kv := range cred.env {
		_, secret, _ := strings.Cut(kv, "=")
		assertSecretAbsent(t, secret, h.stateDir, s.stderr.String())
	}

	// The who-am-I call runs when an account is connected with the same credential: it must reach the mock with
	// the credential and be accepted. The label comes from the mock's example answer, which may lack the fields
	// (Prism's Jira /myself example has no emailAddress or displayName).
	if m.WhoAmI != nil && cred.secret != "" {
		before := len(proxy.answered())
		r := h.run(cred.secret, append([]string{"connect", m.Slug}, cred.connect...)...)
		if r.code != 0 {
			t.Errorf("toolmux connect %s: %s", m.Slug, r)
		}
		after := proxy.answered()
		if len(after) != before+1 || after[before]/100 != 2 {
			t.Errorf("connecting %s: the mock answered %v to the who-am-I call %s, want one 2xx", m.Slug, after[before:], m.WhoAmI.Tool)
		}
		if reqs := proxy.received(); len(reqs) > 0 && cred.presented(reqs[len(reqs)-1]) != cred.header {
			t.Errorf("the who-am-I call %s was sent without the connected credential", m.WhoAmI.Tool)
		}
		accounts := decode[[]struct {
			Toolkit string `json:"toolkit"`
			Label   string `json:"label"`
		}](t, []byte(h.mustRun("", "connections", "list", "--json").stdout))
		labelled := false
		for _, a := range accounts {
			labelled = labelled || (a.Toolkit == m.Slug && a.Label != "")
		}
		if !labelled {
			t.Logf("the account connected to %s has no label: the mock's answer to %s lacks the label fields", m.Slug, m.WhoAmI.Tool)
		}
	}
}

// sendRaw sends a calls.json raw request straight to the mock, with the toolkit's credential unless it is
// anonymous, through the same adapter the proxy applies. It returns the status and the answer: Prism's
// sl-violations header (its validation errors), a newline, and the body.
func sendRaw(t *testing.T, mockURL string, raw rawRequest, cred curatedCredential, adapt func(*http.Request)) (int, string) {
	t.Helper()
	u, err := neturl.Parse(mockURL + raw.Path)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range raw.Query {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequest(raw.Method, u.String(), strings.NewReader(raw.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range raw.Headers {
		req.Header.Set(k, v)
	}
	if cred.header != "" && !raw.Anonymous {
		cred.attach(req)
	}
	if adapt != nil {
		adapt(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("raw %s %s: %v", raw.Method, raw.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("sl-violations") + "\n" + string(body)
}

func redactCred(h string) string {
	if scheme, _, ok := strings.Cut(h, " "); ok {
		return scheme + " …"
	}
	if h != "" {
		return "…"
	}
	return h
}

func mustJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// hackerNewsFake serves the Hacker News Firebase API as https://github.com/HackerNews/API documents it: GET only,
// JSON answers, a ".json" suffix on every path, and no query parameters besides print=pretty. A request outside
// that is answered 400 with the reason, which fails the call that sent it.
func hackerNewsFake(*testing.T) http.Handler {
	story := map[string]any{
		"by": "dhouston", "descendants": 71, "id": 8863, "kids": []int{9224, 8917, 8952},
		"score": 104, "time": 1175714200, "title": "My YC app: Dropbox - Throw away your USB drive",
		"type": "story", "url": "http://www.getdropbox.com/u/2/screencast.html",
	}
	comment := map[string]any{
		"by": "norvig", "id": 2921983, "kids": []int{2922097, 2922429}, "parent": 2921506,
		"text": "Aw shucks, guys ... you make me blush with your compliments.", "time": 1314211127, "type": "comment",
	}
	user := map[string]any{
		"about": "This is a test", "created": 1173923446, "id": "jl", "karma": 2937,
		"submitted": []int{8265435, 8168423, 8090946},
	}
	ids := []int{8863, 2921983, 121003, 192327, 126809}
	fixed := map[string]any{
		"/v0/topstories.json":   ids,
		"/v0/newstories.json":   ids,
		"/v0/beststories.json":  ids,
		"/v0/askstories.json":   []int{121003},
		"/v0/showstories.json":  []int{8863},
		"/v0/jobstories.json":   []int{192327},
		"/v0/maxitem.json":      9130260,
		"/v0/updates.json":      map[string]any{"items": []int{8423305, 8420805}, "profiles": []string{"thefox", "mdda"}},
		"/v0/item/8863.json":    story,
		"/v0/item/2921983.json": comment,
		"/v0/item/1.json":       nil, // a missing item answers null
		"/v0/user/jl.json":      user,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(format string, args ...any) {
			http.Error(w, "hacker news fake: "+fmt.Sprintf(format, args...), http.StatusBadRequest)
		}
		if r.Method != http.MethodGet {
			fail("%s %s: the API is read-only, only GET is served", r.Method, r.URL.Path)
			return
		}
		for k, v := range r.URL.Query() {
			if k != "print" || !slices.Equal(v, []string{"pretty"}) {
				fail("%s: unexpected query parameter %s=%v", r.URL.Path, k, v)
				return
			}
		}
		if acc := r.Header.Get("Accept"); acc != "application/json" {
			fail("%s: Accept %q, want application/json", r.URL.Path, acc)
			return
		}
		if a := r.Header.Get("Authorization"); a != "" {
			fail("%s: an Authorization header was sent to an API that needs none", r.URL.Path)
			return
		}
		v, ok := fixed[r.URL.Path]
		if id, isItem := strings.CutPrefix(r.URL.Path, "/v0/item/"); !ok && isItem {
			// Firebase answers null for an item id that does not exist.
			n, err := strconv.Atoi(strings.TrimSuffix(id, ".json"))
			ok = err == nil && n > 0 && strings.HasSuffix(id, ".json")
		}
		if !ok {
			fail("GET %s is not a path of the Hacker News API", r.URL.Path)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(v)
	})
}

// notionFake serves the Notion endpoints of toolkits/notion/supplement.json as Notion's API reference documents them
// (https://developers.notion.com/reference, version 2022-06-28): it asserts the method, path, Notion-Version and
// bearer token, the query parameters and the JSON body shape of each, and answers with Notion's objects. Anything
// else is answered 400 validation_error (or 401 unauthorized) with the reason, Notion's error format.
func notionFake(*testing.T) http.Handler {
	const (
		pageID     = "b55c9c91-384d-452b-81db-d1ef79372b75"
		databaseID = "668d797c-76fa-4934-9b05-ad288df2d136"
		userID     = "6794760a-1f15-45cd-9c65-0dfe42f5135a"
		nextCursor = "fe2cc560-036c-44cd-90e8-294d5a74cebc"
	)
	richText := func(s string) []any {
		return []any{map[string]any{"type": "text", "text": map[string]any{"content": s, "link": nil},
			"annotations": map[string]any{"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
			"plain_text":  s, "href": nil}}
	}
	person := map[string]any{"object": "user", "id": userID, "type": "person", "name": "Ada Lovelace",
		"avatar_url": nil, "person": map[string]any{"email": "ada@example.com"}}
	bot := map[string]any{"object": "user", "id": "9a3b5ae0-c6e6-482d-b0e1-ed315ee6dc57", "type": "bot", "name": "toolmux",
		"avatar_url": nil, "bot": map[string]any{"owner": map[string]any{"type": "workspace", "workspace": true}}}
	page := func(id string, parent map[string]any, properties any) map[string]any {
		return map[string]any{"object": "page", "id": id, "created_time": "2024-05-02T09:12:00.000Z",
			"last_edited_time": "2024-05-02T09:12:00.000Z", "created_by": map[string]any{"object": "user", "id": userID},
			"last_edited_by": map[string]any{"object": "user", "id": userID}, "cover": nil, "icon": nil,
			"parent": parent, "archived": false, "properties": properties,
			"url": "https://www.notion.so/" + strings.ReplaceAll(id, "-", "")}
	}
	row := page(pageID, map[string]any{"type": "database_id", "database_id": databaseID}, map[string]any{
		"Name":   map[string]any{"id": "title", "type": "title", "title": richText("Read SICP")},
		"Status": map[string]any{"id": "aBcD", "type": "select", "select": map[string]any{"id": "1", "name": "Reading", "color": "blue"}},
	})
	database := map[string]any{"object": "database", "id": databaseID, "created_time": "2024-04-01T08:00:00.000Z",
		"last_edited_time": "2024-05-02T09:12:00.000Z", "title": richText("Reading list"), "description": []any{},
		"parent": map[string]any{"type": "page_id", "page_id": pageID}, "is_inline": false, "archived": false,
		"url":        "https://www.notion.so/" + strings.ReplaceAll(databaseID, "-", ""),
		"properties": map[string]any{"Name": map[string]any{"id": "title", "name": "Name", "type": "title", "title": map[string]any{}}}}
	// list is a page of results: the first says there is more, the one after next_cursor is the last.
	list := func(kind string, results []any, first bool) map[string]any {
		out := map[string]any{"object": "list", "results": results, "has_more": first, "next_cursor": nil, "type": kind, kind: map[string]any{}}
		if first {
			out["next_cursor"] = nextCursor
		}
		return out
	}
	paragraph := map[string]any{"object": "block", "id": "4868767d-9029-4b9d-a41b-652ef4c9c7b9", "type": "paragraph",
		"created_time": "2024-05-02T09:12:00.000Z", "last_edited_time": "2024-05-02T09:12:00.000Z", "has_children": false,
		"archived": false, "parent": map[string]any{"type": "page_id", "page_id": pageID},
		"paragraph": map[string]any{"rich_text": richText("Chapter 1 notes"), "color": "default"}}
	comment := func(discussion string, text []any) map[string]any {
		return map[string]any{"object": "comment", "id": "94cc56ab-9f02-409d-9f99-1037e9fe502f", "discussion_id": discussion,
			"parent": map[string]any{"type": "page_id", "page_id": pageID}, "created_time": "2024-05-02T09:12:00.000Z",
			"last_edited_time": "2024-05-02T09:12:00.000Z", "created_by": map[string]any{"object": "user", "id": bot["id"]},
			"rich_text": text}
	}
	token := "Bearer " + curatedBearerToken("notion")

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		fail := func(format string, args ...any) {
			answer(http.StatusBadRequest, map[string]any{"object": "error", "status": 400, "code": "validation_error",
				"message": "notion fake: " + r.Method + " " + r.URL.Path + ": " + fmt.Sprintf(format, args...)})
		}
		if r.Header.Get("Authorization") != token {
			answer(http.StatusUnauthorized, map[string]any{"object": "error", "status": 401, "code": "unauthorized",
				"message": "API token is invalid."})
			return
		}
		if v := r.Header.Get("Notion-Version"); v != "2022-06-28" {
			fail("Notion-Version header %q, want 2022-06-28", v)
			return
		}
		// Query parameters: only those listed, page_size an integer from 1 to 100.
		query := func(allowed ...string) bool {
			for k, v := range r.URL.Query() {
				if !slices.Contains(allowed, k) || len(v) != 1 && k != "filter_properties" {
					fail("unexpected query parameter %s=%v", k, v)
					return false
				}
			}
			if c := r.URL.Query().Get("start_cursor"); c != "" && c != nextCursor {
				fail("start_cursor %q is not a cursor this API returned", c)
				return false
			}
			if ps := r.URL.Query().Get("page_size"); ps != "" {
				if n, err := strconv.Atoi(ps); err != nil || n < 1 || n > 100 {
					fail("page_size %q is not an integer from 1 to 100", ps)
					return false
				}
			}
			return true
		}
		// body decodes the JSON body and checks its top-level keys.
		body := func(required []string, allowed ...string) (map[string]any, bool) {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				fail("Content-Type %q, want application/json", r.Header.Get("Content-Type"))
				return nil, false
			}
			var b map[string]any
			if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
				fail("body is not a JSON object: %v", err)
				return nil, false
			}
			for k := range b {
				if !slices.Contains(allowed, k) && !slices.Contains(required, k) {
					fail("body.%s is not a parameter of this endpoint", k)
					return nil, false
				}
			}
			for _, k := range required {
				if _, ok := b[k]; !ok {
					fail("body.%s should be defined", k)
					return nil, false
				}
			}
			if ps, ok := b["page_size"]; ok {
				if n, isNum := ps.(float64); !isNum || n != float64(int(n)) || n < 1 || n > 100 {
					fail("body.page_size should be an integer from 1 to 100, instead was %v", ps)
					return nil, false
				}
			}
			if c, ok := b["start_cursor"]; ok && c != nextCursor {
				fail("body.start_cursor %v is not a cursor this API returned", c)
				return nil, false
			}
			return b, true
		}
		validRichText := func(v any) bool {
			items, ok := v.([]any)
			if !ok || len(items) == 0 {
				return false
			}
			for _, it := range items {
				text, _ := it.(map[string]any)["text"].(map[string]any)
				if c, ok := text["content"].(string); !ok || len(c) > 2000 {
					return false
				}
			}
			return true
		}
		validBlocks := func(v any) bool {
			blocks, ok := v.([]any)
			if !ok || len(blocks) > 100 {
				return false
			}
			for _, b := range blocks {
				bm, _ := b.(map[string]any)
				typ, _ := bm["type"].(string)
				if _, ok := bm[typ].(map[string]any); !ok || typ == "" {
					return false
				}
			}
			return true
		}
		id, isQuery := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1/databases/"), "/query")
		blockID, isChildren := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1/blocks/"), "/children")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/search":
			b, ok := body(nil, "query", "filter", "sort", "start_cursor", "page_size")
			if !ok || !query() {
				return
			}
			if q, ok := b["query"]; ok {
				if _, isString := q.(string); !isString {
					fail("body.query should be a string")
					return
				}
			}
			if f, ok := b["filter"]; ok {
				fm, _ := f.(map[string]any)
				if fm["property"] != "object" || (fm["value"] != "page" && fm["value"] != "database") || len(fm) != 2 {
					fail("body.filter should be {\"property\": \"object\", \"value\": \"page\" or \"database\"}, instead was %v", f)
					return
				}
			}
			if so, ok := b["sort"]; ok {
				sm, _ := so.(map[string]any)
				if sm["timestamp"] != "last_edited_time" || (sm["direction"] != "ascending" && sm["direction"] != "descending") || len(sm) != 2 {
					fail("body.sort should be {\"timestamp\": \"last_edited_time\", \"direction\": \"ascending\" or \"descending\"}, instead was %v", so)
					return
				}
			}
			answer(http.StatusOK, list("page_or_database", []any{row, database}, b["start_cursor"] == nil))
		case r.Method == http.MethodPost && r.URL.Path == "/v1/pages":
			b, ok := body([]string{"parent", "properties"}, "children", "icon", "cover")
			if !ok || !query() {
				return
			}
			parent, _ := b["parent"].(map[string]any)
			props, _ := b["properties"].(map[string]any)
			_, underDB := parent["database_id"].(string)
			_, underPage := parent["page_id"].(string)
			switch {
			case underDB == underPage:
				fail("body.parent should have exactly one of database_id or page_id, instead was %v", b["parent"])
			case props == nil:
				fail("body.properties should be an object")
			case underPage && (len(props) != 1 || props["title"] == nil):
				fail("body.properties of a page under a page may only hold title, instead was %v", props)
			case b["children"] != nil && !validBlocks(b["children"]):
				fail("body.children should be at most 100 block objects whose type key holds their content")
			default:
				answer(http.StatusOK, page("2e4b6b10-6b4b-4b0a-9a57-8a6d2fb5e0f1", parent, props))
			}
		case r.Method == http.MethodPost && r.URL.Path == "/v1/databases":
			b, ok := body([]string{"parent", "properties"}, "title", "is_inline", "icon", "cover", "description")
			if !ok || !query() {
				return
			}
			parent, _ := b["parent"].(map[string]any)
			props, _ := b["properties"].(map[string]any)
			titles := 0
			for _, p := range props {
				if _, ok := p.(map[string]any)["title"]; ok {
					titles++
				}
			}
			switch {
			case parent["type"] != "page_id" || parent["page_id"] == nil:
				fail("body.parent should be {\"type\": \"page_id\", \"page_id\": ...}, instead was %v", b["parent"])
			case titles != 1:
				fail("body.properties should have exactly one title property, has %d", titles)
			case b["title"] != nil && !validRichText(b["title"]):
				fail("body.title should be an array of rich text objects")
			default:
				db := maps.Clone(database)
				db["id"], db["parent"], db["properties"] = "0c2e1ad2-3d4b-4e93-9c21-5c6a1b5b2d77", parent, props
				if b["title"] != nil {
					db["title"] = b["title"]
				}
				answer(http.StatusOK, db)
			}
		case r.Method == http.MethodPost && isQuery && !strings.Contains(id, "/"):
			b, ok := body(nil, "filter", "sorts", "start_cursor", "page_size")
			if !ok || !query("filter_properties") {
				return
			}
			if f, ok := b["filter"]; ok {
				if _, isObject := f.(map[string]any); !isObject {
					fail("body.filter should be an object")
					return
				}
			}
			if so, ok := b["sorts"]; ok {
				sorts, _ := so.([]any)
				for _, x := range sorts {
					sm, _ := x.(map[string]any)
					_, byProp := sm["property"].(string)
					_, byTime := sm["timestamp"].(string)
					if byProp == byTime || (sm["direction"] != "ascending" && sm["direction"] != "descending") {
						fail("body.sorts items should be {\"property\" or \"timestamp\", \"direction\"}, instead was %v", x)
						return
					}
				}
				if sorts == nil {
					fail("body.sorts should be an array")
					return
				}
			}
			answer(http.StatusOK, list("page", []any{row}, b["start_cursor"] == nil))
		case r.Method == http.MethodGet && isChildren && !strings.Contains(blockID, "/"):
			if !query("start_cursor", "page_size") {
				return
			}
			answer(http.StatusOK, list("block", []any{paragraph}, !r.URL.Query().Has("start_cursor")))
		case r.Method == http.MethodGet && r.URL.Path == "/v1/comments":
			if !query("block_id", "start_cursor", "page_size") {
				return
			}
			if r.URL.Query().Get("block_id") == "" {
				fail("block_id should be defined")
				return
			}
			answer(http.StatusOK, list("comment", []any{comment("f1407351-36f5-4c49-a13c-49f8ba11776d", richText("Worth a re-read"))}, !r.URL.Query().Has("start_cursor")))
		case r.Method == http.MethodPost && r.URL.Path == "/v1/comments":
			b, ok := body([]string{"rich_text"}, "parent", "discussion_id")
			if !ok || !query() {
				return
			}
			parent, hasParent := b["parent"].(map[string]any)
			discussion, hasDiscussion := b["discussion_id"].(string)
			switch {
			case hasParent == hasDiscussion:
				fail("body should have exactly one of parent or discussion_id")
			case hasParent && (parent["page_id"] == nil || len(parent) > 2):
				fail("body.parent should be {\"page_id\": ...}, instead was %v", b["parent"])
			case !validRichText(b["rich_text"]):
				fail("body.rich_text should be a non-empty array of rich text objects")
			default:
				if discussion == "" {
					discussion = "5e8f6a27-0d2c-4a61-9d0e-4a5b7f1f3c1e" // a new discussion
				}
				answer(http.StatusOK, comment(discussion, b["rich_text"].([]any)))
			}
		case r.Method == http.MethodGet && r.URL.Path == "/v1/users":
			if !query("start_cursor", "page_size") {
				return
			}
			answer(http.StatusOK, list("user", []any{person, bot}, !r.URL.Query().Has("start_cursor")))
		default:
			answer(http.StatusNotFound, map[string]any{"object": "error", "status": 404, "code": "invalid_request_url",
				"message": "notion fake: " + r.Method + " " + r.URL.Path + " is not an endpoint of the supplement"})
		}
	})
}
