package serving

import (
	"bytes"
	"context"
	"fmt"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscan(s, n) }

// writeCommitted writes files as a committed artifact output in dir.
func writeCommitted(dir string, files map[string][]byte) error {
	ctx := context.Background()
	st, err := artifact.NewFS(dir)
	if err != nil {
		return err
	}
	o := artifact.NewOutput(st, "")
	for name, b := range files {
		if err := o.WriteFile(ctx, name, bytes.NewReader(b)); err != nil {
			return err
		}
	}
	_, err = o.Commit(ctx)
	return err
}
