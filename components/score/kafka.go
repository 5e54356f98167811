package main

import (
	"context"
	"errors"
	"os"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/kafka"
	"github.com/tweetflow/tweetflow/internal/scoring"
)

// kafkaSettings reads the Kafka flags (their env fallbacks are
// TWEETFLOW_KAFKA_BROKERS, ...) and the SASL/TLS settings, which come from
// the environment only. topics is nil when Kafka is not used.
func kafkaSettings(env *component.Env) (kafka.Config, []string, error) {
	brokers, topics := env.Strings("kafka-brokers"), env.Strings("kafka-topics")
	if len(topics) == 0 {
		if len(brokers) > 0 {
			return kafka.Config{}, nil, component.Usagef("--kafka-brokers without --kafka-topics: name the topics to consume")
		}
		return kafka.Config{}, nil, nil
	}
	if len(brokers) == 0 {
		return kafka.Config{}, nil, component.Usagef("--kafka-topics without --kafka-brokers: give the bootstrap brokers (host:port)")
	}
	sec, err := kafka.Security(os.LookupEnv)
	if err != nil {
		return kafka.Config{}, nil, component.Usagef("Kafka security settings: %w", err)
	}
	return kafka.Config{Brokers: brokers, ClientID: "tweetflow-score", Security: sec}, topics, nil
}

// consumeKafka runs the consumer until ctx is done (SIGTERM).
func consumeKafka(ctx context.Context, env *component.Env, p *scoring.Pipeline, cfg kafka.Config, topics []string, dead *scoring.DeadLetterSink) (scoring.KafkaStats, error) {
	copts, err := cfg.Opts()
	if err != nil {
		return scoring.KafkaStats{}, component.Usagef("--kafka-brokers: %w", err)
	}
	group := env.String("kafka-group")
	env.SetExtra("kafka_topics", topics)
	env.SetExtra("kafka_group", group)
	env.Log.Info("consuming Kafka", "brokers", cfg.Brokers, "topics", topics, "group", group, "start", env.String("kafka-start"))
	st, err := scoring.ConsumeKafka(ctx, p, scoring.KafkaOptions{
		Client:          copts,
		Topics:          topics,
		Group:           group,
		Earliest:        env.String("kafka-start") != "latest",
		BatchSize:       env.Int("batch-size"),
		FlushInterval:   flushInterval(env),
		MaxMessageBytes: env.Int("kafka-max-message-bytes"),
		DeadLetters:     dead,
		OnDeadLetter: func(d scoring.DeadLetter) {
			env.Log.Warn("dead letter", "topic", d.Source, "partition", d.Partition, "offset", d.Position, "bytes", d.RawSize, "reason", d.Reason)
		},
		OnCommit: func(offsets map[string]map[int32]int64, err error) {
			if err != nil {
				env.Log.Warn("committing Kafka offsets (the records will be delivered again; the upsert makes that harmless)", "error", err)
			}
		},
		OnAssigned: func(m map[string][]int32) { env.Log.Info("partitions assigned", "partitions", m) },
		OnRevoked:  func(m map[string][]int32) { env.Log.Info("partitions revoked", "partitions", m) },
	})
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		env.Log.Info("stopped: the batch in hand was stored and its offsets committed")
	}
	return st, err
}
