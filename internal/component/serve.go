package component

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ShutdownTimeout bounds the wait for requests in flight when a server
// component is stopped (SIGTERM).
const ShutdownTimeout = 10 * time.Second

// ServeHTTP serves srv on ln until ctx ends (the component's signal), then
// shuts it down gracefully: requests in flight are answered (for at most
// ShutdownTimeout) and the component exits 0 without committing outputs
// (Stopped). A server that fails, or does not finish its requests in time,
// returns the error.
func (e *Env) ServeHTTP(ctx context.Context, srv *http.Server, ln net.Listener) error {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	// Every request in flight was answered: stopping on the signal is the
	// server's normal end.
	e.Stopped()
	e.Log.Info("stopped")
	return nil
}
