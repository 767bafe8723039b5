# Fleeing to Canada: `make book` builds every edition into dist/, `make test` tests.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BUILD  := $(PYTHON) build.py

.DEFAULT_GOAL := book
.PHONY: book html epub pdf check test clean system-deps translations new-language

# The virtual environment, re-installed when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# System packages (Debian): Java for EPUBCheck, HarfBuzz's subsetter so that
# WeasyPrint embeds small, reproducible fonts, and Pango for WeasyPrint.
# Skipped when already present; uses sudo when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@missing=""; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	ldconfig -p | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0"; \
	ldconfig -p | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

book: system-deps $(STAMP)
	$(BUILD) build

html epub pdf: system-deps $(STAMP)
	$(BUILD) build --format $@

check: $(STAMP)
	$(BUILD) check

# Translators: what is translated, stale or missing (LANG=fr for one language,
# DIFF=1 to see how the source changed), and a new language (LANG=es).
# LANG only counts when given on the command line: the environment's LANG is the locale.
BOOK_LANG := $(if $(filter command line,$(origin LANG)),$(LANG))
translations: $(STAMP)
	$(BUILD) translations $(BOOK_LANG) $(if $(DIFF),--diff)

new-language: $(STAMP)
	@test -n "$(BOOK_LANG)" || { echo "usage: make new-language LANG=es"; exit 2; }
	$(BUILD) new-language $(BOOK_LANG)

test: system-deps $(STAMP)
	$(BUILD) check
	$(PYTHON) -m pytest

clean:
	rm -rf dist .cache .pytest_cache .hypothesis .dist-* .dist.lock
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
