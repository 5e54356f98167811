package main

import (
	"context"
	"errors"
	"os"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/kafka"
	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// kafkaSettings reads the Kafka flags and the SASL/TLS settings (from
// the environment only); topics is nil when Kafka is not used.
func kafkaSettings(env *component.Env) (kafka.Config, []string, error) {
	return stages.DecodeKafka(env, os.LookupEnv)
}

// consumeKafka runs the consumer until ctx is done (SIGTERM).
func consumeKafka(ctx context.Context, env *component.Env, p *scoring.Pipeline, cfg kafka.Config, topics []string, dead *scoring.DeadLetterSink) (scoring.KafkaStats, error) {
	opts, err := stages.KafkaOptions(env, cfg, topics, dead)
	if err != nil {
		return scoring.KafkaStats{}, err
	}
	st, err := scoring.ConsumeKafka(ctx, p, opts)
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		env.Log.Info("stopped: the batch in hand was stored and its offsets committed")
	}
	return st, err
}
