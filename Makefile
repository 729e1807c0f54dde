# The workbench's commands. Each target creates and fills .venv itself.
#   make report   run the whole periodic report on the built-in demo data
#   make test     run the whole test suite
#   make lint     ruff and mypy (configured in pyproject.toml)
#   make lab      open JupyterLab with the project's kernel
#   make bench    run the benchmarks (prints timing tables)
#   make lock     re-resolve requirements/lock.txt from pyproject.toml (keeps pins that still fit)
#   make lock-upgrade   the same, taking the newest versions that fit
#
# .venv is installed from requirements/lock.txt only: every package pinned, with hashes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements/lock.txt
# uv, used only by `make lock`, lives in its own git-ignored venv.
LOCK_VENV  := .venv-lock
UV_VERSION ?= 0.13.9
DEMO   := data/raw/demo
DEMO_CUSTOMERS ?= 20000
SEED   ?= 7

.PHONY: report test lint lab bench demo-data clean-outputs venv lock lock-upgrade

# .venv is made anew whenever the lock or pyproject.toml changes: exactly the locked
# packages (hashes checked, nothing resolved), then the project itself, editable.
$(BIN)/.installed: $(LOCK) pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	$(BIN)/python -m ipykernel install --sys-prefix --name workbench --display-name "Python (workbench)" >/dev/null
	@touch $@

venv: $(BIN)/.installed

$(DEMO)/customers.csv: | $(BIN)/.installed
	$(BIN)/workbench demo-data --out $(DEMO) --customers $(DEMO_CUSTOMERS) --seed $(SEED) --dirty

demo-data: $(DEMO)/customers.csv

report: $(BIN)/.installed $(DEMO)/customers.csv
	$(BIN)/workbench report --config workbench.yaml --out reports

test: $(BIN)/.installed
	$(BIN)/python -m pytest

# Both checks run; the target fails if either does.
lint: $(BIN)/.installed
	@status=0; \
	$(BIN)/ruff check src tests benchmarks || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

lab: $(BIN)/.installed
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run.py

$(LOCK_VENV)/bin/uv:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION)

# One resolution for Python 3.11+ on every platform (--universal), runtime, test and lint
# dependencies, plus the build-system requirements (setuptools, wheel) so that the
# project installs with --no-build-isolation from the lock alone.
lock lock-upgrade: $(LOCK_VENV)/bin/uv
	@mkdir -p $(dir $(LOCK))
	$(LOCK_VENV)/bin/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' > $(LOCK_VENV)/build-requires.txt
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml $(LOCK_VENV)/build-requires.txt \
	    --extra test --extra lint --universal --python-version 3.11 --generate-hashes \
	    $(if $(filter lock-upgrade,$@),--upgrade) \
	    --custom-compile-command "make lock" --quiet -o $(LOCK)

clean-outputs:
	rm -rf data/processed/* reports/*
	touch data/processed/.gitkeep reports/.gitkeep
