package openapi

import (
	"context"
	"os"
	"testing"
	"time"
	"encoding/json"
)

func TestZZSmoke(t *testing.T) {
	for _, f := range []struct{ path, slug string }{
		{"../../test-tools/node_modules/@octokit/openapi/generated/api.github.com.json", "github"},
		{"../../../shared/eval/specs/slack_web_openapi_v2.json", "slack"},
		{"../../../shared/eval/specs/asana.com.json", "asana"},
		{"../../../shared/eval/specs/stripe.com.json", "stripe"},
	} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		tk, warns, err := Import(context.Background(), f.slug+".json", data, Options{Slug: f.slug})
		if err != nil {
			t.Fatal(err)
		}
		total, maxIn, maxOut := 0, 0, 0
		for _, tl := range tk.Tools {
			total += len(tl.InputSchema) + len(tl.OutputSchema)
			maxIn = max(maxIn, len(tl.InputSchema))
			maxOut = max(maxOut, len(tl.OutputSchema))
		}
		t.Logf("%s: %d tools, %d warnings, %v, schema bytes %d maxIn %d maxOut %d base %s auth %+v cats %v", f.slug, len(tk.Tools), len(warns), time.Since(start), total, maxIn, maxOut, tk.BaseURL, tk.AuthSchemes, tk.Categories)
		for i, w := range warns {
			if i < 8 {
				t.Log(w)
			}
		}
		if f.slug == "slack" || f.slug == "asana" {
			b, _ := json.MarshalIndent(tk.Tools[3], "", " ")
			t.Log(string(b))
		}
	}
}
