package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	ucli "github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/kafka"
)

func replayCommand(stdout, stderr io.Writer) *ucli.Command {
	return &ucli.Command{
		Name:      "replay",
		Usage:     "publish a file of tweets to a Kafka topic at a given rate (demos, benchmarks)",
		UsageText: "tweetflow replay --brokers HOST:PORT --topic T [--rate N] [--repeat N] [--format auto|lines|objects] FILE|-",
		Description: "Each non-blank line of a JSONL file is one message, published as is (bad lines too, to demo dead " +
			"letters); a file of Twitter API objects (pretty printed, concatenated, or a JSON array) gives one compacted " +
			"message per object. --rate caps the messages per second (0: as fast as the cluster takes them). " +
			"SASL/TLS settings come from the environment only: " + strings.Join(kafka.SecurityEnv, ", ") + ".\n\n" +
			"Example:\n   tweetflow replay --brokers localhost:9092 --topic tweets --rate 1000 testdata/demo/tweets.jsonl",
		Flags: []ucli.Flag{
			&ucli.StringSliceFlag{Name: "brokers", Required: true, EnvVars: []string{"TWEETFLOW_KAFKA_BROKERS"}, Usage: "Kafka bootstrap brokers, host:port (required)"},
			&ucli.StringFlag{Name: "topic", Required: true, EnvVars: []string{"TWEETFLOW_KAFKA_TOPIC"}, Usage: "topic to publish to (required)"},
			&ucli.Float64Flag{Name: "rate", Usage: "most messages per second; 0 is unlimited"},
			&ucli.IntFlag{Name: "repeat", Value: 1, Usage: "publish the file this many times"},
			&ucli.StringFlag{Name: "format", Value: "auto", Usage: "lines (one message per line), objects (JSON values) or auto (by the first line)"},
		},
		OnUsageError: onUsage,
		Action: func(cc *ucli.Context) error {
			if cc.NArg() != 1 {
				return usageError{fmt.Errorf("replay takes one file (or - for standard input), got %d arguments", cc.NArg())}
			}
			sec, err := kafka.Security(lookupEnv(cc))
			if err != nil {
				return usageError{err}
			}
			opts, err := kafka.Config{Brokers: cc.StringSlice("brokers"), ClientID: "tweetflow-replay", Security: sec}.Opts()
			if err != nil {
				return usageError{err}
			}
			name := cc.Args().First()
			var r io.Reader = os.Stdin
			if name != "-" {
				f, err := os.Open(name)
				if err != nil {
					return fmt.Errorf("opening %q: %w", name, err)
				}
				defer f.Close()
				r = f
			}
			objects := false
			switch cc.String("format") {
			case "lines":
			case "objects":
				objects = true
			case "auto":
				br := bufio.NewReaderSize(r, 64<<10)
				head, _ := br.Peek(64 << 10)
				objects = kafka.DetectObjects(head)
				if f, ok := r.(*os.File); ok && f != os.Stdin && cc.Int("repeat") > 1 {
					// keep the file (seekable) for --repeat: the peek is re-read after a seek
					if _, err := f.Seek(0, io.SeekStart); err != nil {
						return err
					}
				} else {
					r = br
				}
			default:
				return usageError{fmt.Errorf("--format %q: want auto, lines or objects", cc.String("format"))}
			}
			cl, err := kgo.NewClient(append(opts, kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100000))...)
			if err != nil {
				return fmt.Errorf("creating the Kafka client: %w", err)
			}
			defer cl.Close()
			st, err := kafka.Replay(cc.Context, cl, r, kafka.ReplayOptions{Topic: cc.String("topic"), Rate: cc.Float64("rate"),
				Repeat: cc.Int("repeat"), Objects: objects,
				OnProgress: func(n int64) { fmt.Fprintf(stderr, "replay: %d messages acknowledged\n", n) }})
			secs := st.Elapsed.Seconds()
			fmt.Fprintf(stdout, "replay: %d messages (%d bytes) to topic %s in %.1fs (%.0f/s)\n", st.Records, st.Bytes, cc.String("topic"), secs, float64(st.Records)/max(secs, 1e-9))
			if err != nil {
				return fmt.Errorf("replaying %q: %w", name, err)
			}
			return nil
		},
	}
}

func kafkaDevCommand(stdout io.Writer) *ucli.Command {
	return &ucli.Command{
		Name:      "kafka-dev",
		Usage:     "run an in-memory Kafka-protocol broker (franz-go's kfake) for local demos, until interrupted",
		UsageText: "tweetflow kafka-dev [--port 9092] [--topic tweets --partitions 3]",
		Description: "A single in-process broker that speaks the Kafka protocol (produce, fetch, consumer groups, offset " +
			"commits) and keeps everything in memory: enough for `tweetflow replay` and `score --kafka-brokers` on one " +
			"machine, not for production (use a real cluster there). It creates --topic at start; stop it with Ctrl-C.",
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "port", Value: 9092, Usage: "port to listen on (127.0.0.1)"},
			&ucli.StringFlag{Name: "topic", Value: "tweets", Usage: "topic to create"},
			&ucli.IntFlag{Name: "partitions", Value: 3, Usage: "partitions of --topic"},
		},
		OnUsageError: onUsage,
		Action: func(cc *ucli.Context) error {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(cc.Int("port")),
				kfake.SeedTopics(int32(cc.Int("partitions")), cc.String("topic")), kfake.AllowAutoTopicCreation())
			if err != nil {
				return fmt.Errorf("starting the broker on port %d: %w", cc.Int("port"), err)
			}
			defer c.Close()
			fmt.Fprintf(stdout, "kafka-dev: broker at %s, topic %s (%d partitions); Ctrl-C stops it\n",
				strings.Join(c.ListenAddrs(), ","), cc.String("topic"), cc.Int("partitions"))
			<-cc.Context.Done()
			return nil
		},
	}
}
