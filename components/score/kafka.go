package main

import (
	"context"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/kafka"
	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// kafkaSettings reads the Kafka flags and the SASL/TLS settings (the
// contract's environment-only settings); topics is nil when Kafka is not
// used.
func kafkaSettings(env *component.Env, k stages.KafkaFields) (kafka.Config, []string, error) {
	return k.Config(env.Contract.Name, env.SettingEnv())
}

// consumeKafka runs the consumer until ctx is done (SIGTERM).
func consumeKafka(ctx context.Context, env *component.Env, sp stages.ScoreParams, p *scoring.Pipeline, cfg kafka.Config, topics []string, dead *scoring.DeadLetterSink) (scoring.KafkaStats, error) {
	opts, err := sp.KafkaFields.Options(env, cfg, topics, sp.BatchSize, sp.FlushInterval, dead)
	if err != nil {
		return scoring.KafkaStats{}, err
	}
	sinceStop, release := scoring.StopClock(ctx)
	defer release()
	st, err := scoring.ConsumeKafka(ctx, p, opts)
	if scoring.StoppedCleanly(ctx, err) {
		// SIGTERM: the batch in flight was stored (PostgreSQL first),
		// its dead letters too, then its offsets committed: a graceful
		// stop is the normal end of a consumer (exit 0).
		env.Log.Info("stopped on signal: the batch in flight was stored and its Kafka offsets committed",
			"records", st.Records, "offset_commits", st.Commits, "stop_seconds", sinceStop().Seconds())
		env.Stopped()
		return st, nil
	}
	return st, err
}
