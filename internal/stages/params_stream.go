package stages

import "time"

// The typed parameters of the stream stages (score, collect).

// KafkaFields are the KafkaParams: a Kafka source.
type KafkaFields struct {
	KafkaBrokers         []string      `param:"kafka-brokers"`
	KafkaTopics          []string      `param:"kafka-topics"`
	KafkaGroup           string        `param:"kafka-group"`
	KafkaStart           string        `param:"kafka-start"`
	KafkaMaxMessageBytes int           `param:"kafka-max-message-bytes"`
	KafkaSessionTimeout  time.Duration `param:"kafka-session-timeout"`
}

// ScoreParams are score's parameters.
type ScoreParams struct {
	Format             Format        `param:"format"`
	BatchSize          int           `param:"batch-size"`
	PostgresDSN        string        `param:"postgres-dsn"`
	FlushInterval      time.Duration `param:"flush-interval"`
	Table              string        `param:"table"`
	TablePrefix        string        `param:"table-prefix"`
	TableVersion       int           `param:"table-version"`
	MaxBadRows         int           `param:"max-bad-rows"`
	DeadLetterTable    string        `param:"dead-letter-table"`
	PredictURL         string        `param:"predict-url"`
	PredictConcurrency int           `param:"predict-concurrency"`
	PredictRetryBudget time.Duration `param:"predict-retry-budget"`
	PredictTimeout     time.Duration `param:"predict-timeout"`
	ShardRows          int           `param:"shard-rows"`
	KafkaFields
	ColumnFields
}

// CollectParams are collect's parameters.
type CollectParams struct {
	PostgresDSN     string        `param:"postgres-dsn"`
	TablePrefix     string        `param:"table-prefix"`
	TableVersion    int           `param:"table-version"`
	BatchSize       int           `param:"batch-size"`
	FlushInterval   time.Duration `param:"flush-interval"`
	DeadLetterTable string        `param:"dead-letter-table"`
	RawReadFields
	MaxBadRows int `param:"max-bad-rows"`
	KafkaFields
}
