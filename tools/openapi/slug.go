package openapi

// This file holds the naming rules: tool slugs (DESIGN §2) and argument names.

import (
	"strings"
)

// ToolSlug returns the slug of an operation in toolkit: upper(toolkit) + "_" + upper(operationID with every run of
// characters other than ASCII letters and digits replaced by "_", leading and trailing "_" trimmed). camelCase is
// not split: ("slack", "chat_postMessage") gives SLACK_CHAT_POSTMESSAGE. An operation without a usable operationId
// is named after its method and path: ("petstore", "", "GET", "/pets/{id}") gives PETSTORE_GET_PETS_ID.
func ToolSlug(toolkit, operationID, method, path string) string {
	action := upperSnake(operationID)
	if action == "" {
		action = upperSnake(method + "_" + path)
	}
	return upperSnake(toolkit) + "_" + action
}

// upperSnake upper-cases s and turns every run of characters other than [A-Za-z0-9] into one "_", trimming "_"
// at both ends.
func upperSnake(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte('_')
			pending = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// toolkitSlug normalises a toolkit slug: lower case, runs of other characters than [a-z0-9] become "_".
func toolkitSlug(s string) string {
	return strings.ToLower(upperSnake(s))
}

// maxArgName is the longest argument name; model APIs commonly refuse longer property names.
const maxArgName = 64

// argName turns a parameter or property name into an argument name that model APIs accept (^[A-Za-z0-9_.-]{1,64}$).
// A valid name is kept; otherwise every run of other characters becomes "_", "_" is trimmed at both ends, and the
// name is cut to 64 bytes.
// "page[size]" becomes "page_size"; "X-GitHub-Api-Version" stays as it is.
func argName(s string) string {
	if validArgName(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			if pending {
				b.WriteByte('_')
				pending = false
			}
			b.WriteByte(c)
			continue
		}
		pending = b.Len() > 0
	}
	out := strings.Trim(b.String(), "_")
	if len(out) > maxArgName {
		out = strings.TrimRight(out[:maxArgName], "_")
	}
	if out == "" {
		out = "arg"
	}
	return out
}

func validArgName(s string) bool {
	if s == "" || len(s) > maxArgName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
