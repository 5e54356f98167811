package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tweetflow/tweetflow/pipelines/cli"
)

// TestReplay publishes a JSONL file twice to an in-process kfake broker
// and reads the messages back; bad usage exits 2.
func TestReplay(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "tweets"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	file := filepath.Join(t.TempDir(), "t.jsonl")
	lines := []string{`{"id": "1", "text": "one"}`, `{"id": "2", "text": "two"}`, `{broken`}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := tf(t, "replay", "--brokers", c.ListenAddrs()[0], "--topic", "tweets", "--repeat", "2", "--rate", "1000", file)
	if code != cli.ExitOK || !strings.Contains(stdout, "6 messages") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("tweets"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seen := map[string]int{}
	for n := 0; n < 6; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of 6 messages", n)
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++; n++ })
	}
	for _, l := range lines {
		if seen[l] != 2 {
			t.Errorf("message %q published %d times, want 2", l, seen[l])
		}
	}
	for _, args := range [][]string{
		{"replay", "--brokers", c.ListenAddrs()[0], "--topic", "tweets"},                          // no file
		{"replay", "--brokers", c.ListenAddrs()[0], "--topic", "tweets", "--format", "xml", file}, // bad format
		{"replay", "--topic", "tweets", file},                                                     // no brokers
	} {
		if code, _, stderr := tf(t, args...); code != cli.ExitUsage {
			t.Errorf("%q: exit %d, want %d: %s", args, code, cli.ExitUsage, stderr)
		}
	}
	t.Setenv("TWEETFLOW_KAFKA_SASL_MECHANISM", "KERBEROS")
	if code, _, stderr := tf(t, "replay", "--brokers", c.ListenAddrs()[0], "--topic", "tweets", file); code != cli.ExitUsage ||
		!strings.Contains(stderr, "TWEETFLOW_KAFKA_SASL_MECHANISM") {
		t.Errorf("bad SASL mechanism: exit %d: %s", code, stderr)
	}
}
