#!/usr/bin/env bash
# Reproduces Berth's side-by-side benchmark on this machine: Berth and the CNCF distribution
# registry (Debian's docker-registry), one after the other, plus reference figures from the
# same run (dd conv=fsync, sha256, nginx sendfile). Prints a markdown section and puts it at
# the top of the results in docs/benchmarks.md.
#
# usage: bash bench/compare.sh [--duration S] [--blob-mib N] [--concurrency LIST] [--no-build]
#          [--no-profile] [--no-docs] [--tmp DIR] [--berth-log-level L]
# Before each measurement it waits (up to QUIET_MAX=600 s) until other work on the machine
# uses at most QUIET_PCT=25 % of a core; a step disturbed anyway runs again (RETRIES=3).
# Everything it starts listens on 127.0.0.1 and is stopped (by PID) when it exits; its temp
# dir (data dirs, the blob file) is removed. Berth requires authentication: it is started with a
# random admin password (BERTH_ADMIN_PASSWORD) and benchmarked with Basic auth as admin; the
# distribution registry runs without auth, as before.
# KEEP_PROFILE=FILE keeps Berth's .cpuprofile (open it in Chrome DevTools or speedscope).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10
BLOB_MIB=256
CONCURRENCY=1,16,64
PROFILE=1
BUILD=1
BERTH_LOG_LEVEL=warn
DOCS="$ROOT/docs/benchmarks.md"
TMP_PARENT=${TMPDIR:-/tmp}

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --blob-mib) BLOB_MIB=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --no-profile) PROFILE=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --berth-log-level) BERTH_LOG_LEVEL=$2; shift 2 ;;
    --no-docs) DOCS=; shift ;;
    --tmp) TMP_PARENT=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done

for tool in node npm curl dd openssl nginx /usr/bin/docker-registry; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found" >&2; exit 69; }
done

log() { printf '\n== %s\n' "$*" >&2; }

WORK=$(mktemp -d "$TMP_PARENT/berth-compare.XXXXXX")
chmod 755 "$WORK" # nginx workers run as nobody and must reach www/
STARTED=()

stop_pid() { # stop_pid PID: TERM, up to 15 s, then KILL; only a PID this script started
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

wait_http() { # wait_http URL PID LOGFILE [USER:PASSWORD]: until URL answers 200 (with Basic auth if given), at most 60 s
  local url=$1 pid=$2 logfile=$3 creds=${4:-} i code
  for i in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "compare.sh: the server exited; its log:" >&2
      tail -n 30 "$logfile" >&2 || true
      return 1
    fi
    # Credentials go to curl on stdin (-K -), not on its command line.
    code=$(printf '%s\n' ${creds:+"user = \"$creds\""} | curl -K - -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.5
  done
  echo "compare.sh: $url did not answer 200 within 60 s (last: $code)" >&2
  return 1
}

bench() { # bench OUT.json ARGS...: the same client for every server
  local out=$1; shift
  node "$ROOT/dist/bench/bench.js" --duration "$DURATION" --concurrency "$CONCURRENCY" --tmp-dir "$WORK" --out "$out" \
    --retries "$RETRIES" --max-other-cpu "$QUIET_PCT" "$@" \
    | tee "${out%.json}.txt" >&2
}

busy_pct() { # CPU used by processes on the whole machine over 2 s, in percent of one core
  local u n s i w q sq st busy0
  read -r _ u n s i w q sq st _ < /proc/stat
  busy0=$((u + n + s + st))
  sleep 2
  read -r _ u n s i w q sq st _ < /proc/stat
  echo $(((u + n + s + st - busy0) / 2)) # 100 ticks/s per core
}

# Before each measurement: writeback from the previous one done, and the machine quiet (other
# work, e.g. a test suite, would be measured too). Waits up to QUIET_MAX s, then goes on with a note.
QUIET_PCT=${QUIET_PCT:-25}
QUIET_MAX=${QUIET_MAX:-600}
RETRIES=${RETRIES:-3} # a step disturbed by other work (more than QUIET_PCT) runs again, at most this often
settle() { # settle PHASE
  local waited=0 pct
  sync
  sleep 2
  while :; do
    pct=$(busy_pct)
    [ "$pct" -le "$QUIET_PCT" ] && return 0
    if [ "$waited" -ge "$QUIET_MAX" ]; then
      NOTES+=("$1: the machine was still busy (${pct}% of a core used by other work) after waiting ${QUIET_MAX} s; figures are noisy")
      return 0
    fi
    echo "compare.sh: machine busy (${pct}% of a core), waiting before $1" >&2
    sleep 8
    waited=$((waited + 10))
  done
}

cd "$ROOT"
NOTES=()
if [ "$BUILD" = 1 ]; then
  log "build"
  # tsc still emits when it reports type errors; the run goes on, with a note.
  npm run build --silent >&2 || NOTES+=("npm run build reported errors; dist/ was emitted anyway and benchmarked")
fi
[ -f dist/bench/bench.js ] || { echo "compare.sh: dist/bench/bench.js missing after the build" >&2; exit 1; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
DISK_SRC=$(findmnt -no SOURCE -T "$WORK" 2>/dev/null || echo '?')
DISK_FS=$(findmnt -no FSTYPE -T "$WORK" 2>/dev/null || echo '?')
DISK_DEV=$(basename "$DISK_SRC")
ROTA=$(cat "/sys/block/$DISK_DEV/queue/rotational" 2>/dev/null || echo '?')
DISK="$DISK_SRC ($DISK_FS, rotational=$ROTA, $(df -h --output=size "$WORK" | tail -1 | tr -d ' '))"
PEER_VERSION=$(/usr/bin/docker-registry --version 2>&1 | awk '{print $NF}')
NGINX_VERSION=$(nginx -v 2>&1 | sed 's/.*nginx\///')
VERSIONS="node $(node --version), distribution (docker-registry) $PEER_VERSION, nginx $NGINX_VERSION, $(openssl version | cut -d' ' -f1-2)"

# --- the blob file, shared by the references and the bench client ----------------------------
mkdir -p "$WORK/www"
BLOB="$WORK/www/blob.bin"
log "writing a $BLOB_MIB MiB random file"
head -c $((BLOB_MIB * 1024 * 1024)) /dev/urandom > "$BLOB"

# --- reference: disk write with fsync -----------------------------------------------------------
log "dd conv=fsync"
settle dd
DD_OUT=$(LC_ALL=C dd if=/dev/zero of="$WORK/dd.tmp" bs=1M count=1024 conv=fsync 2>&1 | tail -n 1)
rm -f "$WORK/dd.tmp"
echo "$DD_OUT" >&2
# "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 2.34 s, 459 MB/s"
DD_MBPS=$(echo "$DD_OUT" | awk -F', ' '{ split($1, b, " "); split($(NF-1), s, " "); if (s[1] > 0) printf "%.1f", b[1] / s[1] / 1e6 }')

# --- reference: sha256 over the blob file ------------------------------------------------------
log "openssl dgst -sha256"
settle sha256
cat "$BLOB" > /dev/null # in page cache, as the registries will see it
T0=$(date +%s%N)
openssl dgst -sha256 "$BLOB" >&2
T1=$(date +%s%N)
SHA_MBPS=$(awk -v b=$((BLOB_MIB * 1024 * 1024)) -v ns=$((T1 - T0)) 'BEGIN { printf "%.1f", b / (ns / 1e9) / 1e6 }')
echo "sha256: $SHA_MBPS MB/s" >&2

# --- reference: nginx sendfile --------------------------------------------------------------------
log "nginx"
settle nginx
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/tmp"
cat > "$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
  }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" > "$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
STARTED+=("$NGINX_PID")
if wait_http "http://127.0.0.1:$NGINX_PORT/blob.bin" "$NGINX_PID" "$WORK/nginx/error.log"; then
  bench "$WORK/nginx.json" --kind static --url "http://127.0.0.1:$NGINX_PORT/blob.bin" --blob-file "$BLOB" || NOTES+=("nginx: the bench exited with an error")
else
  NOTES+=("nginx did not start")
fi
stop_pid "$NGINX_PID"

# --- the peer: CNCF distribution ----------------------------------------------------------------
log "distribution (docker-registry $PEER_VERSION)"
settle distribution
REG_PORT=$(free_port)
mkdir -p "$WORK/registry-data"
# Debian's config, with: our address and root dir, no auth, delete on, log level warn, and no
# access log (a line per request to stdout). Berth runs at log level warn too (--berth-log-level),
# which also drops its per-request log line: both servers log nothing per request.
node --input-type=module -e "
import { readFileSync, writeFileSync } from 'node:fs'
import YAML from 'yaml'
const [src, dst, root, addr] = process.argv.slice(1)
const c = YAML.parse(readFileSync(src, 'utf8')) ?? {}
delete c.auth
c.log = { ...(c.log ?? {}), level: 'warn', accesslog: { disabled: true } }
c.storage = { ...(c.storage ?? {}), filesystem: { rootdirectory: root }, delete: { enabled: true } }
c.http = { ...(c.http ?? {}), addr }
writeFileSync(dst, YAML.stringify(c))
" /etc/docker/registry/config.yml "$WORK/registry.yml" "$WORK/registry-data" "127.0.0.1:$REG_PORT"
/usr/bin/docker-registry serve "$WORK/registry.yml" > "$WORK/registry.log" 2>&1 &
REG_PID=$!
STARTED+=("$REG_PID")
if wait_http "http://127.0.0.1:$REG_PORT/v2/" "$REG_PID" "$WORK/registry.log"; then
  bench "$WORK/peer.json" --url "http://127.0.0.1:$REG_PORT" --pid "$REG_PID" --blob-file "$BLOB" \
    || NOTES+=("distribution: the bench reported errors")
else
  NOTES+=("distribution did not start")
fi
stop_pid "$REG_PID"
if grep -qiE 'level=(error|fatal|panic)|panic:' "$WORK/registry.log"; then
  NOTES+=("distribution logged errors: $(grep -iE 'level=(error|fatal|panic)|panic:' "$WORK/registry.log" | head -n 3 | cut -c1-300 | tr '\n' ' ')")
fi

# --- Berth ------------------------------------------------------------------------------------------
BERTH_CLI="$ROOT/dist/src/app/cli.js"
# Berth's /v2/ requires authentication: every Berth started here gets this admin password (a fresh
# data dir, so it is the one set on first start; the policy wants upper and lower case and a digit),
# and the bench client sends it as Basic auth (--user admin, the password in BENCH_PASSWORD).
BERTH_ADMIN_PW="Bench-1-$(openssl rand -hex 12)"
BERTH_CREDS="admin:$BERTH_ADMIN_PW"
bench_berth() { # bench_berth OUT.json ARGS...: bench as Berth's admin
  BENCH_PASSWORD=$BERTH_ADMIN_PW bench "$@" --user admin
}
start_berth() { # start_berth DATA_DIR PORT LOGFILE [node flags...]; sets BERTH_PID
  local data=$1 port=$2 logfile=$3; shift 3 # BENCH_CPU_PROFILE passes through the environment
  mkdir -p "$data"
  BERTH_HTTP_HOST=127.0.0.1 BERTH_HTTP_PORT=$port BERTH_DATA_DIR=$data BERTH_LOG_LEVEL=$BERTH_LOG_LEVEL \
    BERTH_ADMIN_PASSWORD=$BERTH_ADMIN_PW node "$@" "$BERTH_CLI" serve > "$logfile" 2>&1 &
  BERTH_PID=$!
  STARTED+=("$BERTH_PID")
}

if [ -f "$BERTH_CLI" ]; then
  log "Berth"
  settle Berth
  BERTH_PORT=$(free_port)
  start_berth "$WORK/berth-data" "$BERTH_PORT" "$WORK/berth.log"
  if wait_http "http://127.0.0.1:$BERTH_PORT/v2/" "$BERTH_PID" "$WORK/berth.log" "$BERTH_CREDS"; then
    bench_berth "$WORK/berth.json" --url "http://127.0.0.1:$BERTH_PORT" --pid "$BERTH_PID" --blob-file "$BLOB" \
      || NOTES+=("Berth: the bench reported errors")
  else
    NOTES+=("Berth did not start: $(tail -n 5 "$WORK/berth.log" | cut -c1-300 | tr '\n' ' ')")
  fi
  stop_pid "$BERTH_PID"
  if grep -qE '"level":(50|60)' "$WORK/berth.log"; then
    NOTES+=("Berth logged errors: $(grep -E '"level":(50|60)' "$WORK/berth.log" | head -n 3 | cut -c1-300 | tr '\n' ' ')")
  fi

  if [ "$PROFILE" = 1 ] && [ -f "$WORK/berth.json" ]; then
    # A separate run with V8's CPU profiler on during one manifest GET step only (started and
    # stopped by SIGUSR2 through bench/cpu-profiler.js). The profiler slows the server; this
    # run's figures are not reported.
    log "Berth with the CPU profiler, manifest GET"
    TOP_C=${CONCURRENCY##*,}
    settle profile
    BERTH_PORT=$(free_port)
    BENCH_CPU_PROFILE="$WORK/berth.cpuprofile" start_berth "$WORK/berth-prof-data" "$BERTH_PORT" "$WORK/berth-prof.log" \
      --import "file://$ROOT/dist/bench/cpu-profiler.js"
    if wait_http "http://127.0.0.1:$BERTH_PORT/v2/" "$BERTH_PID" "$WORK/berth-prof.log" "$BERTH_CREDS"; then
      # Untimed: pushes the tiny image and warms the JIT; then the profiled step.
      bench_berth "$WORK/berth-prof-warm.json" --url "http://127.0.0.1:$BERTH_PORT" --pid "$BERTH_PID" \
        --steps manifest --concurrency "$TOP_C" --duration 2 --warmup 0 > /dev/null 2>&1 || true
      kill -USR2 "$BERTH_PID"
      bench_berth "$WORK/berth-prof.json" --url "http://127.0.0.1:$BERTH_PORT" --pid "$BERTH_PID" \
        --steps manifest --concurrency "$TOP_C" --warmup 0 || true
      kill -USR2 "$BERTH_PID" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$BERTH_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    stop_pid "$BERTH_PID"
    if [ -s "$WORK/berth.cpuprofile" ]; then
      node "$ROOT/dist/bench/cpuprofile-top.js" "$WORK/berth.cpuprofile" --top 15 --markdown > "$WORK/profile.md"
      node "$ROOT/dist/bench/cpuprofile-top.js" "$WORK/berth.cpuprofile" --top 25 >&2
      if [ -n "${KEEP_PROFILE:-}" ]; then cp "$WORK/berth.cpuprofile" "$KEEP_PROFILE"; fi
    else
      NOTES+=("the Berth CPU profile was not written")
    fi
  fi
else
  NOTES+=("Berth is not built ($BERTH_CLI missing); only the peer and the references ran")
fi

# --- report -------------------------------------------------------------------------------------------
log "report"
NOTE_ARGS=()
for n in "${NOTES[@]+"${NOTES[@]}"}"; do NOTE_ARGS+=(--note "$n"); done
node "$ROOT/dist/bench/report.js" \
  --berth "$WORK/berth.json" --peer "$WORK/peer.json" --nginx "$WORK/nginx.json" \
  --peer-name "distribution $PEER_VERSION" \
  --dd-mbps "$DD_MBPS" --openssl-sha256-mbps "$SHA_MBPS" \
  --disk "$DISK" --versions "$VERSIONS" --load-before "$LOAD_BEFORE" \
  --profile "$WORK/profile.md" \
  ${DOCS:+--docs "$DOCS"} \
  "${NOTE_ARGS[@]+"${NOTE_ARGS[@]}"}"
