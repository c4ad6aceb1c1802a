package session

import (
	"context"
	"fmt"
	"slices"
)

// SchemasResult is the output of GET_TOOL_SCHEMAS.
type SchemasResult struct {
	ToolSchemas         map[string]ToolSchema `json:"tool_schemas"`
	NotFound            []string              `json:"not_found"`
	Suggestions         map[string][]string   `json:"suggestions"`
	RestrictedToolSlugs []string              `json:"restricted_tool_slugs,omitempty"`
}

// MaxSchemaSlugs bounds one GET_TOOL_SCHEMAS call.
const MaxSchemaSlugs = 50

// Schemas returns the schemas of the tools named by slugs that the session may see. include selects
// "input_schema" (the default) and/or "output_schema". Unknown slugs come back in NotFound with up to three near
// slugs each; slugs outside the filter in RestrictedToolSlugs.
func (s *Session) Schemas(ctx context.Context, slugs, include []string) (*SchemasResult, error) {
	if len(slugs) == 0 || len(slugs) > MaxSchemaSlugs {
		return nil, fmt.Errorf("tool_slugs: give 1 to %d slugs, got %d", MaxSchemaSlugs, len(slugs))
	}
	withInput, withOutput := len(include) == 0, false
	for _, inc := range include {
		switch inc {
		case "input_schema":
			withInput = true
		case "output_schema":
			withOutput = true
		default:
			return nil, fmt.Errorf("include: unknown value %q; use \"input_schema\" and/or \"output_schema\"", inc)
		}
	}
	cat, err := s.catalog.Get(ctx)
	if err != nil {
		return nil, err
	}
	out := &SchemasResult{ToolSchemas: map[string]ToolSchema{}, NotFound: []string{}, Suggestions: map[string][]string{}}
	for _, slug := range slugs {
		t := cat.Tool(slug)
		switch {
		case t == nil:
			out.NotFound = append(out.NotFound, slug)
			sug := cat.Suggest(slug, s.filter.Allows, 3)
			if sug == nil {
				sug = []string{}
			}
			out.Suggestions[slug] = sug
		case !s.filter.Allows(t):
			if !slices.Contains(out.RestrictedToolSlugs, t.Slug) {
				out.RestrictedToolSlugs = append(out.RestrictedToolSlugs, t.Slug)
			}
		default:
			ts := ToolSchema{Toolkit: t.Toolkit, ToolSlug: t.Slug, Description: t.Description, HasFullSchema: true}
			if withInput {
				ts.InputSchema = t.InputSchema
			}
			if withOutput {
				ts.OutputSchema = t.OutputSchema
			}
			out.ToolSchemas[t.Slug] = ts
		}
	}
	return out, nil
}
