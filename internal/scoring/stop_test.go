package scoring

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestStoppedCleanly(t *testing.T) {
	sig := errors.New("terminated signal received")
	stopped, cancel := context.WithCancelCause(context.Background())
	cancel(sig)
	live := context.Background()
	storeErr := errors.New("writing to PostgreSQL: connection refused")
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"stopped, no error", stopped, nil, true},
		{"stopped, the cause wrapped", stopped, fmt.Errorf("consuming from Kafka: %w", sig), true},
		{"stopped, context.Canceled joined twice", stopped, errors.Join(fmt.Errorf("a: %w", context.Canceled), context.Canceled), true},
		{"stopped, a store failure joined", stopped, errors.Join(fmt.Errorf("consuming: %w", sig), storeErr), false},
		{"stopped, a failure wrapping a join", stopped, fmt.Errorf("model server: %w", errors.Join(sig, storeErr)), false},
		{"stopped, only a failure", stopped, storeErr, false},
		{"running, a cancellation", live, context.Canceled, false},
		{"running, no error", live, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StoppedCleanly(tt.ctx, tt.err); got != tt.want {
				t.Errorf("StoppedCleanly(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
