package stages

import (
	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/ingest"
)

// DecodeColumns reads the ColumnParams of a component that declares them.
func DecodeColumns(env *c.Env) ingest.Columns {
	return ingest.Columns{
		Text:  env.String("text-column"),
		Label: env.String("label-column"),
		ID:    env.String("id-column"),
		Time:  env.String("time-column"),
		User:  env.String("user-column"),
	}
}

// DecodeRawRead reads how a component reads raw files: --format,
// --label-map (empty: the format's default) and the ColumnParams, for a
// contract that declares all three. Bad values are usage errors naming the
// flag.
func DecodeRawRead(env *c.Env) (ingest.ReadOptions, error) {
	format, err := ingest.ParseFormat(env.String("format"))
	if err != nil {
		return ingest.ReadOptions{}, c.Usagef("--format: %w", err)
	}
	var lm *ingest.LabelMap
	if spec := env.String("label-map"); spec != "" {
		if lm, err = ingest.ParseLabelMap(spec); err != nil {
			return ingest.ReadOptions{}, c.Usagef("--label-map: %w", err)
		}
	}
	return ingest.ReadOptions{Format: format, LabelMap: lm, Columns: DecodeColumns(env)}, nil
}
