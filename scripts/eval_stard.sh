#!/usr/bin/env bash
# Retrieval benchmark on STARD (see docs/benchmarks.md): both modes, both baselines, all presets.
#
#   scripts/eval_stard.sh [extra `policykb eval retrieval` options]
#
# STARD_DIR points at the BEIR folder (default ../shared/bench/stard); nothing from it is
# committed. The first run builds two bases (about an hour of encoding on 2 cores), later runs
# reuse them from data/eval-cache. Reports go to data/eval/stard/{passage,e2e}/.
set -euo pipefail
cd "$(dirname "$0")/.."
STARD_DIR="${STARD_DIR:-../shared/bench/stard}"
if [[ ! -f "$STARD_DIR/corpus.jsonl" || ! -d "$STARD_DIR/laws" ]]; then
    echo "STARD data not found in $STARD_DIR (expected corpus.jsonl, queries.jsonl, qrels/ and laws/)." >&2
    echo "Set STARD_DIR to the folder holding it; this benchmark does not run without it." >&2
    exit 2
fi
POLICYKB="${POLICYKB:-.venv/bin/policykb}"
# The recorded tables are exact search; the default switches a base of this size to IVF.
export POLICYKB_DENSE_INDEX="${POLICYKB_DENSE_INDEX:-flat}"
exec "$POLICYKB" eval retrieval "$STARD_DIR" --docs "$STARD_DIR/laws" --mode passage --mode e2e \
    --config bm25 --config dense --config hybrid-rrf --config hybrid-convex --config hybrid-convex+doc \
    --out data/eval/stard "$@"
