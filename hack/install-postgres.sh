#!/usr/bin/env bash
# Installs the PostgreSQL server used by the PostgreSQL tests
# (internal/testutil/pgtest) from Debian's packages, and prints the folder
# holding initdb and postgres.
#
#   hack/install-postgres.sh                  # installs once, then only prints
#   TWEETFLOW_PG_BIN=$(hack/install-postgres.sh | tail -1)
#
# The tests start their own throw-away servers (initdb into a temporary
# folder, as the "postgres" system user when run as root); nothing here
# creates or starts a cluster. Debian's package may start its default
# cluster as a service where a service manager runs; the tests do not use it.
set -euo pipefail

find_bin() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		if [[ -x "$d/initdb" && -x "$d/postgres" ]]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

if ! bin=$(find_bin) || ! id postgres >/dev/null 2>&1; then
	echo "installing Debian package postgresql..." >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
	bin=$(find_bin) || { echo "postgresql installed but no initdb/postgres under /usr/lib/postgresql/*/bin" >&2; exit 1; }
fi
echo "$bin"
