#!/usr/bin/env bash
# Throughput of `berth serve --workers N` on this machine: for each N given (default 1 and 2), a
# Berth of its own (SQLite and a data dir in a temp folder, 127.0.0.1, a random admin password)
# runs the registry benchmark's push, pull and manifest GET steps, with the CPU and memory of the
# primary and its workers together. Prints one table per N. Everything it starts is stopped by
# PID and its temp folder removed when it exits.
#
# usage: bash bench/workers.sh [--workers LIST] [--duration S] [--blob-mib N] [--concurrency LIST] [--no-build]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORKERS=1,2
DURATION=8
BLOB_MIB=256
CONCURRENCY=1,64
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) WORKERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --blob-mib) BLOB_MIB=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "workers.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done

[ "$BUILD" = 1 ] && (cd "$ROOT" && npm run build --silent)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-workers.XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

PASSWORD=$(node -e "console.log(require('node:crypto').randomBytes(18).toString('base64url'))")
export BENCH_PASSWORD=$PASSWORD

for n in ${WORKERS//,/ }; do
  PORT=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  DATA="$WORK/data-$n"
  mkdir -p "$DATA"
  BERTH_HTTP_HOST=127.0.0.1 BERTH_HTTP_PORT=$PORT BERTH_DATA_DIR=$DATA BERTH_LOG_LEVEL=warn BERTH_ADMIN_PASSWORD=$PASSWORD \
    node "$ROOT/dist/src/app/cli.js" serve --workers "$n" > "$WORK/berth-$n.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 120); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/v2/" || true)
    [ "$code" = 401 ] && break
    kill -0 "$PID" 2>/dev/null || { tail -n 30 "$WORK/berth-$n.log" >&2; exit 1; }
    sleep 0.5
  done
  # The primary and every worker it forked: their CPU and memory are the server's.
  PIDS=$(printf '%s,' "$PID" $(pgrep -P "$PID" || true))
  printf '\n## serve --workers %s (pids %s)\n\n' "$n" "${PIDS%,}"
  node "$ROOT/dist/bench/bench.js" --url "http://127.0.0.1:$PORT" --user admin --pid "${PIDS%,}" \
    --steps push,pull,manifest --blob-mib "$BLOB_MIB" --duration "$DURATION" --concurrency "$CONCURRENCY" --retries 2
  cleanup_one() { kill -TERM "$PID" 2>/dev/null || true; for _ in $(seq 1 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done; }
  cleanup_one
  PID=
done
