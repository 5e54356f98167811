package stages

import (
	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/ingest"
)

// DecodeColumns and DecodeRawRead read the ColumnParams and raw-file
// parameters one by one, for the components not yet decoding their
// parameters into a struct (score, collect: ScoreParams, CollectParams).
// The others take ColumnFields and RawReadFields.

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
	var f RawReadFields
	if err := f.Format.UnmarshalText([]byte(env.String("format"))); err != nil {
		return ingest.ReadOptions{}, c.Usagef("--format: %w", err)
	}
	if err := f.LabelMap.UnmarshalText([]byte(env.String("label-map"))); err != nil {
		return ingest.ReadOptions{}, c.Usagef("--label-map: %w", err)
	}
	ro := f.ReadOptions()
	ro.Columns = DecodeColumns(env)
	return ro, nil
}
