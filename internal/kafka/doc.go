// Package kafka holds what tweetflow's Kafka clients share: the connection
// settings (brokers, client id, SASL and TLS) turned into franz-go client
// options, and Replay, which publishes a file of tweets to a topic at a
// given rate (for demos and benchmarks).
//
// Credentials never come from arguments: Security reads SASL and TLS
// settings through a lookup function, so they do not show in process
// lists or in a component's recorded parameters. The variables are listed
// at Security; score and collect declare them as environment-only
// settings of their contracts (stages.KafkaSecurity) and pass the
// harness' Env.SettingEnv, the tweetflow CLI's replay its environment.
//
// The consumer side (consumer group, offsets committed after the batch is
// stored, dead letters) is scoring.ConsumeKafka.
package kafka
