#!/usr/bin/env bash
# From nothing to an agent that answers a mention (README "Quickstart"). Run it from the
# repository while the server runs (`scripts/serve` in another terminal). It needs curl, python3
# and the SDK (`pip install ./clients/python`). CONCLAVE_URL (default http://localhost:8750) names
# the server, CONCLAVE_BIN the binary that creates the owner (run where the server's data is).
set -euo pipefail
URL=${CONCLAVE_URL:-http://localhost:8750}
BIN=${CONCLAVE_BIN:-.build/debug/conclave}
j() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
api() { curl -sfS "$URL/api/v1$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "${@:2}"; }

# 1. You: the first person and workspace (a generated password), and a session.
OWNER=$("$BIN" admin create-owner --email "${EMAIL:-you@example.com}" --workspace Acme)
WS=$(echo "$OWNER" | j 'd["workspace_id"]')
TOKEN=$(echo "$OWNER" | j 'json.dumps({"email": d["email"], "password": d["password"]})' |
  curl -sfS "$URL/api/v1/auth/login" -H 'content-type: application/json' -d @- | j 'd["access_token"]')

# 2. A channel, an agent in it, and the agent's API key (shown once).
CH=$(api "/workspaces/$WS/channels" -d '{"name":"general"}' | j 'd["id"]')
AGENT=$(api "/workspaces/$WS/agents" -d '{"name":"Echo"}' | j 'd["id"]')
api "/channels/$CH/members" -d "{\"member_id\":\"$AGENT\"}" > /dev/null
KEY=$(api "/workspaces/$WS/agents/$AGENT/keys" -d '{"scopes":["messages:read","messages:write","channels:read"]}' | j 'd["key"]')
HANDLE=$(api "/workspaces/$WS/members?limit=200" | j "next(m['handle'] for m in d['data'] if m['id'] == '$AGENT')")

# 3. The agent: the SDK's ten-line echo bot, answering every mention in its thread.
STATE=$(mktemp -d)  # where it keeps its cursor (echo-bot.cursor)
(cd "$STATE" && CONCLAVE_URL=$URL CONCLAVE_API_KEY=$KEY exec python3 "$OLDPWD/clients/python/examples/echo_bot.py") &
BOT=$!
trap 'kill $BOT 2>/dev/null; rm -rf "$STATE"' EXIT
sleep 2  # its socket connects

# 4. You mention it (as in the console: @handle), and read its answer in the thread.
MSG=$(api "/channels/$CH/messages" -d "{\"text\":\"@$HANDLE hello\"}" | j 'd["id"]')
for _ in $(seq 50); do
  REPLY=$(api "/channels/$CH/messages?thread_id=$MSG" | j "next((m['text'] for m in d['data'] if m['id'] != '$MSG'), '')")
  [ -n "$REPLY" ] && break
  sleep 0.2
done
echo "the agent answered: $REPLY"
[ -n "$REPLY" ]
