package tools

import (
	"fmt"
	"sort"
	"strings"
)

// Catalog is an immutable set of toolkits whose tool slugs are unique.
type Catalog struct {
	toolkits  []*Toolkit
	byToolkit map[string]*Toolkit
	bySlug    map[string]*Tool
	tools     []*Tool
}

// NewCatalog indexes toolkits. Two toolkits with one slug, or two tools with one slug, are an error.
func NewCatalog(toolkits []*Toolkit) (*Catalog, error) {
	c := &Catalog{byToolkit: map[string]*Toolkit{}, bySlug: map[string]*Tool{}}
	sorted := append([]*Toolkit(nil), toolkits...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Slug < sorted[j].Slug })
	for _, tk := range sorted {
		if _, dup := c.byToolkit[tk.Slug]; dup {
			return nil, fmt.Errorf("toolkit %q is defined twice", tk.Slug)
		}
		c.byToolkit[tk.Slug] = tk
		c.toolkits = append(c.toolkits, tk)
		for _, t := range tk.Tools {
			if prev, dup := c.bySlug[t.Slug]; dup {
				return nil, fmt.Errorf("tool slug %s is defined by toolkits %q and %q; rename one toolkit's slug", t.Slug, prev.Toolkit, tk.Slug)
			}
			c.bySlug[t.Slug] = t
			c.tools = append(c.tools, t)
		}
	}
	return c, nil
}

// Toolkits returns the toolkits sorted by slug.
func (c *Catalog) Toolkits() []*Toolkit { return c.toolkits }

// Toolkit returns the toolkit with slug, or nil.
func (c *Catalog) Toolkit(slug string) *Toolkit { return c.byToolkit[strings.ToLower(slug)] }

// Tools returns every tool, grouped by toolkit in slug order.
func (c *Catalog) Tools() []*Tool { return c.tools }

// Tool returns the tool with slug (case-insensitive), or nil.
func (c *Catalog) Tool(slug string) *Tool {
	if t, ok := c.bySlug[slug]; ok {
		return t
	}
	return c.bySlug[strings.ToUpper(strings.TrimSpace(slug))]
}

// Len is the number of tools.
func (c *Catalog) Len() int { return len(c.tools) }
