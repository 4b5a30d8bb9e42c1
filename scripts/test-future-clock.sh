#!/usr/bin/env bash
# The suite again with the clock faked more than a year ahead (libfaketime), so a test that passes only
# before some date fails here first. Child processes (the CLI, `npm start`, the embedded PostgreSQL) read
# the same faked clock; the machine's PostgreSQL, when DATABASE_URL is set, keeps the real one.
set -euo pipefail
cd "$(dirname "$0")/.."

offset="${ABONO_FUTURE_CLOCK_OFFSET:-+400d}"
if ! command -v faketime >/dev/null 2>&1; then
  if [ -n "${CI:-}" ]; then
    echo "future-clock check: faketime is not installed (apt-get install -y faketime)" >&2
    exit 1
  fi
  echo "future-clock check NOT RUN: install faketime (apt-get install -y faketime) to run it" >&2
  exit 0
fi
echo "future-clock check: the suite with the clock at $(faketime -f "$offset" date -u +%Y-%m-%dT%H:%MZ)"
# Timers keep the real monotonic clock; only the calendar moves.
export FAKETIME_DONT_FAKE_MONOTONIC=1
exec faketime -f "$offset" npx vitest run --reporter=default "$@"
