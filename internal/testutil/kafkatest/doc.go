// Package kafkatest runs a Kafka-protocol broker for tests: franz-go's
// in-process kfake cluster (consumer groups and offset commits included),
// with a topic seeded, a producing client, numbered tweets published by
// key across the partitions, and the group's committed offsets read back
// and checked against the end offsets of the topic.
//
// It is for tests only.
package kafkatest
