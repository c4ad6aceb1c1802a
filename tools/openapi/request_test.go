package openapi

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/toolmux/toolmux/tools"
)

func boolPtr(b bool) *bool { return &b }

// repoBinding is GET /repos/{owner}/{repo}/contents/{path} with a few query and header parameters.
var repoBinding = &tools.HTTPBinding{
	Method: "GET",
	Path:   "/repos/{owner}/{repo}/contents/{path}",
	Params: []tools.HTTPParam{
		{Arg: "owner", Name: "owner", In: tools.InPath, Required: true},
		{Arg: "repo", Name: "repo", In: tools.InPath, Required: true},
		{Arg: "path", Name: "path", In: tools.InPath, Required: true},
		{Arg: "ref", Name: "ref", In: tools.InQuery},
	},
}

func TestBuildRequestPath(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		args    map[string]any
		want    string // the request URL
		wantErr string // a substring of the error
	}{
		{name: "plain", base: "https://api.example.com", args: map[string]any{"owner": "o", "repo": "r", "path": "README.md"},
			want: "https://api.example.com/repos/o/r/contents/README.md"},
		{name: "keeps base path", base: "https://api.example.com/v1", args: map[string]any{"owner": "o", "repo": "r", "path": "p"},
			want: "https://api.example.com/v1/repos/o/r/contents/p"},
		{name: "base path with trailing slash", base: "https://api.example.com/v1/", args: map[string]any{"owner": "o", "repo": "r", "path": "p"},
			want: "https://api.example.com/v1/repos/o/r/contents/p"},
		{name: "slash escaped", base: "https://api.example.com", args: map[string]any{"owner": "o", "repo": "r", "path": "docs/a b.md"},
			want: "https://api.example.com/repos/o/r/contents/docs%2Fa%20b.md"},
		{name: "query and fragment characters escaped", base: "https://api.example.com", args: map[string]any{"owner": "o?x=1#f", "repo": "r", "path": "p"},
			want: "https://api.example.com/repos/o%3Fx=1%23f/r/contents/p"},
		{name: "percent escaped", base: "https://api.example.com", args: map[string]any{"owner": "%2e%2e", "repo": "r", "path": "p"},
			want: "https://api.example.com/repos/%252e%252e/r/contents/p"},
		{name: "unicode", base: "https://api.example.com", args: map[string]any{"owner": "zoë", "repo": "r", "path": "p"},
			want: "https://api.example.com/repos/zo%C3%AB/r/contents/p"},
		{name: "number", base: "https://api.example.com", args: map[string]any{"owner": "o", "repo": float64(1e21), "path": json.Number("7")},
			want: "https://api.example.com/repos/o/1000000000000000000000/contents/7"},
		{name: "dot dot refused", base: "https://api.example.com", args: map[string]any{"owner": "..", "repo": "r", "path": "p"},
			wantErr: `argument "owner"`},
		{name: "dot refused", base: "https://api.example.com", args: map[string]any{"owner": "o", "repo": ".", "path": "p"},
			wantErr: `argument "repo"`},
		{name: "dot dot slash refused", base: "https://api.example.com", args: map[string]any{"owner": "o", "repo": "r", "path": "../../admin"},
			wantErr: `argument "path"`},
		{name: "inner dot dot refused", base: "https://api.example.com", args: map[string]any{"owner": "o", "repo": "r", "path": `a\..\b`},
			wantErr: `argument "path"`},
		{name: "newline refused", base: "https://api.example.com", args: map[string]any{"owner": "o\nHost: evil", "repo": "r", "path": "p"},
			wantErr: `argument "owner": path parameter contains a control character`},
		{name: "empty refused", base: "https://api.example.com", args: map[string]any{"owner": "", "repo": "r", "path": "p"},
			wantErr: `argument "owner": path parameter must not be empty`},
		{name: "missing", base: "https://api.example.com", args: map[string]any{"owner": "o", "path": "p"},
			wantErr: `missing required path argument "repo"`},
		{name: "object refused", base: "https://api.example.com", args: map[string]any{"owner": map[string]any{"a": "b"}, "repo": "r", "path": "p"},
			wantErr: `argument "owner"`},
		{name: "base without scheme", base: "api.example.com", args: map[string]any{"owner": "o", "repo": "r", "path": "p"},
			wantErr: "must start with https://"},
		{name: "no base", base: "", wantErr: "no base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := BuildRequest(context.Background(), tt.base, repoBinding, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("BuildRequest error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("BuildRequest: %v", err)
			}
			if got := req.URL.String(); got != tt.want {
				t.Errorf("URL = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBuildRequestQuery(t *testing.T) {
	b := &tools.HTTPBinding{
		Method: "GET",
		Path:   "/search",
		Params: []tools.HTTPParam{
			{Arg: "q", Name: "q", In: tools.InQuery},
			{Arg: "n", Name: "n", In: tools.InQuery},
			{Arg: "flag", Name: "flag", In: tools.InQuery},
			{Arg: "tags", Name: "tags", In: tools.InQuery},
			{Arg: "ids", Name: "ids", In: tools.InQuery, Explode: boolPtr(false)},
			{Arg: "filter", Name: "filter", In: tools.InQuery},
			{Arg: "per_page", Name: "per-page", In: tools.InQuery},
			{Arg: "need", Name: "need", In: tools.InQuery, Required: true},
		},
	}
	tests := []struct {
		name    string
		base    string
		args    map[string]any
		want    string // raw query
		wantErr string
	}{
		{name: "string escaped", args: map[string]any{"need": "x", "q": "a b&c=d"}, want: "need=x&q=a+b%26c%3Dd"},
		{name: "float without exponent", args: map[string]any{"need": "x", "n": 1e21}, want: "n=1000000000000000000000&need=x"},
		{name: "whole float", args: map[string]any{"need": "x", "n": float64(30)}, want: "n=30&need=x"},
		{name: "fraction", args: map[string]any{"need": "x", "n": 0.25}, want: "n=0.25&need=x"},
		{name: "big json number kept", args: map[string]any{"need": "x", "n": json.Number("123456789012345678901234567890")},
			want: "n=123456789012345678901234567890&need=x"},
		{name: "json number exponent", args: map[string]any{"need": "x", "n": json.Number("1.5e3")}, want: "n=1500&need=x"},
		{name: "booleans", args: map[string]any{"need": true, "flag": false}, want: "flag=false&need=true"},
		{name: "array exploded", args: map[string]any{"need": "x", "tags": []any{"a", "b", float64(3)}}, want: "need=x&tags=a&tags=b&tags=3"},
		{name: "array comma joined", args: map[string]any{"need": "x", "ids": []any{float64(1), float64(2), "x y"}}, want: "ids=1%2C2%2Cx+y&need=x"},
		{name: "empty array omitted", args: map[string]any{"need": "x", "tags": []any{}}, want: "need=x"},
		{name: "object as JSON", args: map[string]any{"need": "x", "filter": map[string]any{"state": "open", "n": json.Number("1")}},
			want: "filter=%7B%22n%22%3A1%2C%22state%22%3A%22open%22%7D&need=x"},
		{name: "null omitted", args: map[string]any{"need": "x", "q": nil}, want: "need=x"},
		{name: "wire name differs from arg", args: map[string]any{"need": "x", "per_page": float64(100)}, want: "need=x&per-page=100"},
		{name: "base query kept", base: "https://api.example.com/v1?api-version=2", args: map[string]any{"need": "x"}, want: "api-version=2&need=x"},
		{name: "required missing", args: map[string]any{"q": "x"}, wantErr: `missing required query argument "need"`},
		{name: "bad json number", args: map[string]any{"need": "x", "n": json.Number("12abc")}, wantErr: `argument "n"`},
		{name: "unknown arguments listed", args: map[string]any{"need": "x", "zeta": 1, "alpha": 2},
			wantErr: `unknown arguments "alpha", "zeta"; this tool takes: filter, flag, ids, n, need, per_page, q, tags`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			if base == "" {
				base = "https://api.example.com/v1"
			}
			req, err := BuildRequest(context.Background(), base, b, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("BuildRequest error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("BuildRequest: %v", err)
			}
			if req.URL.Path != "/v1/search" {
				t.Errorf("path = %q, want /v1/search", req.URL.Path)
			}
			if diff := cmp.Diff(tt.want, req.URL.RawQuery); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildRequestHeader(t *testing.T) {
	b := &tools.HTTPBinding{
		Method: "GET",
		Path:   "/x",
		Params: []tools.HTTPParam{
			{Arg: "trace", Name: "X-Trace-Id", In: tools.InHeader},
			{Arg: "version", Name: "X-GitHub-Api-Version", In: tools.InHeader, Required: true},
		},
	}
	tests := []struct {
		name    string
		args    map[string]any
		want    http.Header
		wantErr string
	}{
		{name: "set", args: map[string]any{"version": "2022-11-28", "trace": float64(42)},
			want: http.Header{"X-Github-Api-Version": {"2022-11-28"}, "X-Trace-Id": {"42"}}},
		{name: "array joined", args: map[string]any{"version": "v", "trace": []any{"a", "b"}},
			want: http.Header{"X-Github-Api-Version": {"v"}, "X-Trace-Id": {"a,b"}}},
		{name: "CRLF refused", args: map[string]any{"version": "v", "trace": "a\r\nX-Evil: 1"}, wantErr: `header "X-Trace-Id" (argument "trace")`},
		{name: "LF refused", args: map[string]any{"version": "v\nx"}, wantErr: `header "X-GitHub-Api-Version" (argument "version")`},
		{name: "NUL refused", args: map[string]any{"version": "v\x00"}, wantErr: `header "X-GitHub-Api-Version"`},
		{name: "required missing", args: map[string]any{"trace": "t"}, wantErr: `missing required header argument "version"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := BuildRequest(context.Background(), "https://api.example.com", b, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("BuildRequest error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("BuildRequest: %v", err)
			}
			if diff := cmp.Diff(tt.want, req.Header); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildRequestBody(t *testing.T) {
	// An issue-creation operation whose body property "name" clashes with a query parameter "name": the importer
	// renamed the body argument to body_name.
	flat := &tools.HTTPBinding{
		Method: "POST",
		Path:   "/repos/{owner}/issues",
		Params: []tools.HTTPParam{
			{Arg: "owner", Name: "owner", In: tools.InPath, Required: true},
			{Arg: "name", Name: "name", In: tools.InQuery},
		},
		Body: &tools.HTTPBody{ContentType: "application/json", Required: true,
			Props: map[string]string{"title": "title", "labels": "labels", "body_name": "name", "meta": "meta"}},
	}
	whole := &tools.HTTPBinding{Method: "PUT", Path: "/items",
		Body: &tools.HTTPBody{ContentType: "application/json", Arg: "request_body"}}
	mixed := &tools.HTTPBinding{Method: "PATCH", Path: "/items",
		Body: &tools.HTTPBody{ContentType: "application/merge-patch+json", Arg: "request_body", Props: map[string]string{"title": "title"}}}
	form := &tools.HTTPBinding{Method: "POST", Path: "/api/chat.postMessage",
		Body: &tools.HTTPBody{ContentType: "application/x-www-form-urlencoded",
			Props: map[string]string{"channel": "channel", "text": "text", "blocks": "blocks", "ids": "ids"}}}
	multi := &tools.HTTPBinding{Method: "POST", Path: "/upload",
		Body: &tools.HTTPBody{ContentType: "multipart/form-data", Props: map[string]string{"title": "title", "n": "n"}}}
	raw := &tools.HTTPBinding{Method: "POST", Path: "/markdown/raw",
		Body: &tools.HTTPBody{ContentType: "text/plain", Arg: "request_body"}}

	tests := []struct {
		name       string
		b          *tools.HTTPBinding
		args       map[string]any
		max        int64
		wantURL    string
		wantType   string // media type of Content-Type
		wantJSON   any    // decoded JSON body
		wantForm   string // raw form body
		wantParts  map[string][]string
		wantRaw    string
		wantNoBody bool
		wantErr    string
	}{
		{name: "flattened JSON with renamed clash",
			b:        flat,
			args:     map[string]any{"owner": "o", "name": "query-name", "title": "Bug", "body_name": "body-name", "labels": []any{"a"}},
			wantURL:  "https://api.example.com/repos/o/issues?name=query-name",
			wantType: "application/json",
			wantJSON: map[string]any{"title": "Bug", "name": "body-name", "labels": []any{"a"}}},
		{name: "only present props",
			b:        flat,
			args:     map[string]any{"owner": "o", "title": "<b>&"},
			wantURL:  "https://api.example.com/repos/o/issues",
			wantType: "application/json",
			wantJSON: map[string]any{"title": "<b>&"}},
		{name: "big number survives",
			b:        flat,
			args:     map[string]any{"owner": "o", "meta": map[string]any{"id": json.Number("123456789012345678901")}},
			wantURL:  "https://api.example.com/repos/o/issues",
			wantType: "application/json",
			wantJSON: map[string]any{"meta": map[string]any{"id": json.Number("123456789012345678901")}}},
		{name: "required body without required properties sends an empty object", b: flat, args: map[string]any{"owner": "o"},
			wantURL: "https://api.example.com/repos/o/issues", wantType: "application/json", wantJSON: map[string]any{}},
		{name: "whole body arg", b: whole, args: map[string]any{"request_body": []any{"x", float64(1)}},
			wantURL: "https://api.example.com/items", wantType: "application/json", wantJSON: []any{"x", json.Number("1")}},
		{name: "optional body absent", b: whole, args: map[string]any{}, wantURL: "https://api.example.com/items", wantNoBody: true},
		{name: "whole body merged with props", b: mixed,
			args:    map[string]any{"request_body": map[string]any{"a": "1", "title": "old"}, "title": "new"},
			wantURL: "https://api.example.com/items", wantType: "application/merge-patch+json",
			wantJSON: map[string]any{"a": "1", "title": "new"}},
		{name: "whole body not object with props", b: mixed, args: map[string]any{"request_body": "x", "title": "t"},
			wantErr: `argument "request_body" must be an object`},
		{name: "form", b: form,
			args:     map[string]any{"channel": "C1", "text": "hi & bye", "blocks": []any{map[string]any{"type": "section"}}, "ids": []any{"a", "b"}},
			wantURL:  "https://api.example.com/api/chat.postMessage",
			wantType: "application/x-www-form-urlencoded",
			wantForm: "blocks=%7B%22type%22%3A%22section%22%7D&channel=C1&ids=a&ids=b&text=hi+%26+bye"},
		{name: "multipart", b: multi, args: map[string]any{"title": "a\"b", "n": float64(2)},
			wantURL: "https://api.example.com/upload", wantType: "multipart/form-data",
			wantParts: map[string][]string{"title": {"a\"b"}, "n": {"2"}}},
		{name: "raw text", b: raw, args: map[string]any{"request_body": "# Hello"},
			wantURL: "https://api.example.com/markdown/raw", wantType: "text/plain", wantRaw: "# Hello"},
		{name: "raw text must be a string", b: raw, args: map[string]any{"request_body": float64(1)},
			wantErr: "text/plain request body must be given as a string"},
		{name: "too large", b: whole, max: 64, args: map[string]any{"request_body": strings.Repeat("x", 100)},
			wantErr: "request body is larger than 64 bytes"},
		{name: "unknown argument", b: flat, args: map[string]any{"owner": "o", "title": "t", "body": "x"},
			wantErr: `unknown arguments "body"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.max
			if limit == 0 {
				limit = DefaultMaxRequestBytes
			}
			req, err := buildRequest(context.Background(), "https://api.example.com", tt.b, tt.args, limit)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("buildRequest error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("buildRequest: %v", err)
			}
			if got := req.URL.String(); got != tt.wantURL {
				t.Errorf("URL = %s, want %s", got, tt.wantURL)
			}
			if tt.wantNoBody {
				if req.Body != nil && req.Body != http.NoBody {
					t.Errorf("request has a body, want none")
				}
				return
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				t.Fatal(err)
			}
			if req.ContentLength != int64(len(body)) {
				t.Errorf("ContentLength = %d, body has %d bytes", req.ContentLength, len(body))
			}
			mediaType, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
			if err != nil {
				t.Fatalf("Content-Type %q: %v", req.Header.Get("Content-Type"), err)
			}
			if mediaType != tt.wantType {
				t.Errorf("media type = %q, want %q", mediaType, tt.wantType)
			}
			switch {
			case tt.wantJSON != nil:
				got, err := decodeJSON(body)
				if err != nil {
					t.Fatalf("body %q is not JSON: %v", body, err)
				}
				want, _ := json.Marshal(tt.wantJSON)
				wantV, _ := decodeJSON(want)
				if diff := cmp.Diff(wantV, got); diff != "" {
					t.Errorf("JSON body (-want +got):\n%s", diff)
				}
			case tt.wantForm != "":
				if string(body) != tt.wantForm {
					t.Errorf("form body = %q, want %q", body, tt.wantForm)
				}
			case tt.wantParts != nil:
				mr := multipart.NewReader(strings.NewReader(string(body)), params["boundary"])
				form, err := mr.ReadForm(1 << 20)
				if err != nil {
					t.Fatalf("read multipart body: %v", err)
				}
				if diff := cmp.Diff(tt.wantParts, form.Value); diff != "" {
					t.Errorf("multipart fields (-want +got):\n%s", diff)
				}
			default:
				if string(body) != tt.wantRaw {
					t.Errorf("body = %q, want %q", body, tt.wantRaw)
				}
			}
		})
	}
}

func TestBuildRequestTemplate(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
	}{
		{name: "no leading slash", path: "items/{id}", want: "https://api.example.com/v1/items/7"},
		{name: "colon verb", path: "/files/{id}:download", want: "https://api.example.com/v1/files/7:download"},
		{name: "literal needing escapes", path: "/a b/{id}", want: "https://api.example.com/v1/a%20b/7"},
		{name: "literal question mark escaped", path: "/x?y/{id}", want: "https://api.example.com/v1/x%3Fy/7"},
		{name: "unbound placeholder", path: "/{nope}/{id}", wantErr: "has {nope} but the binding has no such path parameter"},
		{name: "dot dot in template", path: "/../{id}", wantErr: "resolves to a"},
		{name: "escaped dot dot in template", path: "/%2e%2e/{id}", wantErr: "resolves to a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &tools.HTTPBinding{Method: "get", Path: tt.path,
				Params: []tools.HTTPParam{{Arg: "id", Name: "id", In: tools.InPath, Required: true}}}
			req, err := BuildRequest(context.Background(), "https://api.example.com/v1", b, map[string]any{"id": float64(7)})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("BuildRequest error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("BuildRequest: %v", err)
			}
			if got := req.URL.String(); got != tt.want {
				t.Errorf("URL = %s, want %s", got, tt.want)
			}
			if req.Method != "GET" {
				t.Errorf("method = %q, want GET", req.Method)
			}
		})
	}
}

func BenchmarkBuildRequest(b *testing.B) {
	binding := fuzzBindings()[0]
	args := map[string]any{
		"owner": "octo/cat", "repo": "hello-world", "id": json.Number("1234567890"), "q": "is:open label:bug",
		"tags": []any{"a", "b", "c"}, "ids": []any{float64(1), float64(2)}, "trace": "abc",
		"title": "A title", "body_name": "name", "meta": map[string]any{"k": []any{"v", float64(1)}},
	}
	for b.Loop() {
		if _, err := BuildRequest(context.Background(), fuzzBase, binding, args); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMultiSegmentPathParameter(t *testing.T) {
	b := &tools.HTTPBinding{Method: "GET", Path: "/repos/{owner}/{repo}/contents/{path}", Params: []tools.HTTPParam{
		{Arg: "owner", Name: "owner", In: tools.InPath, Required: true},
		{Arg: "repo", Name: "repo", In: tools.InPath, Required: true},
		{Arg: "path", Name: "path", In: tools.InPath, Required: true, MultiSegment: true},
	}}
	tests := []struct {
		path, wantPath, wantErr string
	}{
		{"src/main.go", "/repos/o/r%2Fx/contents/src/main.go", ""},
		{"/docs/a b.md/", "/repos/o/r%2Fx/contents/docs/a%20b.md", ""},
		{"src/../../secrets", "", `"." and ".." are not allowed`},
	}
	for _, tt := range tests {
		req, err := BuildRequest(context.Background(), "https://api.example.com", b, map[string]any{"owner": "o", "repo": "r/x", "path": tt.path})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.path, err)
		}
		if got := req.URL.EscapedPath(); got != tt.wantPath {
			t.Errorf("%q: path = %q, want %q (only the multi-segment parameter keeps its slashes)", tt.path, got, tt.wantPath)
		}
	}
}
