// Package redact removes secrets from values before they are logged, stored or returned: known secret values,
// authorization headers and arguments whose names look secret.
//
// It depends on nothing else in toolmux.
package redact

import (
	"regexp"
	"strings"
	"sync"
)

// Mask replaces a redacted value.
const Mask = "[REDACTED]"

var secretKey = regexp.MustCompile(`(?i)(^|[_\-.])(token|secret|password|passwd|pwd|api[_\-]?key|apikey|auth|authorization|credential|credentials|private[_\-]?key|client[_\-]?secret|access[_\-]?key|session[_\-]?key|cookie|signature)($|[_\-.])`)

// SecretKey reports whether a key's name suggests a secret value ("api_key", "X-Auth-Token", "password").
func SecretKey(name string) bool { return secretKey.MatchString(name) }

// Arguments returns a copy of args with the values of secret-looking keys masked, at any depth.
func Arguments(args map[string]any) map[string]any {
	if args == nil {
		return nil
	}
	out, _ := value(args).(map[string]any)
	return out
}

func value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if SecretKey(k) {
				out[k] = Mask
				continue
			}
			out[k] = value(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = value(e)
		}
		return out
	case string:
		return Known.String(x)
	}
	return v
}

// Secrets is a set of known secret values; String masks each occurrence. The zero value is ready to use.
type Secrets struct {
	mu     sync.RWMutex
	values map[string]bool
}

// Known holds every secret value this process has resolved.
var Known = &Secrets{}

// Add registers secret values; values shorter than 6 characters are ignored (masking them would garble text).
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[string]bool{}
	}
	for _, v := range values {
		if len(v) >= 6 {
			s.values[v] = true
		}
	}
}

// String masks every known secret in text.
func (s *Secrets) String(text string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Mask)
		}
	}
	return text
}
