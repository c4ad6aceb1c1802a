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
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// curatedManifest is the part of a toolkit's manifest.toml the harness needs. It is read independently of the
// toolkits package: the e2e tests depend on nothing in toolmux at compile time.
type curatedManifest struct {
	Slug   string `toml:"slug"`
	Source struct {
		Spec string `toml:"spec"`
	} `toml:"source"`
	AuthSchemes []struct {
		Scheme string `toml:"scheme"`
		In     string `toml:"in"`
		Name   string `toml:"name"`
	} `toml:"auth_schemes"`
	Tools []struct {
		Slug string `toml:"slug"`
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

// launchPrismOn starts `prism mock` (request validation on, --errors off, as launchPrism explains) on spec and
// waits for its first HTTP answer.
func launchPrismOn(bin, spec string) (string, time.Duration, *exec.Cmd, *syncBuffer, error) {
	port, err := freePort()
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

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// recordingProxy forwards to the mock, applying the toolkit's adapter, and records every request as toolmux sent
// it.
type recordingProxy struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	statuses []int // the mock's answers, in the order they came
}

func newRecordingProxy(t *testing.T, target string, adapt func(*http.Request), adaptResponse func(*http.Response)) *recordingProxy {
	t.Helper()
	u, err := neturl.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	p := &recordingProxy{}
	proxy.ModifyResponse = func(resp *http.Response) error {
		p.mu.Lock()
		p.statuses = append(p.statuses, resp.StatusCode)
		p.mu.Unlock()
		if adaptResponse != nil {
			adaptResponse(resp)
		}
		return nil
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests = append(p.requests, r.Clone(context.Background()))
		p.mu.Unlock()
		if adapt != nil {
			adapt(r)
		}
		proxy.ServeHTTP(w, r)
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

func credentialFor(t *testing.T, m curatedManifest) curatedCredential {
	t.Helper()
	envName := "TOOLMUX_E2E_" + strings.ToUpper(m.Slug)
	for _, a := range m.AuthSchemes {
		switch a.Scheme {
		case "BEARER_TOKEN":
			tok := "e2e-" + m.Slug + "-token-never-leaks-0123456789"
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
	if fake, ok := curatedFakes[m.Slug]; ok {
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
		status, body := sendRaw(t, mockURL, *c.Raw, cred, adapt)
		want := c.ExpectStatus
		if want == 0 {
			want = 200
		}
		if status != want || !strings.Contains(strings.ToLower(body), strings.ToLower(c.Raw.ExpectText)) {
			t.Errorf("raw %s %s: status %d, want %d with %q in the answer\n%.600s", c.Raw.Method, c.Raw.Path, status, want, c.Raw.ExpectText, body)
		}
	}

	proxy := newRecordingProxy(t, mockURL, adapt, curatedResponseAdapters[m.Slug])
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

	// Every call reached the API (none was refused by toolmux before sending) with the configured credential.
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
