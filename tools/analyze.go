package tools

// This file is the text analysis of search: splitting text into words (camelCase, snake_case, punctuation, URLs
// and HTML skipped), stop words, and the Porter2 stems that the index stores.

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// splitWords calls emit with each word of text, lower-cased, in order. Words are runs of letters and digits, split
// further at camelCase boundaries ("postMessage" → post, message; "HTTPServer" → http, server; "IDs" stays one
// word). When clean is true, URLs, HTML tags and character entities are skipped. emit must not keep w: the buffer
// is reused.
func splitWords(text string, clean bool, emit func(w []byte)) {
	splitWordsCase(text, clean, func(w []byte, _ bool) { emit(w) })
}

// splitWordsCase is splitWords that also says whether each word was written in title case: an upper-case letter
// at the start of a token followed by lower-case letters ("Premium", "Maria"; not "PDF", "iPhone" or the "Hub" of
// "GitHub").
func splitWordsCase(text string, clean bool, emit func(w []byte, title bool)) {
	var buf []byte
	var stack [64]byte
	buf = stack[:0]
	// prevKind is the kind of the previous rune in the current word: 0 none, 1 lower, 2 upper, 3 digit, 4 other letter.
	prevKind := 0
	// title tracks the current word: 1 it started upper-case at a token start, 2 and continued lower-case, 0 no.
	title, tokenStart := 0, true
	flush := func() {
		if len(buf) > 0 {
			emit(buf, title == 2)
			buf = buf[:0]
		}
		prevKind = 0
		title, tokenStart = 0, true
	}
	for i := 0; i < len(text); {
		c := text[i]
		if clean {
			switch {
			case c == '<' && i+1 < len(text) && (isASCIILetter(text[i+1]) || text[i+1] == '/' || text[i+1] == '!'):
				if j := strings.IndexByte(text[i:], '>'); j > 0 && j < 400 {
					flush()
					i += j + 1
					continue
				}
			case c == '&':
				if j := strings.IndexByte(text[i:min(len(text), i+10)], ';'); j > 1 {
					flush()
					i += j + 1
					continue
				}
			case (c == 'h' || c == 'H') && prevKind == 0 && hasURLScheme(text[i:]):
				flush()
				for i < len(text) && !isSpaceOrClose(text[i]) {
					i++
				}
				continue
			}
		}
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		kind := runeKind(r)
		if kind == 0 {
			flush()
			i += size
			continue
		}
		if kind == 2 && len(buf) > 0 {
			// An upper-case letter starts a word after a lower-case letter or a digit, and inside an upper-case run
			// when a lower-case letter follows ("HTTPServer"), unless that is a plural s ("IDs", "URLs").
			split := prevKind == 1 || prevKind == 3
			if prevKind == 2 && i+size < len(text) {
				next := text[i+size]
				if next >= 'a' && next <= 'z' {
					split = !(next == 's' && (i+size+1 == len(text) || !isASCIILower(text[i+size+1])))
				}
			}
			if split {
				emit(buf, title == 2)
				buf = buf[:0]
				title = 0
			}
		}
		switch {
		case len(buf) == 0:
			title = 0
			if kind == 2 && tokenStart {
				title = 1
			}
			tokenStart = false
		case title == 1 && kind == 1:
			title = 2
		case title == 2 && kind != 1:
			title = 0
		case title == 1 && kind != 1:
			title = 0
		}
		if r < utf8.RuneSelf {
			if kind == 2 {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
		} else {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		}
		prevKind = kind
		i += size
	}
	flush()
}

func runeKind(r rune) int {
	switch {
	case r >= 'a' && r <= 'z':
		return 1
	case r >= 'A' && r <= 'Z':
		return 2
	case r >= '0' && r <= '9':
		return 3
	case r < utf8.RuneSelf:
		return 0
	case unicode.IsUpper(r):
		return 2
	case unicode.IsLetter(r):
		return 4
	case unicode.IsDigit(r):
		return 3
	}
	return 0
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isASCIILower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isSpaceOrClose(c byte) bool {
	switch c {
	case ' ', '\n', '\t', '\r', ')', ']', '>', '"', '\'', '`', '<':
		return true
	}
	return false
}

func hasURLScheme(s string) bool {
	if len(s) < 8 {
		return false
	}
	p := strings.ToLower(s[:8])
	return strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://")
}

// stopwords are English function words and the filler of requests ("please", "want"); they never become terms.
var stopwords = setOf(`a about above after again against am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just let ll me more most my myself no nor not
now of off on once only or other our ours ourselves out over own please re s same she should so some such t than
that the their theirs them themselves then there these they this those through to too under until up very ve was
we were what when where which while who whom why will with would you your yours yourself yourselves d m o y want
wants need needs like also via using use e g eg ie etc`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// isNoise reports whether a lower-cased word carries no meaning for search: stop words, single characters and
// plain numbers ("issue 71").
func isNoise(w []byte) bool {
	if len(w) < 2 {
		return true
	}
	digits := true
	for _, c := range w {
		if c < '0' || c > '9' {
			digits = false
			break
		}
	}
	return digits || stopwords[string(w)]
}

// stemmer caches stems; it is not safe for concurrent use.
type stemmer map[string]string

func (s stemmer) stem(w []byte) string {
	if st, ok := s[string(w)]; ok {
		return st
	}
	word := string(w)
	st := Stem(word)
	s[word] = st
	return st
}

// analyzeInto appends the stems of text's meaningful words to out.
func analyzeInto(out []string, text string, clean bool, st stemmer) []string {
	splitWords(text, clean, func(w []byte) {
		if !isNoise(w) {
			out = append(out, st.stem(w))
		}
	})
	return out
}

// Tokenize lower-cases text, splits it into words at non-alphanumerics and camelCase boundaries, drops stop words
// and reduces plurals ("Lists the repositories" → list, repository). It is the light normalisation used to compare
// names; the search index applies the full analysis (Porter2 stems, synonyms) on top of the same word splitting.
func Tokenize(text string) []string {
	var out []string
	splitWords(text, false, func(w []byte) {
		if len(w) > 0 && !stopwords[string(w)] {
			out = append(out, singular(string(w)))
		}
	})
	return out
}

// singular strips common English plural endings.
func singular(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "ses"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
}
