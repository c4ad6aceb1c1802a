package mcpproxy

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestContentData: every content list renders as its wire JSON decoded, whether built directly (plain text) or
// through the encoding (annotations, images, resources, invalid UTF-8).
func TestContentData(t *testing.T) {
	tests := []struct {
		name    string
		content []mcp.Content
	}{
		{"none", nil},
		{"empty", []mcp.Content{}},
		{"text", []mcp.Content{&mcp.TextContent{Text: "Echo: héllo <b>&</b>"}}},
		{"empty text", []mcp.Content{&mcp.TextContent{}}},
		{"several texts", []mcp.Content{&mcp.TextContent{Text: "a"}, &mcp.TextContent{Text: "b\n\"c\""}}},
		{"invalid UTF-8", []mcp.Content{&mcp.TextContent{Text: "a\xffb"}}},
		{"annotated", []mcp.Content{&mcp.TextContent{Text: "a", Annotations: &mcp.Annotations{Priority: 0.5, Audience: []mcp.Role{"user"}}}}},
		{"meta", []mcp.Content{&mcp.TextContent{Text: "a", Meta: mcp.Meta{"k": "v"}}}},
		{"image after text", []mcp.Content{&mcp.TextContent{Text: "a"}, &mcp.ImageContent{Data: []byte{1, 2, 3}, MIMEType: "image/png"}}},
		{"resource", []mcp.Content{&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: "file:///a", MIMEType: "text/plain", Text: "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.content)
			if err != nil {
				t.Fatal(err)
			}
			want := []any{}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = []any{}
			}
			got, err := contentData(tt.content)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, any(want)) {
				t.Errorf("contentData = %#v, want the wire form %#v", got, want)
			}
		})
	}
}
