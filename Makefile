# Asisten Karier ASN: every target does its own setup (venvs, dependencies) first.
#   make run    start the whole assistant on embedded defaults (SQLite, no Telegram token needed)
#   make test   run every test (SQLite and PostgreSQL)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup run test lint format train nlu-report bench clean

setup:
	@scripts/setup.sh

run: setup
	@scripts/run.sh

test: setup
	@scripts/train.sh
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

train: setup
	@scripts/train.sh

bench: setup
	$(PY) -m bench.roster_import
	$(PY) -m bench.nlu_train
	$(PY) -m bench.reminders
	$(PY) -m bench.broadcast
	$(PY) -m bench.latency

# 5-fold cross-validation of the NLU model; the report lands in nlu/results/cv.
nlu-report: setup
	.venv/bin/asnbot nlu generate
	cd nlu && RASA_TELEMETRY_ENABLED=false ../.venv-rasa/bin/rasa test nlu --domain domain --cross-validation --folds 5 --out results/cv
	$(PY) -c "import json; r = json.load(open('nlu/results/cv/intent_report.json')); m, w = r['macro avg'], r['weighted avg']; print(f\"intent macro-F1 {m['f1-score']:.4f}, weighted-F1 {w['f1-score']:.4f} (nlu/results/cv/intent_report.json)\")"

clean:
	rm -rf $(VENV) .venv-rasa nlu/models var .pytest_cache .mypy_cache .ruff_cache
