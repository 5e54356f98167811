package pgsource

import (
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	for _, c := range []struct {
		uri                     string
		dsn, table, query, name string
		fetch                   int
		err                     string
	}{
		{uri: "postgres://u:pw@h:5432/db?sslmode=disable&table=raw_tweet_dataset_0",
			dsn: "postgres://u:pw@h:5432/db?sslmode=disable", table: "raw_tweet_dataset_0", fetch: DefaultFetch,
			name: "postgres://u:xxxxx@h:5432/db?table=raw_tweet_dataset_0"},
		{uri: "postgresql://u@h/db?query=SELECT%20id,%20text%20FROM%20t&fetch=10",
			dsn: "postgresql://u@h/db", query: "SELECT id, text FROM t", fetch: 10, name: "postgresql://u@h/db?query=SELECT id, text FROM t"},
		{uri: "postgres://u@h/db?table=s.t", dsn: "postgres://u@h/db", table: "s.t", fetch: DefaultFetch, name: "postgres://u@h/db?table=s.t"},
		{uri: "postgres://u:pw@h/db", err: "name a table"},
		{uri: "postgres://u@h/db?table=t&query=SELECT%201", err: "not both"},
		{uri: "postgres://u:pw@h/db?table=t%3Bdrop", err: "not a plain identifier"},
		{uri: "postgres://u:pw@h/db?query=SELECT%201;%20DROP%20TABLE%20t", err: "URL-encode"},
		{uri: "postgres://u@h/db?table=t&fetch=0", err: "fetch"},
	} {
		s, err := ParseURI(c.uri)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "pw@") {
				t.Errorf("%s: error %v, want %q (no password)", c.uri, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.uri, err)
			continue
		}
		if s.DSN != c.dsn || s.Table != c.table || s.Query != c.query || s.Fetch != c.fetch || s.Name != c.name {
			t.Errorf("%s: %+v", c.uri, s)
		}
	}
}
