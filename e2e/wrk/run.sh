#!/usr/bin/env bash
# Out-of-process HTTP throughput: the real `ossflow server` in its own process,
# driven by wrk (a C load generator, so the client costs little CPU) with
# anonymous requests on a public-read-write bucket. It complements the
# in-process SDK benchmarks of e2e/bench_test.go, whose client dominates the CPU.
#
# usage: e2e/wrk/run.sh            (needs wrk: apt-get install wrk)
# Prints PUT 4 KiB at 16 connections with the event plane on and off
# (alternating, twice, for a same-session ratio) and GET 4 KiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ossflow" ./cmd/ossflow
export OSSFLOW_ACCESS_KEY_ID=LTAIwrkbenchwrkbenchwrkb OSSFLOW_ACCESS_KEY_SECRET=wrkbenchsecretwrkbenchsecret00
addr=127.0.0.1:19000
export OSSFLOW_ENDPOINT=http://$addr

start() { # extra server flags...
  rm -rf "$tmp/data"
  "$tmp/ossflow" server --addr $addr --data "$tmp/data" --lifecycle-interval -1s --log-level warn "$@" >"$tmp/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://$addr/metrics" && break; sleep 0.1; done
  "$tmp/ossflow" mb oss://bench >/dev/null
  # The bucket becomes public-read-write so that wrk needs no signatures.
  go run ./e2e/wrk/setacl bench public-read-write
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }

# cputicks is the server's CPU time so far (user + system, clock ticks).
cputicks() { awk '{print $14 + $15}' /proc/"$pid"/stat; }

# PUT runs ${PUT_SECONDS:-30}s each: long enough for the stream's duplicate
# window (15 s) to fill, so the event plane runs at its steady-state cost.
# Besides ops/s it prints the server's CPU per request, which the load of
# other processes disturbs less than throughput.
for i in 1 2; do
  for mode in on off; do
    if [ $mode = on ]; then start; else start --no-events; fi
    t0=$(cputicks)
    out=$(wrk -t2 -c16 -d"${PUT_SECONDS:-30}"s -s e2e/wrk/put.lua "http://$addr")
    t1=$(cputicks)
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    printf 'PUT 4KiB c16 events=%s: %s ops/s, server CPU %s us/request\n' $mode \
      "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
      $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / reqs ))
    stop
  done
done
start
head -c 4096 /dev/urandom >"$tmp/4k"
for i in $(seq 0 999); do curl -s -X PUT --data-binary @"$tmp/4k" "http://$addr/bench/g$i" -o /dev/null; done
printf 'GET 4KiB c16: '
wrk -t2 -c16 -d10s -s e2e/wrk/get.lua "http://$addr" | awk '/Requests\/sec/ {print $2 " ops/s"}'
stop
