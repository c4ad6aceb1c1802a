package tools

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
)

// ArgumentError says which argument is wrong and how to fix it.
type ArgumentError struct {
	Tool     string
	Argument string // empty when the problem is not one argument's
	Problem  string
}

func (e *ArgumentError) Error() string {
	if e.Argument == "" {
		return fmt.Sprintf("invalid arguments for %s: %s", e.Tool, e.Problem)
	}
	return fmt.Sprintf("invalid argument %q for %s: %s", e.Argument, e.Tool, e.Problem)
}

// Validator checks arguments against tools' input schemas, resolving each schema once.
type Validator struct {
	resolved sync.Map // *Tool → *resolvedSchema
}

type resolvedSchema struct {
	once     sync.Once
	schema   *jsonschema.Resolved
	props    map[string]*jsonschema.Schema
	required []string
	closed   bool
	err      error
}

// Validate checks args against t's input schema: unknown and missing arguments first, with the known names, then
// types and constraints.
func (v *Validator) Validate(t *Tool, args map[string]any) error {
	entry, _ := v.resolved.LoadOrStore(t, &resolvedSchema{})
	rs := entry.(*resolvedSchema)
	rs.once.Do(func() { rs.resolve(t) })
	if rs.err != nil {
		return fmt.Errorf("tool %s has an input schema toolmux cannot use: %w", t.Slug, rs.err)
	}
	if rs.closed {
		var unknown []string
		for name := range args {
			if _, ok := rs.props[name]; !ok {
				unknown = append(unknown, name)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return &ArgumentError{Tool: t.Slug, Argument: unknown[0], Problem: fmt.Sprintf("unknown argument%s; %s",
				suggestName(unknown[0], rs.props), knownArguments(rs.props))}
		}
	}
	for _, name := range rs.required {
		if val, ok := args[name]; !ok || val == nil {
			desc := ""
			if p := rs.props[name]; p != nil {
				desc = describeSchema(p)
			}
			return &ArgumentError{Tool: t.Slug, Argument: name, Problem: "required argument is missing" + desc}
		}
	}
	if args == nil {
		args = map[string]any{}
	}
	if err := rs.schema.Validate(normalize(args)); err != nil {
		return &ArgumentError{Tool: t.Slug, Argument: argumentOf(err.Error()), Problem: cleanValidationError(err.Error())}
	}
	return nil
}

func (rs *resolvedSchema) resolve(t *Tool) {
	var s jsonschema.Schema
	if err := json.Unmarshal(t.InputSchema, &s); err != nil {
		rs.err = err
		return
	}
	rs.props = s.Properties
	rs.required = s.Required
	rs.closed = s.AdditionalProperties != nil && s.AdditionalProperties.Not != nil
	rs.schema, rs.err = s.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: false})
}

// normalize turns json.Number values into float64 so the validator sees plain JSON types. Values without any are
// returned as they are, not copied.
func normalize(v any) any {
	if !hasNumber(v) {
		return v
	}
	return normalizeCopy(v)
}

func hasNumber(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if hasNumber(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasNumber(e) {
				return true
			}
		}
	case json.Number:
		return true
	}
	return false
}

func normalizeCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeCopy(e)
		}
		return out
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	return v
}

func describeSchema(s *jsonschema.Schema) string {
	var parts []string
	if s.Type != "" {
		parts = append(parts, s.Type)
	} else if len(s.Types) > 0 {
		parts = append(parts, strings.Join(s.Types, " or "))
	}
	if d := strings.TrimSpace(s.Description); d != "" {
		if len(d) > 120 {
			d = d[:120] + "…"
		}
		parts = append(parts, d)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ": ") + ")"
}

func knownArguments(props map[string]*jsonschema.Schema) string {
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "this tool takes no arguments"
	}
	return "known arguments: " + strings.Join(names, ", ")
}

func suggestName(name string, props map[string]*jsonschema.Schema) string {
	best, bestDist := "", 1<<30
	for p := range props {
		if d := levenshtein(strings.ToLower(name), strings.ToLower(p)); d < bestDist || (d == bestDist && p < best) {
			best, bestDist = p, d
		}
	}
	if best != "" && bestDist <= max(2, len(name)/3) {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// argumentOf extracts the first property name from a validator message such as
// `validating /properties/title: type: …`.
func argumentOf(msg string) string {
	_, rest, ok := strings.Cut(msg, "/properties/")
	if !ok {
		return ""
	}
	end := strings.IndexAny(rest, "/: ")
	if end < 0 {
		return rest
	}
	return rest[:end]
}

// cleanValidationError turns `validating /properties/labels: validating /properties/labels/items: type: 1 has
// type "integer", want "string"` into `at labels/items: 1 has type "integer", want "string"`.
func cleanValidationError(msg string) string {
	path := ""
	var rest []string
	for _, part := range strings.Split(msg, ": ") {
		if p, ok := strings.CutPrefix(part, "validating "); ok && len(rest) == 0 {
			path = strings.ReplaceAll(strings.TrimPrefix(p, "/properties/"), "/properties/", "/")
			continue
		}
		rest = append(rest, part)
	}
	if len(rest) > 1 && !strings.Contains(rest[0], " ") {
		rest = rest[1:] // the failing keyword ("type", "enum"): the rest of the message says it
	}
	text := strings.Join(rest, ": ")
	if path == "" || path == "root" {
		return text
	}
	return "at " + path + ": " + text
}
