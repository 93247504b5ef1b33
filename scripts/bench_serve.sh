#!/usr/bin/env bash
# Query path over HTTP (docs/benchmarks.md, "Query path"): start-up time of `policykb serve`
# until it answers a first search, its memory (RSS), and p50/p95 under concurrent clients.
#
#   scripts/bench_serve.sh KB_DIR QUERIES.jsonl [CLIENTS=8] [SECONDS=60] [MIX=search=1]
#
# UPLOAD=FOLDER uploads that folder through the admin route when the load starts, so an ingest
# job runs during it (docs/reliability.md: UPLOAD=... scripts/bench_serve.sh KB q.jsonl 50 60
# search=2,ask=1,glossary=1). Extra POLICYKB_* settings pass through
# (e.g. POLICYKB_EMBEDDING_BACKEND=onnx-int8). WORKERS=N serves with N worker processes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 2 ]]; then
    echo "usage: $0 KB_DIR QUERIES.jsonl [CLIENTS] [SECONDS] [MIX]" >&2
    exit 2
fi
KB="$1"; QUERIES="$2"; CLIENTS="${3:-8}"; DURATION="${4:-60}"; MIX="${5:-search=1}"
PORT="${PORT:-8765}"; POLICYKB="${POLICYKB:-.venv/bin/policykb}"
if [[ ! -f "$KB/kb.sqlite" ]]; then echo "no knowledge base in $KB" >&2; exit 2; fi
URL="http://127.0.0.1:$PORT"
# The clients all come from 127.0.0.1: the per-client rate limits would refuse almost every request
# of a throughput benchmark. Off unless set (the burst against them: docs/reliability.md).
export POLICYKB_RATE_LIMIT="${POLICYKB_RATE_LIMIT-}" POLICYKB_ASK_RATE_LIMIT="${POLICYKB_ASK_RATE_LIMIT-}"
UPLOAD_ARGS=()
if [[ -n "${UPLOAD:-}" ]]; then
    export POLICYKB_API_KEY="${POLICYKB_API_KEY:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
    export POLICYKB_MAX_UPLOAD_FILES="${POLICYKB_MAX_UPLOAD_FILES:-200}"
    UPLOAD_ARGS=(--upload "$UPLOAD")
fi
started=$(date +%s.%N)
"$POLICYKB" --kb "$KB" serve --port "$PORT" --workers "${WORKERS:-1}" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$URL/api/v1/kbs/default/search?q=%E6%B3%95&k=1"; do
    kill -0 $server 2>/dev/null || { echo "the server exited during start-up" >&2; exit 1; }
    sleep 0.05
done
ready=$(date +%s.%N)
echo "start-up until the first search is answered: $(awk "BEGIN {printf \"%.1f\", $ready - $started}") s"
rss() {  # the server and its worker processes
    local total=0 pid
    for pid in $server $(pgrep -P $server || true); do
        total=$((total + $(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)))
    done
    awk "BEGIN {printf \"%.0f MiB\", $total / 1024}"
}
echo "server RSS after start-up: $(rss)"
"$POLICYKB" eval load "$URL" --queries "$QUERIES" --clients "$CLIENTS" --seconds "$DURATION" --mix "$MIX" \
    "${UPLOAD_ARGS[@]}" --out "data/eval/load-$(basename "$KB")-$CLIENTS-w${WORKERS:-1}.json"
echo "server RSS after the load: $(rss)"
