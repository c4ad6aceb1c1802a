package tools

import (
	"fmt"
	"slices"
	"strings"
)

// List is an enable list or a disable list; both empty means everything.
type List struct {
	Enable  []string `json:"enable,omitempty"`
	Disable []string `json:"disable,omitempty"`
}

func (l List) empty() bool { return len(l.Enable) == 0 && len(l.Disable) == 0 }

// ToolkitFilter narrows one toolkit: tools by slug, and tag lists that replace the global ones.
type ToolkitFilter struct {
	Tools List `json:"tools,omitzero"`
	Tags  List `json:"tags,omitzero"`
}

// Filter decides which tools a session may see and run, with Composio's semantics: toolkits is an enable or a
// disable list; tags enable means "has at least one of", disable "has none of"; a toolkit's own tag lists override
// the global ones for its tools. The zero Filter allows everything.
type Filter struct {
	Toolkits List `json:"toolkits,omitzero"`
	// Tools enables or disables tools by slug across toolkits (the --tools flag).
	Tools   List                     `json:"tools,omitzero"`
	Tags    List                     `json:"tags,omitzero"`
	Toolkit map[string]ToolkitFilter `json:"toolkit,omitempty"`
}

// Allows reports whether t is inside the filter.
func (f Filter) Allows(t *Tool) bool { return f.Reason(t) == "" }

// AllowsToolkit reports whether any tool of toolkit slug can pass the toolkit lists.
func (f Filter) AllowsToolkit(slug string) bool {
	if len(f.Toolkits.Enable) > 0 && !containsFold(f.Toolkits.Enable, slug) {
		return false
	}
	return !containsFold(f.Toolkits.Disable, slug)
}

// Reason says why t is outside the filter, or "" when it is inside.
func (f Filter) Reason(t *Tool) string {
	if !f.AllowsToolkit(t.Toolkit) {
		return fmt.Sprintf("toolkit %q is not enabled in this session", t.Toolkit)
	}
	if len(f.Tools.Enable) > 0 && !containsFold(f.Tools.Enable, t.Slug) {
		return fmt.Sprintf("tool %s is not in the enabled tools of this session", t.Slug)
	}
	if containsFold(f.Tools.Disable, t.Slug) {
		return fmt.Sprintf("tool %s is disabled in this session", t.Slug)
	}
	tf := f.Toolkit[t.Toolkit]
	if len(tf.Tools.Enable) > 0 && !containsFold(tf.Tools.Enable, t.Slug) {
		return fmt.Sprintf("tool %s is not in the enabled tools of toolkit %q", t.Slug, t.Toolkit)
	}
	if containsFold(tf.Tools.Disable, t.Slug) {
		return fmt.Sprintf("tool %s is disabled in this session", t.Slug)
	}
	tags := f.Tags
	if !tf.Tags.empty() {
		tags = tf.Tags
	}
	if len(tags.Enable) > 0 && !slices.ContainsFunc(tags.Enable, t.HasTag) {
		return fmt.Sprintf("tool %s has none of the enabled tags %s", t.Slug, strings.Join(tags.Enable, ", "))
	}
	if i := slices.IndexFunc(tags.Disable, t.HasTag); i >= 0 {
		return fmt.Sprintf("tool %s has the disabled tag %s", t.Slug, tags.Disable[i])
	}
	return ""
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}
