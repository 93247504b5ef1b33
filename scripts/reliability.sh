#!/usr/bin/env bash
# The reliability suite (tests/reliability, also part of `make test`) with its figures recorded:
# bad inputs tried, kills survived, requests served, errors. docs/reliability.md quotes them.
#
#   scripts/reliability.sh [extra pytest options]
#
# Figures go to data/reliability/figures.jsonl (one JSON line per test). POLICYKB_LOAD_SECONDS
# and POLICYKB_CRASH_SEED change the load duration and the kill points.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=data/reliability/figures.jsonl
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
POLICYKB_LOAD_SECONDS="${POLICYKB_LOAD_SECONDS:-60}" POLICYKB_RELIABILITY_REPORT="$PWD/$OUT" .venv/bin/pytest tests/reliability -q -p no:cacheprovider "$@"
.venv/bin/python - "$OUT" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    record = json.loads(line)
    print(json.dumps(record, ensure_ascii=False, indent=1))
PY
