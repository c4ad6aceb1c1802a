package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// wordNet is what genemb reads of WordNet 3.0: for each word, the words of the synsets it is in and of the
// synsets those point to by the relations that keep a meaning close (hypernym, hyponym, similar to, also see,
// verb group, derivation).
type wordNet struct {
	synsets map[string][]string // "pos:offset" → words
	links   map[string][]string // "pos:offset" → related synsets
	senses  map[string][]string // word → its synsets
}

// related returns the words WordNet relates to w.
func (wn *wordNet) related(w string) map[string]bool {
	out := map[string]bool{}
	for _, s := range wn.senses[w] {
		for _, x := range wn.synsets[s] {
			out[x] = true
		}
		for _, l := range wn.links[s] {
			for _, x := range wn.synsets[l] {
				out[x] = true
			}
		}
	}
	return out
}

// closePointers are the pointer symbols of the relations related follows.
var closePointers = map[string]bool{"@": true, "@i": true, "~": true, "~i": true, "&": true, "^": true, "$": true, "+": true}

func loadWordNet(dir string) (*wordNet, error) {
	wn := &wordNet{synsets: map[string][]string{}, links: map[string][]string{}, senses: map[string][]string{}}
	for _, name := range []string{"noun", "verb", "adj", "adv"} {
		f, err := os.Open(filepath.Join(dir, "data."+name))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "  ") {
				continue
			}
			if i := strings.Index(line, " | "); i > 0 {
				line = line[:i]
			}
			fl := strings.Fields(line)
			if len(fl) < 5 {
				continue
			}
			pos := fl[2]
			if pos == "s" {
				pos = "a"
			}
			id := pos + ":" + fl[0]
			n, err := strconv.ParseInt(fl[3], 16, 32)
			if err != nil || 4+2*int(n) >= len(fl) {
				continue
			}
			for i := 0; i < int(n); i++ {
				w := strings.ToLower(fl[4+2*i])
				if j := strings.IndexByte(w, '('); j > 0 {
					w = w[:j]
				}
				if strings.Contains(w, "_") {
					continue
				}
				wn.synsets[id] = append(wn.synsets[id], w)
				wn.senses[w] = append(wn.senses[w], id)
			}
			at := 4 + 2*int(n)
			pc, err := strconv.Atoi(fl[at])
			if err != nil {
				continue
			}
			for i := 0; i < pc && at+4+4*i < len(fl); i++ {
				sym, off, tpos := fl[at+1+4*i], fl[at+2+4*i], fl[at+3+4*i]
				if tpos == "s" {
					tpos = "a"
				}
				if closePointers[sym] {
					wn.links[id] = append(wn.links[id], tpos+":"+off)
				}
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return wn, nil
}
