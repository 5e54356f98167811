package component

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// This file is the composition root of every component: the only place
// of the package that reads the process (environment, arguments, signals).

// Main is all a component's main function calls. The first SIGTERM or
// SIGINT cancels the run's context (a stream finishes and commits the
// batch in flight, a server drains); the signals then get their default
// action back, so a second one ends the process at once.
func Main(c Contract, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, stop restores the default action: a second
	// signal ends the process (exit status 128+signal) without waiting
	// for the graceful stop.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := Run(ctx, c, run, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run parses args with the contract's flags, runs the component and returns
// the exit code. It is Main without the process around it, for tests; the
// settings read the process environment (see RunEnv).
func Run(ctx context.Context, c Contract, run RunFunc, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, c, run, args, os.LookupEnv, stdout, stderr)
}
