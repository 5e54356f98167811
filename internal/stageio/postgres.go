package stageio

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/settings"
)

// ConnectPostgres connects to the database of a component's decoded
// --postgres-dsn (declared with settings.PostgresDSN, so its env aliases
// apply). No DSN or one that does not parse is a usage error; the
// connection error names host, port and database, never the password.
func ConnectPostgres(ctx context.Context, dsn string) (*pgx.Conn, error) {
	if dsn == "" {
		return nil, component.Usagef("no database: set --postgres-dsn or %s", strings.Join(settings.PostgresDSN.Env, " or "))
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, component.Usagef("--postgres-dsn: parsing the connection string: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return conn, nil
}
