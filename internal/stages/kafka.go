package stages

import (
	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/kafka"
	"github.com/tweetflow/tweetflow/internal/scoring"
)

// DecodeKafka reads the KafkaParams of a component (their env fallbacks
// are TWEETFLOW_KAFKA_BROKERS, ...) and the SASL/TLS settings, which come
// from the environment only, through lookup (the composition root passes
// os.LookupEnv). topics is nil when Kafka is not used. The client id is
// tweetflow-<component>.
func DecodeKafka(env *c.Env, lookup func(string) (string, bool)) (kafka.Config, []string, error) {
	brokers, topics := env.Strings("kafka-brokers"), env.Strings("kafka-topics")
	if len(topics) == 0 {
		if len(brokers) > 0 {
			return kafka.Config{}, nil, c.Usagef("--kafka-brokers without --kafka-topics: name the topics to consume")
		}
		return kafka.Config{}, nil, nil
	}
	if len(brokers) == 0 {
		return kafka.Config{}, nil, c.Usagef("--kafka-topics without --kafka-brokers: give the bootstrap brokers (host:port)")
	}
	sec, err := kafka.Security(lookup)
	if err != nil {
		return kafka.Config{}, nil, c.Usagef("Kafka security settings: %w", err)
	}
	return kafka.Config{Brokers: brokers, ClientID: "tweetflow-" + env.Contract.Name, Security: sec}, topics, nil
}

// KafkaOptions builds the consumer options of a component from its
// KafkaParams, batch-size and flush-interval, logging dead letters,
// failed commits and rebalances through env; it records the topics and
// group in the summary. dead may be nil.
func KafkaOptions(env *c.Env, cfg kafka.Config, topics []string, dead *scoring.DeadLetterSink) (scoring.KafkaOptions, error) {
	copts, err := cfg.Opts()
	if err != nil {
		return scoring.KafkaOptions{}, c.Usagef("--kafka-brokers: %w", err)
	}
	group := env.String("kafka-group")
	env.SetExtra("kafka_topics", topics)
	env.SetExtra("kafka_group", group)
	env.Log.Info("consuming Kafka", "brokers", cfg.Brokers, "topics", topics, "group", group, "start", env.String("kafka-start"))
	return scoring.KafkaOptions{
		Client:          copts,
		Topics:          topics,
		Group:           group,
		Earliest:        env.String("kafka-start") != "latest",
		BatchSize:       env.Int("batch-size"),
		FlushInterval:   env.Duration("flush-interval"),
		MaxMessageBytes: env.Int("kafka-max-message-bytes"),
		SessionTimeout:  env.Duration("kafka-session-timeout"),
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
