package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolmux/toolmux/toolkits/internal/manifest"
)

// googleLike is shaped like Google's converted discovery documents: the resource goes in as an upload media type
// only, and its schema mixes writable and output-only fields.
const googleLike = `{
  "openapi": "3.0.0", "info": {"title": "Mail", "version": "v1"},
  "paths": {"/users/{userId}/messages/send": {"post": {
    "operationId": "messages.send",
    "parameters": [{"name": "userId", "in": "path", "required": true, "schema": {"type": "string"}}],
    "requestBody": {"content": {
      "message/rfc822": {"schema": {"$ref": "#/components/schemas/Message"}},
      "message/cpim": {"schema": {"$ref": "#/components/schemas/Message"}}
    }},
    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}}}
  }}},
  "components": {"schemas": {
    "Message": {"type": "object", "required": ["raw", "id"], "properties": {
      "id": {"type": "string", "description": "Output only."},
      "raw": {"type": "string", "format": "byte"},
      "threadId": {"type": "string"},
      "payload": {"$ref": "#/components/schemas/Part"}
    }},
    "Part": {"type": "object", "properties": {"mimeType": {"type": "string"}}}
  }}
}`

func googleManifest(t *testing.T, extra string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse("mail/manifest.toml", []byte(`slug = "mail"
name = "Mail"
description = "Mail."
base_url = "https://mail.test"
[source]
spec = "x.json"
[[auth_schemes]]
scheme = "NO_AUTH"
[[tools]]
operation_id = "messages.send"
slug = "MAIL_SEND"
description = "Send."
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBodyMediaTypeAndProperties(t *testing.T) {
	doc, err := decode([]byte(googleLike))
	if err != nil {
		t.Fatal(err)
	}
	m := googleManifest(t, "body_media_type = \"application/json\"\nbody_properties = [\"raw\", \"threadId\"]\n")
	out, err := trim(doc, m)
	if err != nil {
		t.Fatal(err)
	}
	data, err := encode(out["paths"].(map[string]any)["/users/{userId}/messages/send"].(map[string]any)["post"].(map[string]any)["requestBody"])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"content":{"application/json":{"schema":{"properties":{"raw":{"format":"byte","type":"string"},"threadId":{"type":"string"}},"required":["raw"],"type":"object"}}}}`
	if diff := cmp.Diff(want, strings.TrimSpace(string(data))); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
	// The response still reaches Message, so the component stays; Part is reached through it.
	schemas := out["components"].(map[string]any)["schemas"].(map[string]any)
	if _, ok := schemas["Part"]; !ok {
		t.Errorf("components %v lack Part", schemas)
	}

	// Only the media type, keeping the document's schema reference.
	out, err = trim(doc, googleManifest(t, "body_media_type = \"message/rfc822\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ = encode(out["paths"].(map[string]any)["/users/{userId}/messages/send"].(map[string]any)["post"].(map[string]any)["requestBody"])
	if want := `{"content":{"message/rfc822":{"schema":{"$ref":"#/components/schemas/Message"}}}}`; strings.TrimSpace(string(data)) != want {
		t.Errorf("request body %s, want %s", data, want)
	}
}

func TestBodyPropertiesErrors(t *testing.T) {
	doc, err := decode([]byte(googleLike))
	if err != nil {
		t.Fatal(err)
	}
	_, err = trim(doc, googleManifest(t, "body_properties = [\"raw\", \"rwa\"]\n"))
	if err == nil || !strings.Contains(err.Error(), "no properties rwa") || !strings.Contains(err.Error(), "messages.send") {
		t.Fatalf("err = %v, want it to name the missing property and the operation", err)
	}
	noBody := strings.Replace(googleLike, `"requestBody"`, `"x-requestBody"`, 1)
	doc, _ = decode([]byte(noBody))
	_, err = trim(doc, googleManifest(t, "body_media_type = \"application/json\"\n"))
	if err == nil || !strings.Contains(err.Error(), "no inline request body") {
		t.Fatalf("err = %v, want a missing body error", err)
	}
}
