#!/usr/bin/env bash
# Two builds of the server, side by side in one run on this machine: the
# same loads against each, alternated, so machine noise hits both alike.
#
#   xtask/scripts/compare-servers.sh OLD_BINARY NEW_BINARY [ROUNDS]
#
# Build each with `cargo build --profile server --bin stock-widget` (for an
# older commit: in a `git worktree` of it, with its own CARGO_TARGET_DIR).
# Needs wrk (`cargo xtask bench` installs it). Per round and binary, on a
# fresh SQLite database: availability reads (wrk -t2 -c32 -d8s, against
# /healthz too for the ratio), then 32 clients reserving one unit at a time
# of one SKU for 8 s (every 201 committed with fsync). Talks to 127.0.0.1 only.
set -euo pipefail
old=${1:?old server binary}
new=${2:?new server binary}
rounds=${3:-2}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
token=compare-token
port=18471
cat > "$dir/reserve.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"quantity": 1, "email": "rush@example.com"}'
LUA

rate() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }

run() {
  local name=$1 binary=$2 round=$3
  rm -f "$dir"/db*
  STOCK_WIDGET_ADMIN_TOKEN=$token "$binary" serve --demo --db "$dir/db" \
    --addr 127.0.0.1:$port --www-dir www --widget-dir "$dir" \
    --reservations-per-minute 1000000 >"$dir/log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf -X PUT "127.0.0.1:$port/api/v1/admin/products/RUSH" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d '{"name": "Rush", "stock": 1000000, "backorders": "deny"}' >/dev/null
  local reads health writes
  reads=$(wrk -t2 -c32 -d8s --latency "http://127.0.0.1:$port/api/v1/products/KETTLE-GOOSE/availability?quantity=2")
  health=$(wrk -t2 -c32 -d8s --latency "http://127.0.0.1:$port/healthz")
  writes=$(wrk -t2 -c32 -d8s --latency -s "$dir/reserve.lua" "http://127.0.0.1:$port/api/v1/products/RUSH/reservations")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$round" \
    "$(rate <<<"$reads")" "$(p99 <<<"$reads")" "$(rate <<<"$health")" \
    "$(rate <<<"$writes")" "$(p99 <<<"$writes")"
}

echo "| build | round | availability req/s | availability p99 | healthz req/s | reservations/s | reservation p99 |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for round in $(seq "$rounds"); do
  run old "$old" "$round"
  run new "$new" "$round"
done
