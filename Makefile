# Fleeing to Canada: `make book` builds every edition into dist/, `make test` tests.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# JOBS=N runs at most N worker processes (default: one per core the build may use).
BUILD  := $(PYTHON) build.py $(if $(JOBS),--jobs $(JOBS))

.DEFAULT_GOAL := book
.PHONY: book html epub pdf check test clean system-deps translations new-language validate tools bench \
        languages index release linkcheck bytecode

# The virtual environment, re-installed when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Where PYTHONDONTWRITEBYTECODE is set (as in many containers), Python would
# compile this package again at every build's start (0.1 s); it is compiled
# here instead, in a few milliseconds when nothing changed.  Errors are left
# to the build, which reports them.
bytecode: $(STAMP)
	@$(PYTHON) -m compileall -qq bookbuild || true

# System packages (Debian): Java for EPUBCheck, HarfBuzz's subsetter so that
# WeasyPrint embeds small, reproducible fonts, and Pango for WeasyPrint.
# Skipped when already present; uses sudo when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@missing=""; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	ldconfig -p | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0"; \
	ldconfig -p | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	python3 -c 'import ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

# LANGS=fr builds only those language editions (every edition is still
# checked); the forge's CI builds each language on its own runner this way.
LANG_ARGS := $(foreach lang,$(LANGS),--lang $(lang))
book: system-deps $(STAMP) bytecode
	$(BUILD) build $(LANG_ARGS)

html epub pdf: system-deps $(STAMP) bytecode
	$(BUILD) build --format $@ $(LANG_ARGS)

# Publishing (see .forgejo/workflows/book.yml): the language codes as JSON,
# the download page redrawn after editions built apart are merged into
# dist/, and the release files packaged into release/.
languages: $(STAMP)
	@$(BUILD) languages

index: $(STAMP)
	$(BUILD) index

release: $(STAMP)
	$(BUILD) release

check: $(STAMP)
	$(BUILD) check

# A live preview of the HTML edition on 127.0.0.1, rebuilt and reloaded on each
# save: PORT=8000 by default (PORT=0 picks a free one), LANG=fr opens French.
.PHONY: serve
serve: system-deps $(STAMP) bytecode
	$(BUILD) serve $(if $(PORT),--port $(PORT)) $(if $(BOOK_LANG),--lang $(BOOK_LANG))

# Every external link of chapters and tables, fetched (the only build.py
# command that goes to the web; never part of make test).  Good links are cached in
# .cache/linkcheck.json; FORCE=1 fetches them all again.
linkcheck: $(STAMP)
	$(BUILD) linkcheck $(if $(FORCE),--force)

# DAISY Ace, the EPUB accessibility checker, from the npm registry.  Its
# Electron runner downloads a binary at install time, which cannot work here,
# so install scripts are skipped and Ace drives Debian's Chromium instead.
ACE := .tools/node_modules/.bin/ace-puppeteer
$(ACE):
	mkdir -p .tools
	cd .tools && npm install --silent --no-audit --no-fund --ignore-scripts @daisy/ace@1.4.6
tools: system-deps $(ACE)

# The benchmark (not part of make test): SIZES and RUNS may be given.
SIZES ?= 10 50 200
RUNS  ?= 3
bench: system-deps $(STAMP) bytecode
	$(PYTHON) -m pip install --quiet -e '.[bench]'
	$(PYTHON) bench/run.py --sizes $(SIZES) --runs $(RUNS)

# Every validator on the editions in dist/: EPUBCheck, v.Nu, Ace, PDF checks.
validate: tools book
	$(BUILD) validate

# Translators: what is translated, stale or missing (LANG=fr for one language,
# DIFF=1 to see how the source changed), and a new language (LANG=es).
# LANG only counts when given on the command line: the environment's LANG is the locale.
BOOK_LANG := $(if $(filter command line,$(origin LANG)),$(LANG))
translations: $(STAMP)
	$(BUILD) translations $(BOOK_LANG) $(if $(DIFF),--diff)

new-language: $(STAMP)
	@test -n "$(BOOK_LANG)" || { echo "usage: make new-language LANG=es"; exit 2; }
	$(BUILD) new-language $(BOOK_LANG)

test: tools $(STAMP) bytecode
	$(BUILD) check
	$(PYTHON) -m pytest

clean:
	rm -rf dist release .test-artifacts .cache .tools .pytest_cache .hypothesis .dist-* .dist.lock
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
