#!/usr/bin/env bash
# Time from spawning a command to the example app's /health answering, and the CPU it took.
#   bench/start-time.sh npm start                      # PORT defaults to 3999
#   PORT=4000 bench/start-time.sh node dist/src/main.js
# Runs the command in its own session, polls http://127.0.0.1:$PORT/health every 100 ms, then prints the wall
# time, the CPU (user + system) used by every process of that session up to that moment (live ones plus the
# children they reaped, from /proc: Linux only) and the load average, and stops the session it started.
# The command's output goes to ${START_TIME_LOG:-/tmp/start-time.log}.
set -uo pipefail
export PORT=${PORT:-3999}
log=${START_TIME_LOG:-/tmp/start-time.log}
start=$(date +%s.%N)
setsid "$@" >"$log" 2>&1 &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the command exited before /health answered:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
end=$(date +%s.%N)
ticks=0
for stat in /proc/[0-9]*/stat; do
  line=$(cat "$stat" 2>/dev/null) || continue
  read -r -a f <<<"${line##*) }"
  # after "comm) ": 0 state, 1 ppid, 2 pgrp, 3 session, ..., 11 utime, 12 stime, 13 cutime, 14 cstime
  if [ "${f[3]}" = "$pid" ]; then ticks=$((ticks + f[11] + f[12] + f[13] + f[14])); fi
done
printf 'healthy after %.1f s wall, %.1f s CPU, load %s\n' "$(echo "$end - $start" | bc)" \
  "$(echo "scale=2; $ticks / $(getconf CLK_TCK)" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
