package openapi

// This file reads what a document says of the things an operation works with, beyond the operation itself
// (tools.Tool.About): the descriptions of the operation's tags ("An attachment object represents any file attached
// to a task…") and of the object its successful response returns ("The Billing customer portal is a Stripe-hosted
// UI for subscription and billing management."). Operation summaries rarely say what their object is; search
// reads these texts to bridge a user's words for a thing and the API's name for it.

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/toolmux/toolmux/tools"
)

// Limits on the texts of Tool.About: each is cut near maxAbout bytes at a sentence boundary, and schemas are
// followed through at most maxAboutDepth levels of allOf, $ref and list wrappers.
const (
	maxAbout      = 600
	maxAboutDepth = 6
)

// tagDocs returns the cleaned descriptions of the document's tags, by tag name.
func tagDocs(doc *openapi3.T) map[string]string {
	out := map[string]string{}
	for _, t := range doc.Tags {
		if t == nil {
			continue
		}
		name := strings.TrimSpace(t.Name)
		if d := aboutText(t.Description); name != "" && d != "" {
			if _, dup := out[name]; !dup {
				out[name] = d
			}
		}
	}
	return out
}

// about returns the texts of a tool's About: the descriptions of its tags, then that of the object its successful
// response returns (a 2xx response: "default" is more often an error than the result); none repeats another or
// says what the tool's own description says.
func (imp *importer) about(t *tools.Tool, op *openapi3.Operation) []string {
	var out []string
	own := strings.ToLower(oneLine(t.Description))
	add := func(s string) {
		if s == "" || strings.Contains(own, strings.ToLower(s)) {
			return
		}
		for _, x := range out {
			if x == s {
				return
			}
		}
		out = append(out, s)
	}
	for _, tag := range t.Tags {
		add(imp.tagDocs[tag])
	}
	add(aboutText(responseDoc(successSchema(op, false))))
	return out
}

// responseDoc returns the description of the object a response schema stands for. A list or an envelope is
// described by what it holds, when that has a description: a list of customers by what a customer is, a "Pagination
// object" of meetings by what a meeting is. Otherwise the schema's own description counts (see schemaDoc).
func responseDoc(ref *openapi3.SchemaRef) string {
	if inner := unwrap(ref); inner != nil {
		if d := schemaDoc(inner, 0); d != "" {
			return d
		}
	}
	return schemaDoc(ref, 0)
}

// schemaDoc returns a schema's description; a schema without one is described by its allOf parts: the parts
// written inline first (what the schema adds to its bases), then the referenced bases, depth first.
func schemaDoc(ref *openapi3.SchemaRef, depth int) string {
	if ref == nil || ref.Value == nil || depth > maxAboutDepth {
		return ""
	}
	s := ref.Value
	if d := strings.TrimSpace(s.Description); d != "" {
		return d
	}
	for _, part := range s.AllOf {
		if part != nil && part.Ref == "" && part.Value != nil {
			if d := strings.TrimSpace(part.Value.Description); d != "" {
				return d
			}
		}
	}
	for _, part := range s.AllOf {
		if d := schemaDoc(part, depth+1); d != "" {
			return d
		}
	}
	return ""
}

// maxEnvelopeProps is the most properties an envelope object has: the list and a few paging fields.
const maxEnvelopeProps = 8

// unwrap returns what a list or an envelope holds, or nil: an array's items; an object's "data" property (the
// items of it when it is an array); or the items of an object's only array property when its other properties are
// a few scalars (page counts, a next-page token). Properties of allOf parts count.
func unwrap(ref *openapi3.SchemaRef) *openapi3.SchemaRef {
	if ref == nil || ref.Value == nil {
		return nil
	}
	if ref.Value.Items != nil {
		return ref.Value.Items
	}
	var data, list *openapi3.SchemaRef
	arrays, objects, props := 0, 0, 0
	var visit func(s *openapi3.Schema, depth int)
	visit = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > maxAboutDepth {
			return
		}
		for name, p := range s.Properties {
			if p == nil || p.Value == nil {
				continue
			}
			props++
			switch {
			case name == "data":
				data = p
			case p.Value.Items != nil:
				arrays++
				list = p
			case len(p.Value.Properties) > 0 || len(p.Value.AllOf) > 0 || p.Value.Type.Is(openapi3.TypeObject):
				objects++
			}
		}
		for _, part := range s.AllOf {
			if part != nil {
				visit(part.Value, depth+1)
			}
		}
	}
	visit(ref.Value, 0)
	inner := data
	if inner == nil && arrays == 1 && objects == 0 && props <= maxEnvelopeProps {
		inner = list
	}
	if inner == nil || inner.Value == nil {
		return nil
	}
	if inner.Value.Items != nil {
		return inner.Value.Items
	}
	return inner
}

// aboutText cleans a description for Tool.About: markdown link targets are dropped ("[a guide](/docs/x)" reads "a
// guide"), white space collapsed, and the text cut near maxAbout bytes at a sentence boundary.
func aboutText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == ']' && i+1 < len(s) && s[i+1] == '(' {
			if j := strings.IndexByte(s[i+2:], ')'); j >= 0 && j < 300 {
				b.WriteByte(']')
				i += j + 2
				continue
			}
		}
		b.WriteByte(s[i])
		if b.Len() > 4*maxAbout {
			break
		}
	}
	return truncateText(oneLine(b.String()), maxAbout)
}
