# Two commands for a newcomer:  `make app`  and  `make test`.  Each creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DATA   ?= $(if $(NORMGEN_DATA),$(NORMGEN_DATA),$(CURDIR)/../shared/data)

.PHONY: app test lint bench zoo clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

app: $(VENV)/.runtime  ## set up and launch the app on http://127.0.0.1:7860
	$(PY) app.py

test: $(VENV)/.dev  ## set up and run lint + the whole test suite
	$(PY) -m ruff check .
	NORMGEN_DATA="$(DATA)" $(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .

bench: $(VENV)/.runtime  ## speed benchmark (add ARGS=--quick for a ~3 minute run)
	NORMGEN_DATA="$(DATA)" $(PY) -m normgen bench $(ARGS)

ZOO_ARGS ?= build --priority 6 --workers 2
zoo: $(VENV)/.runtime  ## rebuild the pretrained zoo (resumable; ARGS overrides ZOO_ARGS)
	NORMGEN_DATA="$(DATA)" $(PY) -m normgen zoo $(if $(ARGS),$(ARGS),$(ZOO_ARGS))

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
