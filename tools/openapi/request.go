package openapi

// This file turns a tool's flat arguments into one HTTP request. It is a pure function of its inputs (no network,
// no clock) so that it can be tested exhaustively and fuzzed: the arguments come from a model and are hostile until
// proven otherwise, even though the session validated them against the input schema first.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/toolmux/toolmux/tools"
)

// Limits used when an HTTPExecutor field is zero.
const (
	// DefaultMaxRequestBytes caps an encoded request body.
	DefaultMaxRequestBytes = 5 << 20
	// DefaultMaxResponseBytes caps a response body.
	DefaultMaxResponseBytes = 10 << 20
	// MaxRedirects is how many same-host redirects a call follows.
	MaxRedirects = 5
)

// BuildRequest builds the HTTP request for one call of a tool bound by b, relative to baseURL, with bodies capped
// at DefaultMaxRequestBytes. It does no I/O; ctx only becomes the request's context.
//
// Path parameters are escaped one segment each ("/" becomes %2F); values that are empty, "." or "..", that have a
// "." or ".." component, or that contain control characters are refused. Query and header values are formatted
// without float exponents; arrays are repeated (or comma-joined when Explode is false) and objects are sent as
// JSON. Header values with control characters are refused. The body is built from the arguments named in
// b.Body.Props and b.Body.Arg. An argument the binding does not know is an error.
func BuildRequest(ctx context.Context, baseURL string, b *tools.HTTPBinding, args map[string]any) (*http.Request, error) {
	return buildRequest(ctx, baseURL, b, args, DefaultMaxRequestBytes)
}

func buildRequest(ctx context.Context, baseURL string, b *tools.HTTPBinding, args map[string]any, maxBody int64) (*http.Request, error) {
	if b == nil {
		return nil, errors.New("the tool has no HTTP binding")
	}
	method := strings.ToUpper(strings.TrimSpace(b.Method))
	if method == "" || !isToken(method) {
		return nil, fmt.Errorf("invalid HTTP method %q in the tool's binding", b.Method)
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if err := checkUnknownArgs(b, args); err != nil {
		return nil, err
	}

	rawPath, err := expandPath(b, args)
	if err != nil {
		return nil, err
	}
	u := *base
	u.RawPath = strings.TrimRight(base.EscapedPath(), "/") + rawPath
	if u.Path, err = url.PathUnescape(u.RawPath); err != nil {
		return nil, fmt.Errorf("path template %q does not form a valid URL path: %w", b.Path, err)
	}
	u.Fragment, u.RawFragment = "", ""

	query, err := queryValues(b, args)
	if err != nil {
		return nil, err
	}
	if q := query.Encode(); q != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&" + q
		} else {
			u.RawQuery = q
		}
	}

	body, contentType, err := encodeBody(b.Body, args, maxBody)
	if err != nil {
		return nil, err
	}
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bodyReader)
	if err != nil {
		return nil, fmt.Errorf("build %s request: %w", method, err)
	}
	// Re-parsing must give back exactly the path we escaped; anything else means an escape went wrong, and a
	// request to an unintended path is worse than no request.
	if got := req.URL.EscapedPath(); got != u.RawPath {
		return nil, fmt.Errorf("path template %q does not form a stable URL path (%q became %q)", b.Path, u.RawPath, got)
	}
	if err := setHeaderParams(req.Header, b, args); err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// parseBaseURL accepts an absolute http(s) URL, with or without a base path.
func parseBaseURL(baseURL string) (*url.URL, error) {
	if strings.TrimSpace(baseURL) == "" {
		return nil, errors.New("no base URL; set the toolkit's base_url")
	}
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("base URL is not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("base URL %s must start with https:// (or http://)", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("base URL %s has no host", u.Redacted())
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, fmt.Errorf("base URL %s must not contain %q segments", u.Redacted(), seg)
		}
	}
	return u, nil
}

// checkUnknownArgs refuses arguments the binding cannot place.
func checkUnknownArgs(b *tools.HTTPBinding, args map[string]any) error {
	var unknown []string
	for name := range args {
		if !knowsArg(b, name) {
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	known := knownArgs(b)
	hint := "this tool takes no arguments"
	if len(known) > 0 {
		if len(known) > 30 {
			known = append(known[:30], "…")
		}
		hint = "this tool takes: " + strings.Join(known, ", ")
	}
	return fmt.Errorf("unknown arguments %s; %s", strings.Join(unknown, ", "), hint)
}

func knowsArg(b *tools.HTTPBinding, name string) bool {
	for _, p := range b.Params {
		if p.Arg == name {
			return true
		}
	}
	if b.Body != nil {
		if b.Body.Arg == name {
			return true
		}
		if _, ok := b.Body.Props[name]; ok {
			return true
		}
	}
	return false
}

func knownArgs(b *tools.HTTPBinding) []string {
	var names []string
	for _, p := range b.Params {
		names = append(names, p.Arg)
	}
	if b.Body != nil {
		if b.Body.Arg != "" {
			names = append(names, b.Body.Arg)
		}
		for a := range b.Body.Props {
			names = append(names, a)
		}
	}
	sort.Strings(names)
	return slices.Compact(names)
}

// expandPath substitutes the path template's {placeholders} and returns the escaped path, starting with "/".
func expandPath(b *tools.HTTPBinding, args map[string]any) (string, error) {
	tmpl := b.Path
	var sb strings.Builder
	if !strings.HasPrefix(tmpl, "/") {
		sb.WriteByte('/')
	}
	for rest := tmpl; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			sb.WriteString(escapeLiteral(rest))
			break
		}
		closing := strings.IndexByte(rest[open:], '}')
		if closing < 0 {
			sb.WriteString(escapeLiteral(rest))
			break
		}
		sb.WriteString(escapeLiteral(rest[:open]))
		name := rest[open+1 : open+closing]
		p := findParam(b, tools.InPath, name)
		if p == nil {
			return "", fmt.Errorf("path template %q has {%s} but the binding has no such path parameter", tmpl, name)
		}
		seg, err := pathValue(p, args)
		if err != nil {
			return "", err
		}
		sb.WriteString(seg)
		rest = rest[open+closing+1:]
	}
	path := sb.String()
	// The template is data from an imported document; it must not climb out of the base path either.
	for _, seg := range strings.Split(path, "/") {
		plain, err := url.PathUnescape(seg)
		if err != nil {
			return "", fmt.Errorf("path template %q has an invalid escape: %w", tmpl, err)
		}
		if hasDotComponent(plain) {
			return "", fmt.Errorf("path template %q resolves to a %q segment; refusing to send it", tmpl, seg)
		}
	}
	return path, nil
}

func findParam(b *tools.HTTPBinding, in, name string) *tools.HTTPParam {
	for i := range b.Params {
		if b.Params[i].In == in && b.Params[i].Name == name {
			return &b.Params[i]
		}
	}
	return nil
}

// pathValue formats and escapes one path parameter. Arrays become comma-separated (OpenAPI style simple).
func pathValue(p *tools.HTTPParam, args map[string]any) (string, error) {
	v, ok := args[p.Arg]
	if !ok || v == nil {
		return "", fmt.Errorf("missing required path argument %q", p.Arg)
	}
	var parts []string
	if items, isList := asList(v); isList {
		for _, item := range items {
			s, isScalar, err := scalarString(item)
			if err != nil {
				return "", fmt.Errorf("argument %q: %w", p.Arg, err)
			}
			if !isScalar {
				return "", fmt.Errorf("argument %q: path parameter array items must be strings, numbers or booleans", p.Arg)
			}
			parts = append(parts, s)
		}
	} else {
		s, isScalar, err := scalarString(v)
		if err != nil {
			return "", fmt.Errorf("argument %q: %w", p.Arg, err)
		}
		if !isScalar {
			return "", fmt.Errorf("argument %q: a path parameter must be a string, number or boolean, not an object", p.Arg)
		}
		parts = []string{s}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("argument %q: path parameter must not be an empty array", p.Arg)
	}
	for i, s := range parts {
		if s == "" {
			return "", fmt.Errorf("argument %q: path parameter must not be empty", p.Arg)
		}
		if hasControl(s, false) {
			return "", fmt.Errorf("argument %q: path parameter contains a control character; remove it", p.Arg)
		}
		if hasDotComponent(s) {
			return "", fmt.Errorf("argument %q: path parameter %q would change the URL path (\".\" and \"..\" are not allowed)", p.Arg, s)
		}
		parts[i] = escapePathValue(s, p.MultiSegment)
	}
	return strings.Join(parts, ","), nil
}

// escapePathValue escapes one path value; a multi-segment value keeps its "/" and escapes each segment. Dot
// segments were refused before, so keeping "/" cannot climb out of the template's place.
func escapePathValue(s string, multiSegment bool) string {
	if !multiSegment {
		return url.PathEscape(s)
	}
	segs := strings.Split(strings.Trim(s, "/"), "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// hasDotComponent reports whether s, split at "/" or "\", has a "." or ".." component. Those are refused even
// though "/" is escaped, because some servers decode %2F (or treat "\" as a separator) before resolving the path.
func hasDotComponent(s string) bool {
	for _, c := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
		if c == "." || c == ".." {
			return true
		}
	}
	return s == "." || s == ".."
}

// escapeLiteral percent-encodes the bytes of a template's literal text that may not appear in a URL path, keeping
// valid %XX escapes and "/" as they are.
func escapeLiteral(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			sb.WriteByte(c)
		case c != '%' && isPathChar(c):
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

func isPathChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// queryValues collects the query parameters, in binding order.
func queryValues(b *tools.HTTPBinding, args map[string]any) (url.Values, error) {
	q := url.Values{}
	for i := range b.Params {
		p := &b.Params[i]
		if p.In != tools.InQuery {
			continue
		}
		v, ok := args[p.Arg]
		if !ok || v == nil {
			if p.Required {
				return nil, fmt.Errorf("missing required query argument %q", p.Arg)
			}
			continue
		}
		values, err := formValues(v)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", p.Arg, err)
		}
		if len(values) == 0 {
			continue
		}
		if p.Explode != nil && !*p.Explode {
			values = []string{strings.Join(values, ",")}
		}
		q[p.Name] = append(q[p.Name], values...)
	}
	return q, nil
}

// formValues formats one argument as the values of a query parameter or form field: a scalar is one value, an
// array one value per item, an object its JSON text.
func formValues(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	if items, ok := asList(v); ok {
		out := make([]string, 0, len(items))
		for _, item := range items {
			if item == nil {
				continue
			}
			s, err := textValue(item)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := textValue(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// textValue formats a scalar as text and anything else as compact JSON.
func textValue(v any) (string, error) {
	s, isScalar, err := scalarString(v)
	if err != nil || isScalar {
		return s, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("cannot encode value as JSON: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// scalarString formats strings, booleans and numbers; isScalar is false for anything else.
func scalarString(v any) (s string, isScalar bool, err error) {
	switch x := v.(type) {
	case string:
		return x, true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	case json.Number:
		s, err := formatJSONNumber(string(x))
		return s, true, err
	case float64:
		s, err := formatFloat(x, 64)
		return s, true, err
	case float32:
		s, err := formatFloat(float64(x), 32)
		return s, true, err
	case int:
		return strconv.FormatInt(int64(x), 10), true, nil
	case int8:
		return strconv.FormatInt(int64(x), 10), true, nil
	case int16:
		return strconv.FormatInt(int64(x), 10), true, nil
	case int32:
		return strconv.FormatInt(int64(x), 10), true, nil
	case int64:
		return strconv.FormatInt(x, 10), true, nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), true, nil
	case uint8:
		return strconv.FormatUint(uint64(x), 10), true, nil
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true, nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true, nil
	case uint64:
		return strconv.FormatUint(x, 10), true, nil
	}
	return "", false, nil
}

func formatFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", errors.New("number is not finite")
	}
	return strconv.FormatFloat(f, 'f', -1, bits), nil
}

// formatJSONNumber keeps integer and decimal literals as written (big integers survive) and rewrites exponent
// forms ("1e3") as plain decimals, which is what query strings and path segments expect.
func formatJSONNumber(s string) (string, error) {
	if !isJSONNumber(s) {
		return "", fmt.Errorf("%q is not a number", s)
	}
	if !strings.ContainsAny(s, "eE") {
		return s, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", fmt.Errorf("number %s is out of range", s)
	}
	return formatFloat(f, 64)
}

// isJSONNumber reports whether s matches the JSON number grammar.
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// asList returns the items of a slice value ([]any from JSON, or any other Go slice but []byte).
func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	case []byte, json.RawMessage:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// setHeaderParams sets the header parameters present in args.
func setHeaderParams(h http.Header, b *tools.HTTPBinding, args map[string]any) error {
	for i := range b.Params {
		p := &b.Params[i]
		if p.In != tools.InHeader {
			continue
		}
		v, ok := args[p.Arg]
		if !ok || v == nil {
			if p.Required {
				return fmt.Errorf("missing required header argument %q", p.Arg)
			}
			continue
		}
		if !isToken(p.Name) {
			return fmt.Errorf("header parameter %q (argument %q) is not a valid header name", p.Name, p.Arg)
		}
		values, err := formValues(v)
		if err != nil {
			return fmt.Errorf("argument %q: %w", p.Arg, err)
		}
		value := strings.Join(values, ",")
		if hasControl(value, true) {
			return fmt.Errorf("header %q (argument %q): value contains a line break or other control character; remove it", p.Name, p.Arg)
		}
		h.Set(p.Name, value)
	}
	return nil
}

// hasControl reports whether s has an ASCII or C1 control character (or invalid UTF-8, which could hide one).
// A tab is allowed when allowTab is set, as it is inside header values.
func hasControl(s string, allowTab bool) bool {
	for _, r := range s {
		switch {
		case r == '\t' && allowTab:
		case r < 0x20, r == 0x7f, 0x80 <= r && r <= 0x9f, r == utf8.RuneError:
			return true
		}
	}
	return false
}

// isToken reports whether s is an RFC 9110 token (a method or header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// errBodyTooLarge stops encoding as soon as the body passes the cap.
var errBodyTooLarge = errors.New("request body too large")

type cappedBuffer struct {
	bytes.Buffer
	max int64
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if int64(c.Len())+int64(len(p)) > c.max {
		return 0, errBodyTooLarge
	}
	return c.Buffer.Write(p)
}

// encodeBody builds the request body; it returns a nil body when the call sends none.
func encodeBody(hb *tools.HTTPBody, args map[string]any, maxBody int64) ([]byte, string, error) {
	if hb == nil {
		return nil, "", nil
	}
	value, present, err := bodyValue(hb, args)
	if err != nil {
		return nil, "", err
	}
	if !present {
		if !hb.Required {
			return nil, "", nil
		}
		if len(hb.Props) == 0 {
			names := knownArgs(&tools.HTTPBinding{Body: hb})
			return nil, "", fmt.Errorf("this tool requires a request body; set at least one of: %s", strings.Join(names, ", "))
		}
		// A required object body none of whose properties is required: the input schema let the call through
		// without any, so send the empty object the API accepts.
		value, present = map[string]any{}, true
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxRequestBytes
	}
	ct := strings.TrimSpace(hb.ContentType)
	if hasControl(ct, false) {
		return nil, "", fmt.Errorf("body content type %q is invalid", ct)
	}
	mediaType, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	}
	buf := &cappedBuffer{max: maxBody}
	tooLarge := func(err error) error {
		if errors.Is(err, errBodyTooLarge) {
			return fmt.Errorf("request body is larger than %d bytes; send less data per call", maxBody)
		}
		return err
	}
	switch {
	case mediaType == "" || isJSONType(mediaType):
		if ct == "" {
			ct = "application/json"
		}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(value); err != nil {
			return nil, "", tooLarge(fmt.Errorf("encode JSON body: %w", err))
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), ct, nil
	case mediaType == "application/x-www-form-urlencoded":
		fields, err := bodyFields(value, mediaType)
		if err != nil {
			return nil, "", err
		}
		form := url.Values{}
		for _, f := range fields {
			form[f.name] = append(form[f.name], f.values...)
		}
		if _, err := buf.WriteString(form.Encode()); err != nil {
			return nil, "", tooLarge(err)
		}
		return buf.Bytes(), ct, nil
	case mediaType == "multipart/form-data":
		fields, err := bodyFields(value, mediaType)
		if err != nil {
			return nil, "", err
		}
		w := multipart.NewWriter(buf)
		for _, f := range fields {
			if hasControl(f.name, false) {
				return nil, "", fmt.Errorf("form field name %q contains a control character", f.name)
			}
			for _, v := range f.values {
				if err := w.WriteField(f.name, v); err != nil {
					return nil, "", tooLarge(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			return nil, "", tooLarge(err)
		}
		return buf.Bytes(), w.FormDataContentType(), nil
	default:
		s, ok := value.(string)
		if !ok {
			return nil, "", fmt.Errorf("a %s request body must be given as a string", mediaType)
		}
		if int64(len(s)) > maxBody {
			return nil, "", tooLarge(errBodyTooLarge)
		}
		return []byte(s), ct, nil
	}
}

// bodyValue assembles the body's value from the whole-body argument and the flattened properties.
func bodyValue(hb *tools.HTTPBody, args map[string]any) (any, bool, error) {
	var whole any
	haveWhole := false
	if hb.Arg != "" {
		if v, ok := args[hb.Arg]; ok && v != nil {
			whole, haveWhole = v, true
		}
	}
	props := map[string]any{}
	for arg, prop := range hb.Props {
		if v, ok := args[arg]; ok {
			props[prop] = v
		}
	}
	switch {
	case len(props) == 0 && !haveWhole:
		return nil, false, nil
	case len(props) == 0:
		return whole, true, nil
	case !haveWhole:
		return props, true, nil
	}
	obj, ok := whole.(map[string]any)
	if !ok {
		return nil, false, fmt.Errorf("argument %q must be an object when other body arguments are set too", hb.Arg)
	}
	merged := make(map[string]any, len(obj)+len(props))
	for k, v := range obj {
		merged[k] = v
	}
	for k, v := range props {
		merged[k] = v
	}
	return merged, true, nil
}

type formField struct {
	name   string
	values []string
}

// bodyFields turns an object body into form fields sorted by name.
func bodyFields(value any, mediaType string) ([]formField, error) {
	obj, ok := value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a %s request body must be an object of fields", mediaType)
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	fields := make([]formField, 0, len(names))
	for _, name := range names {
		values, err := formValues(obj[name])
		if err != nil {
			return nil, fmt.Errorf("body field %q: %w", name, err)
		}
		fields = append(fields, formField{name: name, values: values})
	}
	return fields, nil
}

func isJSONType(mediaType string) bool {
	return mediaType == "application/json" || mediaType == "text/json" || strings.HasSuffix(mediaType, "+json")
}
