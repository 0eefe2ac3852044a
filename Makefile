# Two commands: `make run` starts netvigil, `make test` runs the tests.
# Both create the virtual environment in .venv and install netvigil into it when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

run: $(STAMP)
	$(VENV)/bin/netvigil up $(ARGS)

test: $(STAMP)
	$(PY) -m pytest

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: install Debian's python3-venv (apt-get install python3-venv)"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) data .pytest_cache
