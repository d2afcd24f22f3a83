# The few commands people type. `make run` and `make test` do all set-up on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST_ARGS ?=
ARGS   ?=

.PHONY: install run test lint eval bench index browser

install: $(VENV)/.installed

# torch first, pinned: a plain `torch` requirement would pull a multi-GB CUDA build. The install also
# compiles the e5 engine (assistant/native/e5.c), hence its source is a prerequisite.
$(VENV)/.installed: pyproject.toml assistant/native/e5.c
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

run: install
	$(PY) app.py $(ARGS)

index: install
	$(PY) -m assistant index build $(ARGS)

# Debian's Chromium for the browser tests (Playwright's own browser download is not reachable).
browser:
	@test -x /usr/bin/chromium && fc-list :lang=zh | grep -q . || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)
	@test -x /usr/bin/chromium

test: install browser
	$(PY) -m pytest -m "not slow" --durations 15 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check assistant tests evals app.py
	$(VENV)/bin/ruff format --check assistant tests evals app.py

eval: install
	$(PY) -m assistant eval $(ARGS)

# BENCH_VS: another checkout to measure in the same run, e.g. `git worktree add ../old <commit>` then
# `make bench BENCH_VS=../old ARGS=--no-query-cache` (ratios hold while the machine's speed drifts)
BENCH_VS ?=
bench: install
	$(PY) evals/batch_curve.py
	$(PY) evals/engine_pool.py
	$(PY) evals/latency.py $(if $(BENCH_VS),--vs $(BENCH_VS) --rounds 1)
	$(PY) evals/profile.py
	$(PY) evals/bench.py $(if $(BENCH_VS),--vs $(BENCH_VS)) $(ARGS)
