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
	return DecodeRawReadFrom(env, "format", "label-map")
}

// DecodeRawReadFrom is DecodeRawRead for a contract whose format and label
// map parameters have other names (label's golden-format and
// golden-label-map).
func DecodeRawReadFrom(env *c.Env, formatParam, labelMapParam string) (ingest.ReadOptions, error) {
	format, err := ingest.ParseFormat(env.String(formatParam))
	if err != nil {
		return ingest.ReadOptions{}, c.Usagef("--%s: %w", formatParam, err)
	}
	var lm *ingest.LabelMap
	if spec := env.String(labelMapParam); spec != "" {
		if lm, err = ingest.ParseLabelMap(spec); err != nil {
			return ingest.ReadOptions{}, c.Usagef("--%s: %w", labelMapParam, err)
		}
	}
	return ingest.ReadOptions{Format: format, LabelMap: lm, Columns: DecodeColumns(env)}, nil
}
