package ingest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

func TestRecordDecoder(t *testing.T) {
	d := NewRecordDecoder(nil)
	for _, tc := range []struct {
		name, raw      string
		id, text, user string
		urls           []string
		created        time.Time
		bad            string // reason substring of a bad record
	}{
		{name: "plain", raw: `{"id": "1", "text": "hello", "author_id": "7", "created_at": "2026-03-01T12:00:00Z"}`,
			id: "1", text: "hello", user: "7", created: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		{name: "v1.1 extended", raw: `{"id": 2, "id_str": "2", "text": "short…", "truncated": true,
			"extended_tweet": {"full_text": "the full text https://t.co/a", "entities": {"urls": [{"url": "https://t.co/a", "expanded_url": "https://example.com/a"}]}},
			"user": {"screen_name": "alice"}, "created_at": "Sun Mar 01 12:00:00 +0000 2026"}`,
			id: "2", text: "the full text https://example.com/a", user: "alice", urls: []string{"https://example.com/a"},
			created: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		{name: "v2 envelope", raw: `{"data": {"id": "3", "text": "v2 text", "author_id": "9"}, "includes": {"users": [{"id": "9", "username": "bob"}]}}`,
			id: "3", text: "v2 text", user: "bob"},
		{name: "pretty printed", raw: "{\n  \"id\": \"4\",\n  \"text\": \"multi\\nline\"\n}\n", id: "4", text: "multi\nline"},
		{name: "nul kept", raw: `{"id": "5", "text": "a \u0000 b"}`, id: "5", text: "a \x00 b"},
		{name: "invalid JSON", raw: `{"id": "6", "text": `, bad: "bad JSON"},
		{name: "no text", raw: `{"id": "7"}`, bad: `missing or empty "text"`},
		{name: "blank", raw: "  \n", bad: "empty record"},
		{name: "two records", raw: "{\"id\": \"8\", \"text\": \"a\"}\n{\"id\": \"9\", \"text\": \"b\"}", bad: "bad JSON"},
		{name: "invalid UTF-8", raw: "{\"id\": \"10\", \"text\": \"\xff\"}", bad: "invalid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw, err := d.Decode("kafka:tweets:2", 41, []byte(tc.raw))
			if tc.bad != "" {
				var br *BadRow
				if !errors.As(err, &br) || !strings.Contains(br.Reason, tc.bad) || br.Source != "kafka:tweets:2" || br.Line != 41 || string(br.Raw) != tc.raw {
					t.Fatalf("Decode = %+v, %v; want a bad row %q with the raw record", tw, err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tw.ID != tc.id || tw.Text != tc.text || tw.User != tc.user || !slices.Equal(tw.URLs, tc.urls) ||
				!tw.CreatedAt.Equal(tc.created) || tw.Source != "kafka:tweets:2:41" {
				t.Errorf("Decode = %+v", tw)
			}
		})
	}
}

// FuzzRecordDecoder: a one-line record decodes exactly as the same line
// of a JSONL file does (the same tweet, or a bad row with the same reason).
func FuzzRecordDecoder(f *testing.F) {
	for _, s := range []string{`{"id": "1", "text": "a"}`, `{"data": {"id": "2", "text": "b"}}`, `{"id_str": "3", "full_text": "c", "user": {"screen_name": "x"}}`,
		`{"id": 4}`, `{broken`, `[1]`, `{"id": "5", "text": "\u0000"}`} {
		f.Add([]byte(s))
	}
	d := NewRecordDecoder(nil)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if bytes.ContainsAny(raw, "\r\n") || bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) || len(bytes.TrimSpace(raw)) == 0 {
			return
		}
		got, gerr := d.Decode("f", 1, raw)
		var want *BadRow
		var wantTweet []string
		err := Read(context.Background(), bytes.NewReader(raw), ReadOptions{Name: "f", Format: FormatJSONL},
			func(tw *dataset.Tweet) error {
				wantTweet = []string{tw.ID, tw.Text, tw.User, tw.Source, tw.CreatedAt.String(), strings.Join(tw.URLs, " ")}
				return nil
			},
			func(b BadRow) error { want = &b; return nil })
		if err != nil {
			t.Skip(err)
		}
		var br *BadRow
		switch {
		case want != nil:
			if !errors.As(gerr, &br) || br.Reason != want.Reason {
				t.Fatalf("Decode(%q) = %v, the JSONL reader: bad row %q", raw, gerr, want.Reason)
			}
		case wantTweet != nil:
			if gerr != nil {
				t.Fatalf("Decode(%q) = %v, the JSONL reader: a tweet", raw, gerr)
			}
			g := []string{got.ID, got.Text, got.User, got.Source, got.CreatedAt.String(), strings.Join(got.URLs, " ")}
			if !slices.Equal(g, wantTweet) {
				t.Fatalf("Decode(%q) = %q, the JSONL reader %q", raw, g, wantTweet)
			}
		}
	})
}
