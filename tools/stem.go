package tools

// This file is the Porter2 ("English Snowball") stemmer, written from the algorithm's published description
// (snowballstem.org/algorithms/english/stemmer.html). It works on lower-case ASCII words; anything else is returned
// unchanged. stem_test.go checks it against the Snowball project's sample vocabulary.

import "strings"

// Stem returns the Porter2 stem of a lower-case English word: "repositories" → "repositori", "created" → "creat";
// except that the words of overStemmed keep a stem of their own.
func Stem(word string) string {
	if s, ok := overStemmed[word]; ok {
		return s
	}
	return porter2(word)
}

// overStemmed are words Porter2 reduces to the stem of a different word family that is common in API documents,
// which would make one match the other: a customer is not a custom (field), something important is not an import,
// several things are not a severity, a business is not busy. Each keeps a stem no other word has.
var overStemmed = map[string]string{
	"customer": "customer", "customers": "customer",
	"important": "important", "importance": "important", "importantly": "important",
	"several":  "several",
	"business": "business", "businesses": "business",
}

// porter2 is the Porter2 algorithm itself.
func porter2(word string) string {
	if len(word) <= 2 {
		return word
	}
	for i := 0; i < len(word); i++ {
		c := word[i]
		if (c < 'a' || c > 'z') && c != '\'' {
			return word
		}
	}
	if s, ok := stemExceptions[word]; ok {
		return s
	}
	w := step0([]byte(strings.TrimLeft(word, "'")))
	if len(w) <= 2 {
		return string(w)
	}
	// Y marks a consonant y: at the start of the word or after a vowel.
	for i := range w {
		if w[i] == 'y' && (i == 0 || isVowel(w[i-1])) {
			w[i] = 'Y'
		}
	}
	r1, r2 := regions(w)
	w = step1a(w)
	if len(w) <= 2 {
		return unY(w)
	}
	if _, ok := stemInvariant[string(w)]; ok {
		return unY(w)
	}
	w = step1b(w, r1)
	w = step1c(w)
	w = step2(w, r1)
	w = step3(w, r1, r2)
	w = step4(w, r2)
	w = step5(w, r1, r2)
	return unY(w)
}

var stemExceptions = map[string]string{
	"skis": "ski", "skies": "sky", "sky": "sky", "idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli",
	"only": "onli", "singly": "singl", "dying": "die", "lying": "lie", "tying": "tie", "news": "news", "howe": "howe",
	"atlas": "atlas", "cosmos": "cosmos", "bias": "bias", "andes": "andes",
}

// stemInvariant are the words left alone after step 1a.
var stemInvariant = map[string]struct{}{
	"inning": {}, "outing": {}, "canning": {}, "herring": {}, "earring": {}, "proceed": {}, "exceed": {}, "succeed": {},
}

func unY(w []byte) string {
	for i := range w {
		if w[i] == 'Y' {
			w[i] = 'y'
		}
	}
	return string(w)
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// regions returns the starts of R1 and R2.
func regions(w []byte) (r1, r2 int) {
	r1 = len(w)
	switch {
	case hasPrefix(w, "gener"), hasPrefix(w, "arsen"):
		r1 = 5
	case hasPrefix(w, "commun"):
		r1 = 6
	default:
		r1 = afterVowelConsonant(w, 0)
	}
	return r1, afterVowelConsonant(w, r1)
}

// afterVowelConsonant returns the index after the first non-vowel that follows a vowel at or after from.
func afterVowelConsonant(w []byte, from int) int {
	for i := from + 1; i < len(w); i++ {
		if !isVowel(w[i]) && isVowel(w[i-1]) {
			return i + 1
		}
	}
	return len(w)
}

func hasPrefix(w []byte, p string) bool { return len(w) >= len(p) && string(w[:len(p)]) == p }
func hasSuffix(w []byte, s string) bool { return len(w) >= len(s) && string(w[len(w)-len(s):]) == s }

// shortSyllableAt reports whether the word ends, at index end (exclusive), in a short syllable.
func endsShortSyllable(w []byte) bool {
	n := len(w)
	if n == 2 {
		return isVowel(w[0]) && !isVowel(w[1])
	}
	if n < 3 {
		return false
	}
	c := w[n-1]
	return !isVowel(w[n-3]) && isVowel(w[n-2]) && !isVowel(c) && c != 'w' && c != 'x' && c != 'Y'
}

func step0(w []byte) []byte {
	for _, s := range []string{"'s'", "'s", "'"} {
		if hasSuffix(w, s) {
			return w[:len(w)-len(s)]
		}
	}
	return w
}

func step1a(w []byte) []byte {
	switch {
	case hasSuffix(w, "sses"):
		return w[:len(w)-2]
	case hasSuffix(w, "ied"), hasSuffix(w, "ies"):
		if len(w) > 4 {
			return w[:len(w)-2]
		}
		return w[:len(w)-1]
	case hasSuffix(w, "us"), hasSuffix(w, "ss"):
		return w
	case hasSuffix(w, "s"):
		// Delete if a vowel occurs before the letter preceding the s.
		for i := 0; i < len(w)-2; i++ {
			if isVowel(w[i]) {
				return w[:len(w)-1]
			}
		}
	}
	return w
}

func step1b(w []byte, r1 int) []byte {
	for _, s := range []string{"eedly", "eed"} {
		if hasSuffix(w, s) {
			if len(w)-len(s) >= r1 {
				return append(w[:len(w)-len(s)], "ee"...)
			}
			return w
		}
	}
	for _, s := range []string{"ingly", "edly", "ing", "ed"} {
		if !hasSuffix(w, s) {
			continue
		}
		stem := w[:len(w)-len(s)]
		vowel := false
		for _, c := range stem {
			if isVowel(c) {
				vowel = true
				break
			}
		}
		if !vowel {
			return w
		}
		switch {
		case hasSuffix(stem, "at"), hasSuffix(stem, "bl"), hasSuffix(stem, "iz"):
			return append(stem, 'e')
		case len(stem) >= 2 && stem[len(stem)-1] == stem[len(stem)-2] && strings.IndexByte("bdfgmnprt", stem[len(stem)-1]) >= 0:
			return stem[:len(stem)-1]
		case r1 >= len(stem) && endsShortSyllable(stem):
			return append(stem, 'e')
		}
		return stem
	}
	return w
}

func step1c(w []byte) []byte {
	n := len(w)
	if n > 2 && (w[n-1] == 'y' || w[n-1] == 'Y') && !isVowel(w[n-2]) {
		w[n-1] = 'i'
	}
	return w
}

var step2Rules = []struct{ suffix, repl string }{
	{"ization", "ize"}, {"ational", "ate"}, {"fulness", "ful"}, {"ousness", "ous"}, {"iveness", "ive"},
	{"tional", "tion"}, {"biliti", "ble"}, {"lessli", "less"}, {"entli", "ent"}, {"ation", "ate"}, {"alism", "al"},
	{"aliti", "al"}, {"ousli", "ous"}, {"iviti", "ive"}, {"fulli", "ful"}, {"enci", "ence"}, {"anci", "ance"},
	{"abli", "able"}, {"izer", "ize"}, {"ator", "ate"}, {"alli", "al"}, {"bli", "ble"}, {"ogi", "og"}, {"li", ""},
}

func step2(w []byte, r1 int) []byte {
	for _, r := range step2Rules {
		if !hasSuffix(w, r.suffix) {
			continue
		}
		stem := w[:len(w)-len(r.suffix)]
		if len(stem) < r1 {
			return w
		}
		switch r.suffix {
		case "ogi":
			if !hasSuffix(stem, "l") {
				return w
			}
		case "li":
			if len(stem) == 0 || strings.IndexByte("cdeghkmnrt", stem[len(stem)-1]) < 0 {
				return w
			}
		}
		return append(stem, r.repl...)
	}
	return w
}

var step3Rules = []struct{ suffix, repl string }{
	{"ational", "ate"}, {"tional", "tion"}, {"alize", "al"}, {"icate", "ic"}, {"iciti", "ic"}, {"ative", ""},
	{"ical", "ic"}, {"ness", ""}, {"ful", ""},
}

func step3(w []byte, r1, r2 int) []byte {
	for _, r := range step3Rules {
		if !hasSuffix(w, r.suffix) {
			continue
		}
		stem := w[:len(w)-len(r.suffix)]
		if len(stem) < r1 || (r.suffix == "ative" && len(stem) < r2) {
			return w
		}
		return append(stem, r.repl...)
	}
	return w
}

var step4Suffixes = []string{
	"ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion",
	"al", "er", "ic",
}

func step4(w []byte, r2 int) []byte {
	// The longest matching suffix decides.
	best := ""
	for _, s := range step4Suffixes {
		if hasSuffix(w, s) && len(s) > len(best) {
			best = s
		}
	}
	if best == "" {
		return w
	}
	stem := w[:len(w)-len(best)]
	if len(stem) < r2 {
		return w
	}
	if best == "ion" && !hasSuffix(stem, "s") && !hasSuffix(stem, "t") {
		return w
	}
	return stem
}

func step5(w []byte, r1, r2 int) []byte {
	n := len(w)
	switch {
	case n > 0 && w[n-1] == 'e':
		stem := w[:n-1]
		if len(stem) >= r2 || (len(stem) >= r1 && !endsShortSyllable(stem)) {
			return stem
		}
	case n > 1 && w[n-1] == 'l' && w[n-2] == 'l' && n-1 >= r2:
		return w[:n-1]
	}
	return w
}
