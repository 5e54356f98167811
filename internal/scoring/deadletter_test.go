package scoring

import "testing"

func TestParseRowSource(t *testing.T) {
	for _, tc := range []struct {
		in   string
		src  string
		part int32
		pos  int64
	}{
		{"kafka:tweets:3:12345", "tweets", 3, 12345},
		{KafkaSourceName("a.b-c", 0) + ":7", "a.b-c", 0, 7},
		{"/data/in.jsonl:42", "/data/in.jsonl", NoPartition, 42},
		{"s3://b/k:with:colons.csv:9", "s3://b/k:with:colons.csv", NoPartition, 9},
		{"stdin:1", "stdin", NoPartition, 1},
		{"kafka:nopart:5", "kafka:nopart", NoPartition, 5},
		{"", "", NoPartition, 0},
		{"no-line", "", NoPartition, 0},
	} {
		src, part, pos := ParseRowSource(tc.in)
		if src != tc.src || part != tc.part || pos != tc.pos {
			t.Errorf("ParseRowSource(%q) = %q %d %d, want %q %d %d", tc.in, src, part, pos, tc.src, tc.part, tc.pos)
		}
	}
}
