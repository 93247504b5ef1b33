#!/usr/bin/env bash
# Retriever tuning on STARD (see docs/benchmarks.md, "Tuned model"): fine-tune m3e-small on a
# fixed 80 % of the train questions, then measure the original and the tuned model on the
# other 20 % in both modes, with both baselines.
#
#   scripts/tune_stard.sh
#
# STARD_DIR points at the BEIR folder (default ../shared/bench/stard); nothing from it is
# committed. Needs the bases of scripts/eval_stard.sh (built on first use). On 2 cores:
# about 35 min of training, then one encoding of each base with the tuned model (about an hour).
# Reports go to data/eval/stard-validation/{original,tuned}/{passage,e2e}/.
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
NAME="${NAME:-stard-train80}"
BASE="$("$POLICYKB" eval base "$STARD_DIR" --mode passage)"
MODEL="$BASE/models/$NAME"
if [[ ! -f "$MODEL/tune.json" ]]; then
    "$POLICYKB" --kb "$BASE" tune --queries "$STARD_DIR/queries.jsonl" --qrels "$STARD_DIR/qrels/train.tsv" \
        --name "$NAME" --epochs 3 --validation-share 0.2 --seed 42
fi
for model in original tuned; do
    if [[ $model == tuned ]]; then export POLICYKB_EMBEDDING_MODEL="$MODEL"; fi
    "$POLICYKB" eval retrieval "$STARD_DIR" --qrels "$MODEL/validation-qrels.tsv" \
        --docs "$STARD_DIR/laws" --mode passage --mode e2e \
        --config bm25 --config dense --config hybrid-convex --config hybrid-convex+doc \
        --out "data/eval/stard-validation/$model"
done
