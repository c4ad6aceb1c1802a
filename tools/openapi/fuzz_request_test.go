package openapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/toolmux/toolmux/tools"
)

const fuzzBase = "https://api.example.com/v1"

// fuzzBindings share their arguments and differ in body encoding, so one input exercises every encoder.
func fuzzBindings() []*tools.HTTPBinding {
	params := []tools.HTTPParam{
		{Arg: "owner", Name: "owner", In: tools.InPath, Required: true},
		{Arg: "repo", Name: "repo", In: tools.InPath, Required: true},
		{Arg: "id", Name: "id", In: tools.InPath, Required: true},
		{Arg: "q", Name: "q", In: tools.InQuery},
		{Arg: "tags", Name: "tags", In: tools.InQuery},
		{Arg: "ids", Name: "ids", In: tools.InQuery, Explode: boolPtr(false)},
		{Arg: "name", Name: "name", In: tools.InQuery},
		{Arg: "trace", Name: "X-Trace", In: tools.InHeader},
	}
	var out []*tools.HTTPBinding
	for _, ct := range []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"} {
		out = append(out, &tools.HTTPBinding{
			Method: "POST",
			Path:   "/repos/{owner}/{repo}/items/{id}:run",
			Params: params,
			Body: &tools.HTTPBody{ContentType: ct, Arg: "request_body",
				Props: map[string]string{"title": "title", "body_name": "name", "meta": "meta"}},
		})
	}
	return out
}

// FuzzBuildRequest feeds JSON arguments to BuildRequest. It must never panic, and any request it builds must stay
// under the base URL: same scheme and host, a path starting with the base path, no dot segments even after
// unescaping, a URL that survives a round trip, header values without control characters, a body within the cap.
func FuzzBuildRequest(f *testing.F) {
	seeds := []string{
		`{"owner":"o","repo":"r","id":1}`,
		`{"owner":"o","repo":"r","id":"7","q":"a b","tags":["x",1,true],"ids":[1,2],"trace":"t","title":"T","body_name":"n","meta":{"a":[1]}}`,
		`{"owner":"..","repo":"r","id":1}`,
		`{"owner":"../../admin","repo":"r","id":1}`,
		`{"owner":"a/./b","repo":"%2e%2e","id":"x\\..\\y"}`,
		`{"owner":"o","repo":"r","id":1e400}`,
		`{"owner":"o","repo":"r","id":1e21,"q":-0.0000001}`,
		`{"owner":"o","repo":"r","id":1,"trace":"a\r\nX-Evil: 1"}`,
		`{"owner":"o\u0000","repo":"r","id":1}`,
		`{"owner":"o","repo":"r","id":[1,"a/b"],"request_body":{"x":null}}`,
		`{"owner":"o","repo":"r","id":1,"request_body":"raw","title":"t"}`,
		`{"owner":"o","repo":"r","id":1,"request_body":{"\r\nname":"x"}}`,
		`{"owner":"?#","repo":"r","id":{"a":1}}`,
		`{"owner":"o","repo":"r","id":1,"extra":true}`,
		`{"owner":"\u00e9\u0085","repo":"r","id":1}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	base, err := url.Parse(fuzzBase)
	if err != nil {
		f.Fatal(err)
	}
	const maxBody = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var args map[string]any
		if err := dec.Decode(&args); err != nil {
			return
		}
		for _, b := range fuzzBindings() {
			req, err := buildRequest(context.Background(), fuzzBase, b, args, maxBody)
			if err != nil {
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
				continue
			}
			checkFuzzedRequest(t, base, req.URL, req.Header, req.Body, req.ContentLength, maxBody)
		}
	})
}

func checkFuzzedRequest(t *testing.T, base *url.URL, u *url.URL, h map[string][]string, body io.Reader, contentLength, maxBody int64) {
	t.Helper()
	if u.Scheme != base.Scheme || u.Host != base.Host || u.User != nil {
		t.Fatalf("request left the base URL: %s", u)
	}
	raw := u.EscapedPath()
	if !strings.HasPrefix(raw, base.Path+"/") || !strings.HasPrefix(u.Path, base.Path+"/") {
		t.Fatalf("path %q does not start with the base path %q", raw, base.Path)
	}
	for _, seg := range strings.Split(raw, "/") {
		plain, err := url.PathUnescape(seg)
		if err != nil {
			t.Fatalf("path %q has an invalid escape: %v", raw, err)
		}
		if hasDotComponent(plain) {
			t.Fatalf("path %q has a dot segment %q", raw, seg)
		}
	}
	again, err := url.Parse(u.String())
	if err != nil {
		t.Fatalf("URL %q does not parse again: %v", u, err)
	}
	if again.EscapedPath() != raw || again.RawQuery != u.RawQuery || again.Host != u.Host {
		t.Fatalf("URL %q changes on a round trip: %q", u, again)
	}
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		t.Fatalf("query %q does not parse: %v", u.RawQuery, err)
	}
	for name, values := range h {
		if !isToken(name) {
			t.Fatalf("invalid header name %q", name)
		}
		for _, v := range values {
			if hasControl(v, true) {
				t.Fatalf("header %s has a control character: %q", name, v)
			}
		}
	}
	if body != nil {
		data, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(data)) > maxBody || int64(len(data)) != contentLength {
			t.Fatalf("body of %d bytes, Content-Length %d, cap %d", len(data), contentLength, maxBody)
		}
	}
}

// FuzzDecodeResponse feeds arbitrary bodies and content types to the response decoding and the error message
// extraction, which read what a remote service sent. They must not panic, a message stays short, and a binary
// description carries the exact bytes.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"message":"boom","errors":[{"field":"a","code":"b"}]}`), "application/json")
	f.Add([]byte(`{"error":{"message":"x"},"ok":false}`), "application/problem+json; charset=utf-8")
	f.Add([]byte("\xef\xbb\xbf[1, 2e400, 123456789012345678901234567890]"), "")
	f.Add([]byte("<html><script>x</script><title>t</title></html>"), "text/html")
	f.Add([]byte("\x00\x01\xff"), "application/octet-stream")
	f.Add([]byte("caf\xe9"), "text/plain; charset=latin1")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		v := decodeBody(contentType, data)
		if m, ok := v.(map[string]any); ok {
			if b64, ok := m["base64"].(string); ok && m["size_bytes"] == len(data) {
				raw, err := base64.StdEncoding.DecodeString(b64)
				if err != nil || !bytes.Equal(raw, data) {
					t.Fatalf("binary description does not carry the body")
				}
			}
		}
		msg := errorMessage(v, contentType)
		if n := utf8.RuneCountInString(msg); n > 301 {
			t.Fatalf("message of %d runes, want at most 301", n)
		}
	})
}
