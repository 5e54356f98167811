package scoring

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// StoppedCleanly reports whether a stream source (ConsumeKafka, Stream)
// that returned err ended only because ctx was cancelled (SIGTERM or
// SIGINT) after storing and committing what it held: ctx is done and err
// is nil or holds nothing but the cancellation (ctx's error or cause,
// wrapped or joined). A store, dead-letter or commit failure joined to
// the cancellation is not a clean stop. A component turns a clean stop
// into exit 0 (component.Env.Stopped).
func StoppedCleanly(ctx context.Context, err error) bool {
	if ctx.Err() == nil {
		return false
	}
	return err == nil || onlyCancelled(ctx, err)
}

// onlyCancelled reports whether every leaf of err's tree is the
// cancellation of ctx.
func onlyCancelled(ctx context.Context, err error) bool {
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		errs := u.Unwrap()
		for _, e := range errs {
			if e != nil && !onlyCancelled(ctx, e) {
				return false
			}
		}
		return len(errs) > 0
	case interface{ Unwrap() error }:
		inner := u.Unwrap()
		return inner != nil && onlyCancelled(ctx, inner)
	}
	return err == ctx.Err() || err == context.Cause(ctx) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// StopClock starts timing the stop of a stream: since reports the time
// from ctx's cancellation (the signal) to now, 0 while ctx is live, for
// the log line of a graceful stop. Call release when done.
func StopClock(ctx context.Context) (since func() time.Duration, release func()) {
	var at atomic.Int64 // unix nanoseconds
	stop := context.AfterFunc(ctx, func() { at.Store(time.Now().UnixNano()) })
	return func() time.Duration {
		if t := at.Load(); t != 0 {
			return time.Since(time.Unix(0, t))
		}
		return 0
	}, func() { stop() }
}
