package openapi

import (
	"context"
	"os"
	"testing"
)

func BenchmarkZZGitHub(b *testing.B) {
	data, err := os.ReadFile("../../test-tools/node_modules/@octokit/openapi/generated/api.github.com.json")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Import(context.Background(), "github.json", data, Options{Slug: "github"}); err != nil {
			b.Fatal(err)
		}
	}
}
