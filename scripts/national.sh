#!/usr/bin/env bash
# The national data set (issue 10) in PostgreSQL: ten years of synthetic reports, cases, people,
# assessments, orders, tasks, placements and alerts, written in bulk (src/qorgau/demo/national).
#   scripts/national.sh            build it (creating the database when missing); a second run adds nothing
#   scripts/national.sh serve      serve the web UI on it (demo users, as after `make demo`)
# QORGAU_NATIONAL_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/qorgau_national) names the
# database; its demo keys live in QORGAU_NATIONAL_VAR_DIR (default var/national) and must stay with it.
# QORGAU_NATIONAL_YEARS (default 10) sets the years of history.
set -euo pipefail
cd "$(dirname "$0")/.."
export QORGAU_DEMO=1
export DATABASE_URL="${QORGAU_NATIONAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/qorgau_national}"
export QORGAU_VAR_DIR="${QORGAU_NATIONAL_VAR_DIR:-$PWD/var/national}"
QORGAU="${QORGAU:-.venv/bin/qorgau}"
mkdir -p "$QORGAU_VAR_DIR"

if [ "${1:-build}" = "serve" ]; then
  exec "$QORGAU" serve
fi

# Create the database when the server has none of that name (the URL's path is its name). A database
# built with keys this var directory no longer holds (after `make clean`) cannot be read: it is
# dropped and built again. The marker file ties the database to the keys beside it.
.venv/bin/python - <<'PY'
import os, pathlib, urllib.parse as u
import psycopg
from psycopg import sql
url = u.urlparse(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
marker = pathlib.Path(os.environ["QORGAU_VAR_DIR"]) / "national.database"
with psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, password=url.password,
                     dbname="postgres", autocommit=True, connect_timeout=5) as conn:
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    if exists and (not marker.exists() or marker.read_text().strip() != name):
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        print(f"dropped database {name}: its keys are not in {marker.parent}")
        exists = False
    if not exists:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        marker.write_text(name + "\n")
        print(f"created database {name}")
PY
start=$(date +%s)
"$QORGAU" demo --scale national --years "${QORGAU_NATIONAL_YEARS:-10}"
echo "make national: $(( $(date +%s) - start )) s wall time (database $DATABASE_URL, keys in $QORGAU_VAR_DIR)"
