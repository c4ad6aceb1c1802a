package session

import (
	"context"
	"fmt"
	"time"
)

// Close stops the upstream MCP servers of the catalog once it has loaded; a catalog whose load never started has
// none. It waits up to 30 seconds (or ctx) for a load in progress, so an upstream started meanwhile is not orphaned.
func (f *CatalogFuture) Close(ctx context.Context) error {
	if f.start != nil && !f.started.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case <-f.done:
		return f.cat.Close()
	case <-ctx.Done():
		return fmt.Errorf("close catalog: still loading: %w", ctx.Err())
	}
}
