// Command trimspec generates the trimmed OpenAPI document (openapi.json) of every curated toolkit from the full
// upstream document its manifest names, so the binary embeds kilobytes instead of the vendor's megabytes.
//
// For each toolkit directory holding a manifest.toml it reads source.spec (relative to the repository root, a
// pinned npm package under test-tools/node_modules), keeps only the operations the manifest lists and the
// components they reach, puts the manifest's names and descriptions on them, drops examples, external docs, vendor
// extensions and error responses, and writes compact JSON with sorted keys. Output is deterministic, so a test can
// regenerate it and compare. A listed operationId the source does not have is an error naming it. When the manifest
// names source.extra, that supplementary document of ours is merged into the source first (see merge).
//
// go generate runs it from the toolkits directory:
//
//	go run ./internal/trimspec [-dir .] [-out DIR] [toolkit ...]
//
// It depends on toolkits/internal/manifest only.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/toolmux/toolmux/toolkits/internal/manifest"
)

func main() {
	dir := flag.String("dir", ".", "toolkits directory, one subdirectory per toolkit")
	out := flag.String("out", "", "write <out>/<toolkit>/openapi.json instead of into -dir")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: trimspec [-dir DIR] [-out DIR] [toolkit ...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*dir, *out, flag.Args(), os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "trimspec: %v\n", err)
		os.Exit(1)
	}
}

// run generates the trimmed document of each toolkit under dir (only those named in only, when it is not empty)
// and writes it into out, or into dir when out is empty. It reports one line per toolkit to log.
func run(dir, out string, only []string, log io.Writer) error {
	root, err := repoRoot(dir)
	if err != nil {
		return err
	}
	names, err := toolkitDirs(dir)
	if err != nil {
		return err
	}
	for _, name := range only {
		if !slices.Contains(names, name) {
			return fmt.Errorf("no toolkit %q under %s (expected %s/%s/%s)", name, dir, dir, name, manifest.FileName)
		}
	}
	if out == "" {
		out = dir
	}
	for _, name := range names {
		if len(only) > 0 && !slices.Contains(only, name) {
			continue
		}
		data, stats, err := generate(root, filepath.Join(dir, name))
		if errors.Is(err, errGraphQL) {
			fmt.Fprintf(log, "trimspec: %s: GraphQL toolkit, nothing to generate\n", name)
			continue
		}
		if err != nil {
			return fmt.Errorf("toolkit %s: %w", name, err)
		}
		target := filepath.Join(out, name, manifest.SpecFileName)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("toolkit %s: %w", name, err)
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return fmt.Errorf("toolkit %s: write %s: %w", name, target, err)
		}
		fmt.Fprintf(log, "trimspec: %s: %d operations, %d components, %d bytes (source %d bytes)\n",
			target, stats.operations, stats.components, len(data), stats.sourceBytes)
	}
	return nil
}

// errGraphQL is generate's answer for a GraphQL toolkit, which has no document to trim.
var errGraphQL = errors.New("graphql toolkit")

// stats summarises one generated document.
type stats struct {
	operations, components, sourceBytes int
}

// generate reads the toolkit's manifest and source document and returns the trimmed document.
func generate(root, toolkitDir string) ([]byte, stats, error) {
	mfile := filepath.Join(toolkitDir, manifest.FileName)
	raw, err := os.ReadFile(mfile)
	if err != nil {
		return nil, stats{}, fmt.Errorf("read manifest: %w", err)
	}
	m, err := manifest.Parse(mfile, raw)
	if err != nil {
		return nil, stats{}, err
	}
	if base := filepath.Base(toolkitDir); m.Slug != base {
		return nil, stats{}, fmt.Errorf("manifest slug %q differs from its directory %q; rename one", m.Slug, base)
	}
	if m.IsGraphQL() {
		return nil, stats{}, errGraphQL
	}
	src := filepath.Join(root, filepath.FromSlash(m.Source.Spec))
	full, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil, stats{}, fmt.Errorf("source spec %s is missing; run `npm ci` in test-tools to install %s: %w", src, m.Source.Package, err)
	}
	if err != nil {
		return nil, stats{}, fmt.Errorf("read source spec: %w", err)
	}
	doc, err := decode(full)
	if err != nil {
		return nil, stats{}, fmt.Errorf("%s: %w", src, err)
	}
	if m.Source.Extra != "" {
		extraFile := filepath.Join(root, filepath.FromSlash(m.Source.Extra))
		raw, err := os.ReadFile(extraFile)
		if err != nil {
			return nil, stats{}, fmt.Errorf("read source.extra: %w", err)
		}
		extra, err := decode(raw)
		if err == nil {
			err = merge(doc, extra)
		}
		if err != nil {
			return nil, stats{}, fmt.Errorf("%s: %w", extraFile, err)
		}
	}
	trimmed, err := trim(doc, m)
	if err != nil {
		return nil, stats{}, fmt.Errorf("%s: %w", src, err)
	}
	data, err := encode(trimmed)
	if err != nil {
		return nil, stats{}, err
	}
	st := stats{operations: len(m.Tools), sourceBytes: len(full)}
	if c, ok := trimmed["components"].(map[string]any); ok {
		for _, section := range c {
			st.components += len(section.(map[string]any))
		}
	}
	return data, st, nil
}

// toolkitDirs lists the subdirectories of dir that hold a manifest, sorted.
func toolkitDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list toolkits: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), manifest.FileName)); err == nil {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no toolkit directories with a %s under %s; pass -dir pointing at the toolkits directory", manifest.FileName, dir)
	}
	return names, nil
}

// repoRoot finds the directory holding go.mod at or above dir.
func repoRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod at or above %s; run trimspec inside the repository", abs)
		}
	}
}
