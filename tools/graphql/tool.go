package graphql

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/toolmux/toolmux/tools"
)

// ToolSpec declares one GraphQL tool, as a curated manifest writes it.
type ToolSpec struct {
	Slug        string
	Name        string
	Description string
	Important   bool
	Pitfalls    []string
	// Query is the document: one named query or mutation.
	Query string
	// ResultPath is the dotted path into data that is the tool's result ("issueCreate"); empty means all of data.
	ResultPath string
	// Variables maps each variable the operation defines to its JSON schema (type, description, enum, items...).
	// "required" is not written: it follows from the GraphQL type.
	Variables map[string]map[string]any
	// ReadOnly and Destructive override the annotations derived from the operation type (a query reads, a
	// mutation writes).
	ReadOnly, Destructive *bool
}

// jsonTypes are the JSON schema types GraphQL's built-in scalars take.
var jsonTypes = map[string]string{
	"String": "string", "ID": "string", "Int": "integer", "Float": "number", "Boolean": "boolean",
}

// NewTool builds the tool of toolkit that runs spec's operation. It fails when the document does not parse, when
// the declared variables and the schemas differ, or when a schema's type contradicts its variable's GraphQL type.
func NewTool(toolkit string, spec ToolSpec) (*tools.Tool, error) {
	op, err := ParseOperation(spec.Query)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", spec.Slug, err)
	}
	if op.Type == "subscription" {
		return nil, fmt.Errorf("tool %s: subscription %s cannot be a tool; use a query or mutation", spec.Slug, op.Name)
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("tool %s: "+format, append([]any{spec.Slug}, args...)...))
	}
	props := map[string]any{}
	var required []string
	declared := map[string]bool{}
	for _, v := range op.Variables {
		declared[v.Name] = true
		schema, ok := spec.Variables[v.Name]
		if !ok {
			bad("variable $%s (%s) of %s has no schema; add it under variables", v.Name, v.Type, op.Name)
			continue
		}
		if _, ok := schema["required"]; ok {
			bad("variable %s: remove \"required\"; it follows from the GraphQL type (%s)", v.Name, v.Type)
		}
		if d, _ := schema["description"].(string); strings.TrimSpace(d) == "" {
			bad("variable %s has no description; say what it is and where its value comes from", v.Name)
		}
		if err := checkType(v, schema); err != nil {
			bad("variable %s: %v", v.Name, err)
		}
		props[v.Name] = schema
		if v.Required() {
			required = append(required, v.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Variables)) {
		if !declared[name] {
			bad("variables.%s is not a variable of %s; remove it or declare $%s in the query", name, op.Name, name)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	input := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		slices.Sort(required)
		input["required"] = required
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("tool %s: input schema: %w", spec.Slug, err)
	}

	ann := tools.Annotations{OpenWorld: true}
	if op.Type == "query" {
		ann.ReadOnly, ann.Idempotent = true, true
	}
	if spec.ReadOnly != nil {
		ann.ReadOnly = *spec.ReadOnly
		if ann.ReadOnly {
			ann.Idempotent = true
		}
	}
	if spec.Destructive != nil {
		ann.Destructive = *spec.Destructive
	}
	name := spec.Name
	if name == "" {
		name = op.Name
	}
	t := &tools.Tool{
		Slug:        spec.Slug,
		Toolkit:     toolkit,
		Name:        name,
		Description: spec.Description,
		InputSchema: raw,
		Annotations: ann,
		Important:   spec.Important,
		Pitfalls:    slices.Clone(spec.Pitfalls),
		GraphQL:     &tools.GraphQLBinding{Query: spec.Query, OperationName: op.Name, ResultPath: spec.ResultPath},
	}
	for _, x := range []struct {
		on  bool
		tag string
	}{
		{ann.ReadOnly, tools.TagReadOnly}, {ann.Destructive, tools.TagDestructive},
		{ann.Idempotent, tools.TagIdempotent}, {ann.OpenWorld, tools.TagOpenWorld}, {spec.Important, tools.TagImportant},
	} {
		if x.on {
			t.Tags = append(t.Tags, x.tag)
		}
	}
	return t, nil
}

// checkType compares a schema's "type" with the variable's GraphQL type: lists are arrays, and the built-in
// scalars have fixed JSON types. Enums, custom scalars and input objects are the manifest's to describe.
func checkType(v Variable, schema map[string]any) error {
	typ, _ := schema["type"].(string)
	if typ == "" {
		return fmt.Errorf("schema has no \"type\"")
	}
	if v.List() {
		if typ != "array" {
			return fmt.Errorf("type %q, but %s is a list: use \"array\" with items", typ, v.Type)
		}
		items, _ := schema["items"].(map[string]any)
		it, _ := items["type"].(string)
		if want, ok := jsonTypes[v.BaseType()]; ok && it != want {
			return fmt.Errorf("items type %q, but %s holds %s: use %q", it, v.Type, v.BaseType(), want)
		}
		return nil
	}
	if want, ok := jsonTypes[v.BaseType()]; ok && typ != want {
		return fmt.Errorf("type %q, but %s is %s: use %q", typ, v.Name, v.Type, want)
	}
	return nil
}
