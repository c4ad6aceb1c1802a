package mcpproxy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolmux/toolmux/tools"
)

func convert(toolkit string, t *mcp.Tool) (*tools.Tool, error) {
	in, err := json.Marshal(t.InputSchema)
	if err != nil || t.InputSchema == nil {
		in = []byte(`{"type":"object"}`)
	}
	out := &tools.Tool{
		Slug:        strings.ToUpper(toolkit) + "_" + UpperSnake(t.Name),
		Toolkit:     toolkit,
		Name:        t.Name,
		Description: t.Description,
		InputSchema: in,
	}
	if t.OutputSchema != nil {
		o, err := json.Marshal(t.OutputSchema)
		if err != nil {
			return nil, fmt.Errorf("tool %s: output schema: %w", t.Name, err)
		}
		out.OutputSchema = o
	}
	if a := t.Annotations; a != nil {
		out.Annotations = tools.Annotations{
			ReadOnly:   a.ReadOnlyHint,
			Idempotent: a.IdempotentHint,
			// The MCP defaults: destructive and open-world unless the server says otherwise.
			Destructive: !a.ReadOnlyHint && (a.DestructiveHint == nil || *a.DestructiveHint),
			OpenWorld:   a.OpenWorldHint == nil || *a.OpenWorldHint,
		}
	}
	for tag, on := range map[string]bool{
		tools.TagReadOnly: out.Annotations.ReadOnly, tools.TagDestructive: out.Annotations.Destructive,
		tools.TagIdempotent: out.Annotations.Idempotent, tools.TagOpenWorld: out.Annotations.OpenWorld,
	} {
		if on {
			out.Tags = append(out.Tags, tag)
		}
	}
	slices.Sort(out.Tags)
	return out, nil
}

// UpperSnake turns a tool name into upper snake case: "get-tiny-image" and "getTinyImage" become GET_TINY_IMAGE.
func UpperSnake(name string) string {
	var b strings.Builder
	prevLower, sep := false, false
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if (sep || (prevLower && unicode.IsUpper(r))) && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(unicode.ToUpper(r))
			prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		default:
			sep, prevLower = true, false
		}
	}
	return b.String()
}

// contentData renders a content list as the JSON values MCP puts on the wire ({"type":"text","text":...}, image
// with data and mimeType, resource with its contents).
func contentData(content []mcp.Content) (any, error) {
	// Plain text, what most tools return, is built directly; anything else takes the wire encoding's round trip.
	out := make([]any, len(content))
	for i, c := range content {
		t, ok := c.(*mcp.TextContent)
		if !ok || t.Meta != nil || t.Annotations != nil || !utf8.ValidString(t.Text) {
			return contentDataWire(content)
		}
		out[i] = map[string]any{"type": "text", "text": t.Text}
	}
	return out, nil
}

func contentDataWire(content []mcp.Content) (any, error) {
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	var out []any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

func contentText(content []mcp.Content) string {
	var parts []string
	for _, c := range content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	if len(parts) == 0 {
		return "no error text"
	}
	return strings.Join(parts, "; ")
}
