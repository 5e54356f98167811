package stages

import (
	"time"

	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/kafka"
	"github.com/tweetflow/tweetflow/internal/scoring"
)

// Config checks the Kafka source parameters and returns the client
// configuration, with the SASL/TLS settings (KafkaSecurity, environment
// only) read through lookup: the component passes Env.SettingEnv. topics
// is nil when Kafka is not used. The client id is tweetflow-<component>.
func (k KafkaFields) Config(component string, lookup func(string) (string, bool)) (kafka.Config, []string, error) {
	if len(k.KafkaTopics) == 0 {
		if len(k.KafkaBrokers) > 0 {
			return kafka.Config{}, nil, c.Usagef("--kafka-brokers without --kafka-topics: name the topics to consume")
		}
		return kafka.Config{}, nil, nil
	}
	if len(k.KafkaBrokers) == 0 {
		return kafka.Config{}, nil, c.Usagef("--kafka-topics without --kafka-brokers: give the bootstrap brokers (host:port)")
	}
	sec, err := kafka.Security(lookup)
	if err != nil {
		return kafka.Config{}, nil, c.Usagef("Kafka security settings: %w", err)
	}
	return kafka.Config{Brokers: k.KafkaBrokers, ClientID: "tweetflow-" + component, Security: sec}, k.KafkaTopics, nil
}

// Options builds the consumer options of a component from its Kafka
// parameters and its batch size and flush interval, logging dead letters,
// failed commits and rebalances through env; it records the topics and
// group in the summary. dead may be nil.
func (k KafkaFields) Options(env *c.Env, cfg kafka.Config, topics []string, batchSize int, flush time.Duration, dead *scoring.DeadLetterSink) (scoring.KafkaOptions, error) {
	copts, err := cfg.Opts()
	if err != nil {
		return scoring.KafkaOptions{}, c.Usagef("--kafka-brokers: %w", err)
	}
	env.SetExtra("kafka_topics", topics)
	env.SetExtra("kafka_group", k.KafkaGroup)
	env.Log.Info("consuming Kafka", "brokers", cfg.Brokers, "topics", topics, "group", k.KafkaGroup, "start", k.KafkaStart)
	return scoring.KafkaOptions{
		Client:          copts,
		Topics:          topics,
		Group:           k.KafkaGroup,
		Earliest:        k.KafkaStart != "latest",
		BatchSize:       batchSize,
		FlushInterval:   flush,
		MaxMessageBytes: k.KafkaMaxMessageBytes,
		SessionTimeout:  k.KafkaSessionTimeout,
		DeadLetters:     dead,
		OnDeadLetter: func(d scoring.DeadLetter) {
			env.Log.Warn("dead letter", "topic", d.Source, "partition", d.Partition, "offset", d.Position, "bytes", d.RawSize, "reason", d.Reason)
		},
		OnCommit: func(offsets map[string]map[int32]int64, err error) {
			if err != nil {
				env.Log.Warn("committing Kafka offsets (the records will be delivered again; storing them is idempotent)", "error", err)
			}
		},
		OnAssigned: func(m map[string][]int32) { env.Log.Info("partitions assigned", "partitions", m) },
		OnRevoked:  func(m map[string][]int32) { env.Log.Info("partitions revoked", "partitions", m) },
	}, nil
}
