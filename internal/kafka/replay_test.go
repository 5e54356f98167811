package kafka

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumeAll reads n records of topic from the start.
func consumeAll(t *testing.T, addrs []string, topic string, n int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("got %d of %d records: %v", len(out), n, err)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	return out
}

func TestReplay(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "lines", "objects", "paced"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()

	// JSON lines: each non-blank line as is, bad ones too; twice.
	lines := "{\"id\": \"1\", \"text\": \"a\"}\r\n\n{broken\n{\"id\": \"2\", \"text\": \"b\"}"
	if DetectObjects([]byte(lines)) {
		t.Error("JSON lines detected as objects")
	}
	st, err := Replay(ctx, cl, strings.NewReader(lines), ReplayOptions{Topic: "lines"})
	if err != nil || st.Records != 3 {
		t.Fatalf("Replay = %+v, %v", st, err)
	}
	got := consumeAll(t, c.ListenAddrs(), "lines", 3)
	if want := []string{`{"id": "1", "text": "a"}`, "{broken", `{"id": "2", "text": "b"}`}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("published %q, want %q", got, want)
	}

	// API objects: pretty printed, then an array; compacted.
	objs := "{\n  \"data\": {\"id\": \"3\",\n \"text\": \"c\"}\n}\n[{\"id_str\": \"4\", \"text\": \"d\"}, {\"id_str\": \"5\", \"text\": \"e\"}]\n"
	if !DetectObjects([]byte(objs)) {
		t.Error("pretty printed objects not detected")
	}
	if _, err := Replay(ctx, cl, strings.NewReader(objs), ReplayOptions{Topic: "objects", Objects: true}); err != nil {
		t.Fatal(err)
	}
	got = consumeAll(t, c.ListenAddrs(), "objects", 3)
	if want := []string{`{"data":{"id":"3","text":"c"}}`, `{"id_str":"4","text":"d"}`, `{"id_str":"5","text":"e"}`}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("published %q, want %q", got, want)
	}
	if _, err := Replay(ctx, cl, strings.NewReader(`{"id": 1} {"id": `), ReplayOptions{Topic: "objects", Objects: true}); err == nil ||
		!strings.Contains(err.Error(), "JSON value 2") {
		t.Errorf("truncated object: %v", err)
	}

	// The rate caps the pace: 30 records at 100/s take at least 0.29 s.
	start := time.Now()
	st, err = Replay(ctx, cl, strings.NewReader(strings.Repeat("{\"id\": \"1\", \"text\": \"x\"}\n", 30)), ReplayOptions{Topic: "paced", Rate: 100})
	if err != nil || st.Records != 30 {
		t.Fatalf("Replay = %+v, %v", st, err)
	}
	if d := time.Since(start); d < 290*time.Millisecond {
		t.Errorf("30 records at 100/s took %v", d)
	}
}

func TestSecurity(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	s, err := Security(env(EnvSASLMechanism, "scram-sha-512", EnvSASLUser, "u", EnvSASLPassword, "p w", EnvTLSServerName, "kafka.internal"))
	if err != nil || s.SASLMechanism != "SCRAM-SHA-512" || s.Password != "p w" || !s.TLS || s.ServerName != "kafka.internal" {
		t.Errorf("Security = %+v, %v", s, err)
	}
	opts, err := Config{Brokers: []string{"a:9092,b:9092"}, Security: s}.Opts()
	if err != nil || len(opts) != 4 {
		t.Errorf("Opts = %d options, %v", len(opts), err)
	}
	for _, bad := range [][]string{
		{EnvSASLMechanism, "GSSAPI"},
		{EnvSASLMechanism, "PLAIN"},
		{EnvTLS, "yes please"},
		{EnvTLSCertFile, "/c.pem"},
	} {
		if _, err := Security(env(bad...)); err == nil {
			t.Errorf("Security(%q) accepted", bad)
		}
	}
	if _, err := (Config{}).Opts(); err == nil {
		t.Error("no brokers accepted")
	}
	if _, err := (Config{Brokers: []string{"a:1"}, Security: SecuritySettings{TLS: true, CAFile: "/nonexistent/ca.pem"}}).Opts(); err == nil ||
		!strings.Contains(err.Error(), EnvTLSCAFile) {
		t.Errorf("missing CA file: %v", err)
	}
}
