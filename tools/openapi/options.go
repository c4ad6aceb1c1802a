package openapi

// Options controls how one OpenAPI document becomes a toolkit.
type Options struct {
	// Slug is the toolkit slug (lower case, [a-z0-9_]); tool slugs are upper(Slug) + "_" + the operation's words.
	Slug string
	// Name and Description override the document's info.title and info.description.
	Name        string
	Description string
	// BaseURL overrides the document's first server URL (or Swagger 2 scheme://host/basePath).
	BaseURL string
	// Include, when not nil, keeps only the operations whose operationId is a key, and applies each override.
	// An operationId listed here but missing from the document is an error.
	Include map[string]Override
	// MaxBytes refuses documents larger than this; 0 means DefaultMaxBytes.
	MaxBytes int64
}

// Override replaces what the document says about one operation; zero fields keep the document's value.
type Override struct {
	// Slug is the tool's full slug ("GITHUB_CREATE_ISSUE"), used instead of the slug rule.
	Slug        string
	Name        string
	Description string
	Important   bool
	Pitfalls    []string
	// ReadOnly and Destructive, when set, replace the annotations derived from the HTTP method (APIs that read
	// with POST, or delete with POST).
	ReadOnly    *bool
	Destructive *bool
}

// DefaultMaxBytes is the largest document Import accepts unless Options.MaxBytes says otherwise.
const DefaultMaxBytes = 64 << 20
