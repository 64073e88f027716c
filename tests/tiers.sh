#!/usr/bin/env bash
# The test tiers of DESIGN §11: unit + integration on SQLite and PostgreSQL, the browser tier on
# PostgreSQL. With CI=true a missing PostgreSQL or Chromium fails the run instead of skipping it.
set -uo pipefail
PY=.venv/bin/python
export QORGAU_MODE=test
PG_URL="${QORGAU_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/qorgau}"
CHROMIUM="${QORGAU_CHROMIUM:-/usr/bin/chromium}"
status=0

run() {
  echo
  echo "=== $1"
  shift
  "$@" || status=1
}

pg_ok() {
  QORGAU_PG_URL="$PG_URL" $PY - <<'PY' 2>/dev/null
import os, psycopg, urllib.parse as u
p = u.urlparse(os.environ["QORGAU_PG_URL"])
psycopg.connect(host=p.hostname, port=p.port or 5432, user=p.username, password=p.password, dbname="postgres", connect_timeout=3).close()
PY
}

run "tier 1: unit + integration on SQLite" env -u DATABASE_URL -u QORGAU_TEST_DATABASE_URL \
  $PY -m pytest -m "not e2e and not fault" -n 2 -q

if pg_ok; then
  run "tier 2: unit + integration on PostgreSQL" env QORGAU_TEST_DATABASE_URL="$PG_URL" \
    $PY -m pytest -m "not e2e and not fault" -n 2 -q
  run "tier 3: faults (PostgreSQL, worker and broker stopped under load)" env QORGAU_TEST_DATABASE_URL="$PG_URL" \
    $PY -m pytest -m fault -q
  if [ -x "$CHROMIUM" ]; then
    run "tier 4: browser (Playwright + Chromium) on PostgreSQL" env QORGAU_TEST_DATABASE_URL="$PG_URL" \
      QORGAU_CHROMIUM="$CHROMIUM" $PY -m pytest -m e2e -q
  elif [ "${CI:-}" = "true" ]; then
    echo "FAILED: Chromium not found at $CHROMIUM (apt-get install chromium)"; status=1
  else
    echo "SKIPPED tier 4: Chromium not found at $CHROMIUM — the browser tests did NOT run"
  fi
else
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: PostgreSQL not reachable at $PG_URL"; status=1
  else
    echo "SKIPPED tiers 2, 3 and 4: PostgreSQL not reachable at $PG_URL — they did NOT run"
  fi
fi
exit $status
