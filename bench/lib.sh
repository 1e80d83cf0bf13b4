# bench/lib.sh: what the benchmark scripts share. Sourced, never run: set BENCH_NAME (the
# script's name, for messages) before sourcing it. Only 127.0.0.1 is ever used.
# shellcheck shell=bash

die() {
  echo "${BENCH_NAME:-bench}: $*" >&2
  exit 1
}
note() { echo "${BENCH_NAME:-bench}: $*" >&2; }

# Stops a child we started: SIGTERM, up to $2 tenths of a second (default 50), then SIGKILL.
stop_pid() {
  local pid=$1 tenths=${2:-50}
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((k = 0; k < tenths; k++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# Whether something listens on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits (up to 30 s) until url ($1) answers 2xx; fails at once when process $2 has died.
wait_http() {
  for _ in $(seq 150); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -sf -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.2
  done
  return 1
}

# CPU ticks so far of the private cluster in $GLASPLADE_PG_DIR: the postmaster (with its reaped
# children) and its live children.
pg_ticks() {
  local pm
  pm=$(head -n1 "$GLASPLADE_PG_DIR/data/postmaster.pid")
  {
    awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
    for c in $(ps -o pid= --ppid "$pm"); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || true; done
  } | awk '{s += $1} END {print s + 0}'
}
# CPU ticks so far of process $1 (user + system).
pid_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
