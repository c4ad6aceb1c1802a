package store

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestImportedToolkits(t *testing.T) {
	db, clk := openTest(t)
	ctx := t.Context()

	if got, err := db.ImportedToolkits(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ImportedToolkits on a new store = %v, %v; want none", got, err)
	}
	pet := ImportedToolkit{Slug: "petstore", Kind: KindOpenAPI, SpecFile: "specs/petstore.json", BaseURL: "http://127.0.0.1:4010"}
	gh := ImportedToolkit{Slug: "github", Kind: KindOpenAPI, SpecFile: "specs/github.json", ReplaceBuiltin: true}
	if err := db.PutImportedToolkit(ctx, pet); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)
	if err := db.PutImportedToolkit(ctx, gh); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)
	// Replacing keeps CreatedAt and takes every other field from the new value.
	pet2 := pet
	pet2.SpecFile, pet2.BaseURL, pet2.ReplaceBuiltin = "specs/petstore-v2.yaml", "", true
	pet2.CreatedAt = epoch.Add(-time.Hour) // ignored: the store sets times
	if err := db.PutImportedToolkit(ctx, pet2); err != nil {
		t.Fatal(err)
	}

	got, err := db.ImportedToolkits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantGH := gh
	wantGH.CreatedAt, wantGH.UpdatedAt = epoch.Add(time.Minute), epoch.Add(time.Minute)
	wantPet := pet2
	wantPet.CreatedAt, wantPet.UpdatedAt = epoch, epoch.Add(2*time.Minute)
	if diff := cmp.Diff([]ImportedToolkit{wantGH, wantPet}, got); diff != "" {
		t.Errorf("imported toolkits (-want +got):\n%s", diff)
	}

	if err := db.DeleteImportedToolkit(ctx, "github"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteImportedToolkit(ctx, "github"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteImportedToolkit: err = %v, want ErrNotFound", err)
	}
	got, err = db.ImportedToolkits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]ImportedToolkit{wantPet}, got); diff != "" {
		t.Errorf("imported toolkits after delete (-want +got):\n%s", diff)
	}
}

func TestPutImportedToolkitRejects(t *testing.T) {
	db, _ := openTest(t)
	valid := ImportedToolkit{Slug: "petstore", Kind: KindOpenAPI, SpecFile: "p.json"}
	tests := []struct {
		name string
		edit func(*ImportedToolkit)
	}{
		{name: "empty slug", edit: func(tk *ImportedToolkit) { tk.Slug = "" }},
		{name: "unknown kind", edit: func(tk *ImportedToolkit) { tk.Kind = "graphql" }},
		{name: "no spec file", edit: func(tk *ImportedToolkit) { tk.SpecFile = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := valid
			tt.edit(&tk)
			if err := db.PutImportedToolkit(t.Context(), tk); err == nil {
				t.Error("PutImportedToolkit succeeded, want an error")
			}
		})
	}
}
