# Påverkanslotsen – the only entry points, for people and for CI.
#   make run    set up what is missing, train if the data changed, start everything
#   make test   every test: knowledge base, engine, gateway, end to end
SHELL := /bin/bash
.DEFAULT_GOAL := help

ENGINE_VENV := .venv-engine
APP_VENV := .venv-app
ENGINE_PY := $(ENGINE_VENV)/bin/python
APP_PY := $(APP_VENV)/bin/python
PYTHON310 ?= $(shell tools/find-python.sh 3.10)
PYTHON_APP ?= $(shell tools/find-python.sh 3.11+)

HOST ?= 127.0.0.1
PORT ?= 8000
RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
MODEL := models/lotsen.tar.gz
SPACY_PIPELINE := build/spacy/sv/KIND

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup setup-engine setup-app model run test test-engine test-app test-e2e \
        kb-check kb-report bench-latency bench-nlu bench-load bench-engine-cpu bench-emergency clean report test-scale browser screenshots \
        teams-package teams-playground synapse matrix-dev redaction-report check format test-fast

help:
	@echo "make run   – starta Påverkanslotsen på http://$(HOST):$(PORT)"
	@echo "make test  – kör alla tester"

# --- environments -------------------------------------------------------------------------
setup: setup-engine setup-app

setup-engine: $(ENGINE_VENV)/.installed
setup-app: $(APP_VENV)/.installed

$(ENGINE_VENV)/.installed: pyproject.toml constraints/engine.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 saknas: installera den (pyenv install 3.10) eller ange PYTHON310=..."; exit 1; }
	@echo "Skapar motorns miljö (Python 3.10, Rasa 3.6.21) – första gången tar det några minuter …"
	test -x $(ENGINE_PY) || $(PYTHON310) -m venv $(ENGINE_VENV)
	$(ENGINE_PY) -m pip install -q --upgrade "pip<25" "setuptools<81" wheel
	$(ENGINE_PY) -m pip install -q -c constraints/engine.txt -e '.[engine,engine-test,bench]'
	touch $@

$(APP_VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON_APP)" || { echo "Python 3.11+ saknas: installera den eller ange PYTHON_APP=..."; exit 1; }
	@echo "Skapar appens miljö (Python 3.11+) …"
	test -x $(APP_PY) || $(PYTHON_APP) -m venv $(APP_VENV)
	$(APP_PY) -m pip install -q --upgrade pip setuptools wheel
	$(APP_PY) -m pip install -q -e '.[app,app-test]'
	touch $@

# --- engine model ---------------------------------------------------------------------------
$(SPACY_PIPELINE): $(ENGINE_VENV)/.installed bot/spacy_pipeline.py
	$(ENGINE_PY) -m bot.spacy_pipeline

# Always asks bot.train, which retrains only when the data or config changed (content hash).
model: setup-engine $(SPACY_PIPELINE) kb-check
	$(ENGINE_PY) -m bot.train

kb-check: setup-app
	$(APP_PY) -m knowledge.check $(LOTSEN_ORGANISATION_FILE)

# Readability, size, sources and review age per article; flags reviews older than 12 months.
kb-report: setup-app
	$(APP_PY) -m knowledge.report

# Recall of the redaction (knowledge/redact.py) per kind of personal data on a labelled set.
redaction-report: setup-app
	$(APP_PY) -m knowledge.redact_report

# Usage statistics of a period as Markdown + CSV to send on: make report PERIOD=2026-11
# (also 2026, 2026-11-03 or 2026-11-01..2026-11-15; CHANNEL=teams for one channel).
report: setup-app
	@test -n "$(PERIOD)" || { echo "Ange perioden, till exempel: make report PERIOD=2026-11"; exit 2; }
	$(APP_PY) -m gateway.statistics.report --period "$(PERIOD)" $(if $(CHANNEL),--channel "$(CHANNEL)")

# --- run ------------------------------------------------------------------------------------
run: setup model
	$(APP_PY) -m tools.stack --host $(HOST) --port $(PORT) --rasa-port $(RASA_PORT) --actions-port $(ACTIONS_PORT)

# --- tests ----------------------------------------------------------------------------------
test: model test-engine test-app

# Lint and format (ruff) and types (mypy, pyproject.toml [tool.mypy]); CI runs it first.
check: setup-app
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/ruff format --check .
	$(APP_VENV)/bin/mypy

# What `make check` asks for, done: import order, modern syntax, the formatter's layout.
format: setup-app
	$(APP_VENV)/bin/ruff check --fix .
	$(APP_VENV)/bin/ruff format .

# The edit–test loop: unit tests of the app environment, no model, no stack, no browser, spread
# over the cores (pytest-xdist; TEST_FAST_WORKERS=0 runs them in this process, for a debugger).
# Only the plugins it uses: pytest assertion-rewrites every module of an installed plugin's
# package (anyio, hypothesis, schemathesis) when it is imported; test_fuzz.py is slow as a
# whole and would import the last two. Bytecode is cached even where the environment says
# PYTHONDONTWRITEBYTECODE: without it every run compiles the project and rewrites the tests
# again (seconds of CPU per process). `make test` stays the whole truth. Timings: README.md.
TEST_FAST_WORKERS ?= auto
test-fast: export PYTHONDONTWRITEBYTECODE :=
test-fast: setup-app
	$(APP_PY) -m pytest -q -m "not slow" --disable-plugin-autoload -p asyncio -p xdist -n $(TEST_FAST_WORKERS) \
		--ignore=tests/unit/test_fuzz.py --durations=10 tests/unit

test-engine: model
	$(ENGINE_VENV)/bin/rasa data validate --fail-on-warnings --config bot/config.yml \
		--domain bot/domain --data nlu_data bot/rules
	$(ENGINE_PY) -m pytest -q -c tests/engine/pytest.ini --durations=10 tests/engine
	$(ENGINE_VENV)/bin/rasa test core --model $(MODEL) \
		--stories tests/stories --fail-on-prediction-errors --out build/rasa-test-core

test-app: setup-app model browser teams-playground synapse
	$(APP_PY) -m pytest --durations=15 tests/unit tests/widget tests/e2e tests/teams tests/matrix

# Synapse, the Matrix homeserver of tests/matrix and make matrix-dev, in its own environment.
synapse:
	tools/install-synapse.sh "$(PYTHON_APP)"

# A local Synapse plus the whole stack with the Matrix bot; prints how to log in (docs/matrix.md).
MATRIX_PORT ?= 8008
matrix-dev: setup model synapse
	$(APP_PY) -m tools.matrix_dev --port $(PORT) --matrix-port $(MATRIX_PORT) --rasa-port $(RASA_PORT) --actions-port $(ACTIONS_PORT)

# Debian's chromium for the widget tests (Playwright cannot download its own browser here).
browser:
	tools/install-browser.sh

# Microsoft 365 Agents Playground, the Teams client of tests/teams: the locked version (npm ci).
TEAMS_PLAYGROUND := tools/teams-playground/node_modules/.package-lock.json
teams-playground: $(TEAMS_PLAYGROUND)
$(TEAMS_PLAYGROUND): tools/teams-playground/package.json tools/teams-playground/package-lock.json
	@command -v npm >/dev/null || { echo "npm saknas: installera Node.js med npm (apt-get install nodejs npm)"; exit 1; }
	cd tools/teams-playground && npm ci --no-audit --no-fund
	touch $@

# The Teams app to upload (docs/teams.md): LOTSEN_TEAMS_APP_ID=<app id> make teams-package
# builds build/teams/paverkanslotsen-teams.zip from teams/app.yml (or TEAMS_APP_CONFIG=...).
TEAMS_APP_CONFIG ?= teams/app.yml
teams-package: setup-app
	$(APP_PY) -m gateway.teams.package --config "$(TEAMS_APP_CONFIG)" --out build/teams/paverkanslotsen-teams.zip

# PNGs of the open widget answering a question, desktop and 320 px, into docs/screenshots/.
screenshots: setup-app browser model
	$(APP_PY) -m tests.widget.screenshots --out docs/screenshots

# Scale-out: two engine instances on PostgreSQL (tracker store) and Redis (lock store), which
# the test starts itself from Debian's packages (installed here when missing).
test-scale: setup model
	tools/install-services.sh
	$(APP_PY) -m pytest tests/scale

# --- benchmarks -----------------------------------------------------------------------------
bench-latency: setup model
	$(APP_PY) -m bench.latency

# Our NLU pipeline vs Rasa's default config vs BM25 on the held-out set (trains in temp dirs).
# BENCH_NLU_ARGS="--default-epochs 10" for a reduced run of Rasa's default config.
bench-nlu: setup $(SPACY_PIPELINE)
	$(ENGINE_PY) -m bench.nlu $(BENCH_NLU_ARGS)

# 16 and 64 users for 60 s through the gateway, then the same against a `rasa init` bot.
bench-load: setup model
	$(APP_PY) -m bench.load

# CPU per turn and memory of one Rasa process: lean start, LOTSEN_ENGINE_LEAN=0 and stock Rasa
# (LOTSEN_STOCK_RASA=1) in the same run (docs/adr/0006-rasa-patches-fenced.md).
bench-engine-cpu: setup model
	$(APP_PY) -m bench.engine_cpu

# The 112 answer's latency with the engine up, killed, frozen and under 64 users, against
# waiting for the engine as before issue 21 (docs/adr/0003-emergency-answer-never-waits.md).
bench-emergency: setup model
	$(APP_PY) -m bench.emergency

clean:
	rm -rf build models .pytest_cache
