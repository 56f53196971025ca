#!/usr/bin/env bash
# Auth cost benchmark against the real release server on loopback.
#
#   bench/run-auth.sh [seconds-per-scenario]     (default 10)
#
# Scenarios (wrk, 1 thread, 16 connections, loopback only, bounded by time):
#   health     GET /health, no auth, no database (the floor)
#   anonymous  GET /api/v1/me without credentials (middleware + 401, no database)
#   api-key    GET /api/v1/me with an agent's API key (HMAC + one indexed lookup, then the route)
#   jwt        GET /api/v1/me with an access token (signature + session row, then the route)
#   same-route-*  GET /api/v1/ws over plain HTTP (426, no route work) without credentials, with the
#              key, with the JWT: the differences are the cost of authentication alone
#   login      POST /api/v1/auth/login (argon2id m=19MiB t=2 p=1 on the bounded hashing pool), 16
#              connections, then one connection (the latency of a single login)
# Prints wrk's summary per scenario and the server's peak RSS. Needs: wrk, python3, a release build
# (swift build -c release). Rate limits are raised for the run so they do not dominate.
#
#   SAME_ROUTE_ROUNDS=N bench/run-auth.sh [seconds]
# runs only the three same-route rows, N times in turn, then prints each row's median requests/s
# and the two ratios to no-auth. On a machine shared with other work, interleaved rounds are what
# keep the rows comparable: load that comes and goes hits all three alike.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER=${1:-10}
BIN="${CONCLAVE_BIN:-$ROOT/.build/release/conclave}"
[ -x "$BIN" ] || BIN="$ROOT/.build-release/release/conclave"
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

DATA="$(mktemp -d)"
LOG="$DATA/server.log"
PID=""
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"' EXIT
# 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
export CONCLAVE_DATA_DIR="$DATA/data" CONCLAVE_PORT=0 CONCLAVE_LOG_LEVEL=warning
export CONCLAVE_RATE_LIMITS="login=1000000/1m,api=1000000/1m,api_anonymous=1000000/1m"
export BENCH_EMAIL=bench@example.com BENCH_PASSWORD="wrk-load-$(date +%s%N)-secret"
OWNER=$(echo "$BENCH_PASSWORD" | "$BIN" admin create-owner --email "$BENCH_EMAIL" --workspace Bench --password-stdin)
WS=$(echo "$OWNER" | python3 -c 'import json,sys; print(json.load(sys.stdin)["workspace_id"])')
"$BIN" serve >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q "conclave listening on" "$LOG" && break; sleep 0.1; done
URL=$(grep -o "http://[0-9.:]*" "$LOG" | head -1)

TOKEN=$(curl -s "$URL/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
AGENT=$(curl -s "$URL/api/v1/workspaces/$WS/agents" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"bench-agent"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
KEY=$(curl -s "$URL/api/v1/workspaces/$WS/agents/$AGENT/keys" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"bench","scopes":["messages:read"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

run() {
    local name=$1; shift
    echo "### $name"
    wrk -t1 -c"${CONNECTIONS:-16}" -d"${SECONDS_PER}s" --latency "$@" | grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|requests in"
}
echo "machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{print $2/1024/1024 " GiB"}'), $(uname -sr)"
echo "binary: $BIN"
if [ -n "${SAME_ROUTE_ROUNDS:-}" ]; then
    # Server CPU per request (user + system, from /proc) is printed too: it is what a credential
    # costs the server, and it moves far less than requests/s when other work shares the cores.
    server_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
    median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
    declare -A rates cpu
    for round in $(seq "$SAME_ROUTE_ROUNDS"); do
        for scenario in no-auth api-key jwt; do
            case $scenario in
                no-auth) header=() ;;
                api-key) header=(-H "Authorization: Bearer $KEY") ;;
                jwt) header=(-H "Authorization: Bearer $TOKEN") ;;
            esac
            before=$(server_ticks)
            out=$(wrk -t1 -c16 -d"${SECONDS_PER}s" "${header[@]}" "$URL/api/v1/ws")
            after=$(server_ticks)
            rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
            us=$(echo "$out" | awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" '/requests in/ {printf "%.1f", t / hz * 1e6 / $1}')
            echo "round $round same-route-$scenario $rate req/s, server CPU $us µs/request"
            rates[$scenario]+="$rate "
            cpu[$scenario]+="$us "
        done
    done
    none=$(echo "${rates[no-auth]}" | median)
    none_cpu=$(echo "${cpu[no-auth]}" | median)
    for scenario in no-auth api-key jwt; do
        rate=$(echo "${rates[$scenario]}" | median)
        us=$(echo "${cpu[$scenario]}" | median)
        awk -v s="$scenario" -v r="$rate" -v n="$none" -v u="$us" -v nu="$none_cpu" \
            'BEGIN {printf "median same-route-%s %.0f req/s (%+.1f%%), server CPU %.1f µs/request (%+.1f µs)\n", s, r, (r / n - 1) * 100, u, u - nu}'
    done
    exit 0
fi
run health "$URL/health"
run anonymous "$URL/api/v1/me"
run api-key -H "Authorization: Bearer $KEY" "$URL/api/v1/me"
run jwt -H "Authorization: Bearer $TOKEN" "$URL/api/v1/me"
# Same route, same work, only the credential differs: GET /api/v1/ws over plain HTTP answers 426
# after the middleware chain, so the difference between these three rows is the cost of auth.
run same-route-no-auth "$URL/api/v1/ws"
run same-route-api-key -H "Authorization: Bearer $KEY" "$URL/api/v1/ws"
run same-route-jwt -H "Authorization: Bearer $TOKEN" "$URL/api/v1/ws"
run login -s "$ROOT/bench/login.lua" "$URL/api/v1/auth/login"
CONNECTIONS=1 run login-one-at-a-time -s "$ROOT/bench/login.lua" "$URL/api/v1/auth/login"
echo "server peak RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MiB"}')"
