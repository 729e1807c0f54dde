# The workbench's commands. Each target creates and fills .venv itself.
#   make report   run the whole periodic report on the built-in demo data
#   make test     run the whole test suite
#   make lab      open JupyterLab with the project's kernel
#   make bench    run the benchmarks (prints timing tables)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := data/raw/demo
DEMO_CUSTOMERS ?= 20000
SEED   ?= 7

.PHONY: report test lab bench demo-data clean-outputs venv

# The venv is (re)filled whenever pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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

lab: $(BIN)/.installed
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run.py

clean-outputs:
	rm -rf data/processed/* reports/*
	touch data/processed/.gitkeep reports/.gitkeep
