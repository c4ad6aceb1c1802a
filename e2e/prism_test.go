package e2e

// GitHub without the internet: Prism mocks api.github.com from the published @octokit/openapi description and
// validates every request against it (path, method, parameters, and the request bodies whose schema Prism can
// compile), answering 422 to an invalid one.
//
// Prism runs without --errors: with it, Prism also checks its own example responses and answers 500 to valid
// requests whose example violates the description (GET /repos/{owner}/{repo} and its pulls lack the required
// "language"). Request validation does not need the flag.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// prismReadyTimeout bounds Prism's start: it parses and dereferences the 13 MB GitHub description first (10 to 40 s
// on a 2-core machine).
const prismReadyTimeout = 3 * time.Minute

// prism is the one Prism process the package shares, started by the first test that needs it.
var prism struct {
	once    sync.Once
	url     string
	startup time.Duration
	err     error
	cmd     *exec.Cmd
	log     *syncBuffer
}

// githubSpec is the published GitHub description.
func githubSpec(t *testing.T) string {
	t.Helper()
	p := filepath.Join(repoRoot, "test-tools", "node_modules", "@octokit", "openapi", "generated", "api.github.com.json")
	if _, err := os.Stat(p); err != nil {
		requireComponent(t, "the @octokit/openapi GitHub description", "run `npm ci` in test-tools")
	}
	return p
}

// startPrism returns the base URL of a Prism mock of the GitHub API, starting it on first use.
func startPrism(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("Prism needs 10 to 40 s to load the GitHub description; skipped with -short")
	}
	bin := nodeBin(t, "prism")
	spec := githubSpec(t)
	prism.once.Do(func() {
		prism.url, prism.startup, prism.err = launchPrism(bin, spec)
	})
	if prism.err != nil {
		t.Fatalf("prism: %v", prism.err)
	}
	t.Logf("Prism mocks GitHub at %s; it took %s from spawn to its first HTTP answer", prism.url, prism.startup.Round(100*time.Millisecond))
	return prism.url
}

// launchPrism starts the shared Prism on the GitHub description and keeps its process and log for stopPrism.
func launchPrism(bin, spec string) (string, time.Duration, error) {
	url, took, cmd, log, err := launchPrismOn(bin, spec)
	prism.cmd, prism.log = cmd, log
	return url, took, err
}

// stopPrism ends the shared Prism process, if one was started.
func stopPrism() {
	if prism.cmd != nil && prism.cmd.Process != nil {
		_ = prism.cmd.Process.Kill()
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// Requests Prism validates: a valid SHA and a repository from the description's own examples.
const (
	ghOwner = "octocat"
	ghRepo  = "Hello-World"
	ghSHA   = "aa218f56b14c9653891f9e74264a383fa43fefbd"
)

func TestGitHubThroughPrism(t *testing.T) {
	t.Parallel()
	url := startPrism(t)
	spec := githubSpec(t)

	t.Run("curated toolkit", func(t *testing.T) {
		ctx := withTimeout(t, 90*time.Second)
		h := newHarness(t)
		altered := writeAlteredGitHubSpec(t, spec, h.dir)
		const token = "ghp_e2eNeverLeaksThisToken0123456789"
		h.env = append(h.env, "GITHUB_TOKEN="+token)
		shim := newAcceptShim(t, url)
		h.writeConfig(fmt.Sprintf(`
[builtin.base_url]
github = %[3]s

# The GitHub description declares no security requirement, so Prism does not check credentials; they are
# configured anyway, as a user would, to prove they never reach the state directory or the logs.
[auth.github]
scheme = "BEARER_TOKEN"
token = "env:GITHUB_TOKEN"

[[toolkits]]
slug = "ghaltered"
type = "openapi"
spec = %[2]s
base_url = %[1]s
`, tomlString(url), tomlString(altered), tomlString(shim.URL)))
		s := h.serve(ctx, nil, "--session", "prism")

		d := s.execute(ctx, t, nil,
			call{"GITHUB_CREATE_ISSUE", map[string]any{"owner": ghOwner, "repo": ghRepo, "title": "Found a bug", "body": "Filed by the toolmux end-to-end test.", "labels": []string{"bug"}}},
			call{"GITHUB_GET_REPO", map[string]any{"owner": ghOwner, "repo": ghRepo}},
			call{"GITHUB_LIST_PULL_REQUESTS", map[string]any{"owner": ghOwner, "repo": ghRepo, "state": "open", "per_page": 5}},
			call{"GITHUB_CREATE_BRANCH", map[string]any{"owner": ghOwner, "repo": ghRepo, "ref": "refs/heads/e2e", "sha": ghSHA}},
		)
		for _, r := range d.Results {
			if !r.Response.Successful {
				t.Errorf("%s through Prism failed: %s", r.ToolSlug, r.Response.errorText())
			}
		}
		if issue := decode[map[string]any](t, h.responseData(t, "prism", d.Results[0])); issue["number"] == nil || issue["html_url"] == nil {
			t.Errorf("created issue lacks number or html_url: %.300s", d.Results[0].Response.Data)
		}
		if repo := decode[map[string]any](t, h.responseData(t, "prism", d.Results[1])); repo["full_name"] == nil {
			t.Errorf("repository lacks full_name: %.300s", d.Results[1].Response.Data)
		}
		if pulls := decode[[]map[string]any](t, h.responseData(t, "prism", d.Results[2])); len(pulls) == 0 || pulls[0]["number"] == nil {
			t.Errorf("pull requests: %.300s, want a list of pull requests", d.Results[2].Response.Data)
		}
		if ref := decode[map[string]any](t, h.responseData(t, "prism", d.Results[3])); ref["ref"] == nil {
			t.Errorf("created ref lacks ref: %.300s", d.Results[3].Response.Data)
		}
		// What the curated toolkit sent, before the shim touched it: GitHub's headers and the configured token.
		reqs := shim.received()
		if len(reqs) != 4 {
			t.Errorf("%d requests reached GitHub, want 4", len(reqs))
		}
		for _, r := range reqs {
			for name, want := range map[string]string{
				"Authorization":        "Bearer " + token,
				"Accept":               "application/vnd.github+json",
				"X-Github-Api-Version": "2022-11-28",
			} {
				if got := r.Header.Get(name); got != want {
					t.Errorf("%s %s: header %s = %q, want %q", r.Method, r.URL.Path, name, got, want)
				}
			}
			if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "toolmux/") {
				t.Errorf("%s %s: User-Agent %q, want toolmux/VERSION", r.Method, r.URL.Path, ua)
			}
		}

		// The negative control: requests toolmux builds from a description altered to drop a constraint of the real
		// one are sent, and Prism, which knows the real one, refuses them. The same altered tool with a complete
		// request succeeds, so the refusals are about the dropped constraints and nothing else.
		d = s.execute(ctx, t, nil,
			call{"GHALTERED_GIT_CREATE_REF", map[string]any{"owner": ghOwner, "repo": ghRepo, "ref": "refs/heads/e2e-2", "sha": ghSHA}},
			call{"GHALTERED_GIT_CREATE_REF", map[string]any{"owner": ghOwner, "repo": ghRepo, "ref": "refs/heads/e2e-2"}},
			call{"GHALTERED_REPOS_CREATE_FOR_AUTHENTICATED_USER", map[string]any{"description": "a repository without a name"}},
			call{"GHALTERED_PULLS_LIST", map[string]any{"owner": ghOwner, "repo": ghRepo, "state": "sideways"}},
			call{"GITHUB_CREATE_BRANCH", map[string]any{"owner": ghOwner, "repo": ghRepo, "ref": "refs/heads/e2e-3"}},
		)
		if r := d.Results[0]; !r.Response.Successful {
			t.Errorf("complete request through the altered toolkit failed: %s", r.Response.errorText())
		}
		for _, r := range d.Results[1:4] {
			t.Logf("%s (call %d): %.200s", r.ToolSlug, r.Index, r.Response.errorText())
			if r.Response.Successful || !strings.Contains(r.Response.errorText(), "422") {
				t.Errorf("%s (call %d) with a request the real description forbids: successful %v, error %q; want Prism's 422",
					r.ToolSlug, r.Index, r.Response.Successful, r.Response.errorText())
			}
		}
		if r := d.Results[4]; r.Response.Successful || !strings.Contains(r.Response.errorText(), "sha") || !strings.Contains(r.Response.errorText(), "nothing was sent") {
			t.Errorf("curated GITHUB_CREATE_BRANCH without sha: successful %v, error %q; want toolmux to refuse it before sending, naming sha",
				r.Response.Successful, r.Response.errorText())
		}

		s.close(t)
		assertSecretAbsent(t, token, h.stateDir, s.stderr.String())
	})

	t.Run("full GitHub description imported", func(t *testing.T) {
		h := newHarness(t)
		r := h.mustRun("", "toolkits", "import", "openapi", spec, "--slug", "github", "--replace", "--base-url", url, "--json")
		imp := decode[struct {
			Slug    string `json:"slug"`
			Tools   int    `json:"tools"`
			BaseURL string `json:"base_url"`
		}](t, []byte(r.stdout))
		if imp.Slug != "github" || imp.Tools < 1000 || imp.BaseURL != url {
			t.Errorf("import = %+v, want slug github with over 1,000 tools at %s", imp, url)
		}

		r = h.mustRun("", "tools", "exec", "GITHUB_ISSUES_CREATE", "--json",
			"--args", `{"owner":"octocat","repo":"Hello-World","title":"Imported from the full description","labels":["bug"]}`)
		env := decode[envelope](t, []byte(r.stdout))
		if !env.Successful {
			t.Fatalf("GITHUB_ISSUES_CREATE: %s", r)
		}
		if issue := decode[map[string]any](t, env.Data); issue["number"] == nil {
			t.Errorf("created issue lacks number: %.300s", env.Data)
		}
		r = h.mustRun("", "tools", "exec", "GITHUB_GIT_CREATE_REF", "--json",
			"--args", fmt.Sprintf(`{"owner":%q,"repo":%q,"ref":"refs/heads/imported","sha":%q}`, ghOwner, ghRepo, ghSHA))
		if env := decode[envelope](t, []byte(r.stdout)); !env.Successful {
			t.Errorf("GITHUB_GIT_CREATE_REF: %s", r)
		}
		r = h.run("", "tools", "exec", "GITHUB_PULLS_LIST", "--json", "--args", `{"owner":"octocat","repo":"Hello-World","state":"sideways"}`)
		if r.code != 4 || !strings.Contains(r.stderr+r.stdout, "state") {
			t.Errorf("GITHUB_PULLS_LIST with an invalid state: want exit 4 naming state, got %s", r)
		}

		tk := decode[struct {
			Toolkits []struct {
				Slug    string `json:"slug"`
				Tools   int    `json:"tools"`
				BaseURL string `json:"base_url"`
			} `json:"toolkits"`
		}](t, []byte(h.mustRun("", "toolkits", "list", "--json").stdout))
		var slugs []string
		for _, k := range tk.Toolkits {
			slugs = append(slugs, k.Slug)
			if k.Slug == "github" && (k.Tools != imp.Tools || k.BaseURL != url) {
				t.Errorf("toolkits list: github has %d tools at %q, want the import's %d at %s", k.Tools, k.BaseURL, imp.Tools, url)
			}
		}
		if n := strings.Count(" "+strings.Join(slugs, " ")+" ", " github "); n != 1 {
			t.Errorf("toolkits = %v, want github once: the import replaces the built-in one", slugs)
		}
	})
}

// acceptShim stands between toolmux and Prism for the curated toolkit. The toolkit sends what GitHub documents,
// "Accept: application/vnd.github+json", but the description lists only application/json responses, so Prism's
// content negotiation answers 406. The shim rewrites that one media type to application/json and changes nothing
// else; it records each request as toolmux sent it.
type acceptShim struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

func newAcceptShim(t *testing.T, target string) *acceptShim {
	t.Helper()
	u, err := neturl.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	shim := &acceptShim{}
	shim.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shim.mu.Lock()
		shim.requests = append(shim.requests, r.Clone(context.Background()))
		shim.mu.Unlock()
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Accept")); mt == "application/vnd.github+json" {
			r.Header.Set("Accept", "application/json")
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(shim.Close)
	return shim
}

func (s *acceptShim) received() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// writeAlteredGitHubSpec writes a small description derived from the real GitHub one: three operations, each with
// one constraint removed (git/create-ref no longer requires sha, repos/create-for-authenticated-user no longer
// requires name, pulls/list accepts state "sideways"), plus the components they reference.
func writeAlteredGitHubSpec(t *testing.T, specPath, dir string) string {
	t.Helper()
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	op := func(path, method string) map[string]any {
		t.Helper()
		o, ok := paths[path].(map[string]any)[method].(map[string]any)
		if !ok {
			t.Fatalf("the GitHub description has no %s %s", method, path)
		}
		return o
	}
	bodySchema := func(o map[string]any) map[string]any {
		return o["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	}
	without := func(list any, name string) []any {
		var out []any
		for _, v := range list.([]any) {
			if v != name {
				out = append(out, v)
			}
		}
		return out
	}

	createRef := op("/repos/{owner}/{repo}/git/refs", "post")
	s := bodySchema(createRef)
	if !slices.Contains(s["required"].([]any), any("sha")) {
		t.Fatalf("git/create-ref no longer requires sha; choose another constraint")
	}
	s["required"] = without(s["required"], "sha")

	createRepo := op("/user/repos", "post")
	s = bodySchema(createRepo)
	if !slices.Contains(s["required"].([]any), any("name")) {
		t.Fatalf("repos/create-for-authenticated-user no longer requires name; choose another constraint")
	}
	delete(s, "required")

	listPulls := op("/repos/{owner}/{repo}/pulls", "get")
	found := false
	for _, p := range listPulls["parameters"].([]any) {
		if p, ok := p.(map[string]any); ok && p["name"] == "state" {
			sch := p["schema"].(map[string]any)
			sch["enum"] = append(sch["enum"].([]any), "sideways")
			found = true
		}
	}
	if !found {
		t.Fatalf("pulls/list has no inline state parameter; choose another constraint")
	}

	altered := map[string]any{
		"openapi": doc["openapi"],
		"info":    map[string]any{"title": "GitHub, altered for a negative control", "version": "1.0.0"},
		"paths": map[string]any{
			"/repos/{owner}/{repo}/git/refs": map[string]any{"post": createRef},
			"/user/repos":                    map[string]any{"post": createRepo},
			"/repos/{owner}/{repo}/pulls":    map[string]any{"get": listPulls},
		},
	}
	altered["components"] = referencedComponents(t, doc, altered)
	out, err := json.Marshal(altered)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "github-altered.json")
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// referencedComponents returns the components of doc that root references, directly or through each other.
func referencedComponents(t *testing.T, doc, root map[string]any) map[string]any {
	t.Helper()
	components := doc["components"].(map[string]any)
	out := map[string]any{}
	var queue []any
	queue = append(queue, root["paths"])
	seen := map[string]bool{}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && strings.HasPrefix(ref, "#/components/") && !seen[ref] {
				seen[ref] = true
				parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
				if len(parts) != 2 {
					t.Fatalf("unexpected reference %s", ref)
				}
				target := components[parts[0]].(map[string]any)[parts[1]]
				if target == nil {
					t.Fatalf("dangling reference %s in the GitHub description", ref)
				}
				kind, _ := out[parts[0]].(map[string]any)
				if kind == nil {
					kind = map[string]any{}
					out[parts[0]] = kind
				}
				kind[parts[1]] = target
				queue = append(queue, target)
			}
			for _, child := range v {
				queue = append(queue, child)
			}
		case []any:
			queue = append(queue, v...)
		}
	}
	return out
}

// assertSecretAbsent fails if secret appears in any file under dir or in logs.
func assertSecretAbsent(t *testing.T, secret, dir, logs string) {
	t.Helper()
	if strings.Contains(logs, secret) {
		t.Errorf("the token appears in serve's stderr")
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), secret) {
			t.Errorf("the token appears in %s", path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("walk %s: %v", dir, err)
	}
}
