// Package pgident parses the PostgreSQL table names tweetflow's components
// take from flags and URIs ("table" or "schema.table" of plain
// identifiers), once for every package that builds SQL with them: the
// scorer's sinks, the dashboard, load-postgres and the PostgreSQL source.
// Plain identifiers need no quoting rules of their own and cannot carry SQL.
package pgident

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// ParseTable parses "table" or "schema.table" of plain SQL identifiers
// (a letter or _, then letters, digits and _, at most 63 bytes each).
func ParseTable(name string) (pgx.Identifier, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return nil, fmt.Errorf("parsing table name %q: want table or schema.table", name)
	}
	for _, p := range parts {
		if !identRe.MatchString(p) {
			return nil, fmt.Errorf("parsing table name %q: %q is not a plain identifier (letters, digits, _)", name, p)
		}
	}
	return pgx.Identifier(parts), nil
}
