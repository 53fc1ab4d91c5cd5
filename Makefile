# PictureUs: `make run` serves the site with a worker; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch that lies on this machine's disk; a newer one pulls CUDA.
TORCH_PIN ?= torch==2.13.0
# The portraits' invisible watermark, without its dependencies (see the `ml` extra).
WATERMARK_PIN ?= invisible-watermark==0.2.0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast mutate install lint typecheck format messages demo worker clean system-run \
	system-test

# System packages, each with the check that says it is there (`check:package`). `make run` needs
# gettext; `make test` also needs Debian's Chromium for the browser journeys, Java for the Nu
# HTML checker, npm for axe-core and vnu-jar, and a font with Korean for the screenshots.
RUN_PACKAGES := msgfmt:gettext
TEST_PACKAGES := $(RUN_PACKAGES) chromium:chromium java:default-jre-headless npm:npm \
	korean-font:fonts-noto-cjk

# Installs with apt-get what is missing (as root, or through sudo), says what, and does nothing
# when everything is there.
define system_packages
	@missing=""; \
	for pair in $(1); do \
	  check=$${pair%%:*}; package=$${pair#*:}; \
	  if [ "$$check" = korean-font ]; then fc-list :lang=ko 2>/dev/null | grep -q . && continue; \
	  elif [ "$$check" = chromium ] && [ -n "$$PICTUREUS_CHROMIUM" ]; then continue; \
	  else command -v "$$check" >/dev/null 2>&1 && continue; fi; \
	  missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	  else echo "make: these system packages are missing:$$missing (install them as root)" >&2; exit 1; fi; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

system-run:
	$(call system_packages,$(RUN_PACKAGES))

system-test:
	$(call system_packages,$(TEST_PACKAGES))

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_PIN)" -e ".[ml,dev]"
	$(BIN)/pip install --quiet --no-deps "$(WATERMARK_PIN)"
	touch $@

install: $(VENV)/.installed

locale/ko/LC_MESSAGES/django.mo: locale/ko/LC_MESSAGES/django.po | $(BIN)/python system-run
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

messages: install
	$(BIN)/python manage.py makemessages -l ko --no-location --ignore=.venv --ignore=node_modules --ignore=var
	$(BIN)/python manage.py makemessages -d djangojs -l ko --no-location --ignore=.venv --ignore=node_modules --ignore=var --ignore=staticfiles

run: demo
	@echo "PictureUs on http://$(HOST):$(PORT)/ (demo logins are printed above); Ctrl-C stops it"
	$(BIN)/python manage.py serve $(HOST):$(PORT)

# Migrate and load the demo catalogue and logins (safe to run again).
demo: install locale/ko/LC_MESSAGES/django.mo
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo

worker: install
	$(BIN)/celery -A pictureus worker -Q default,gpu --concurrency 1 --beat --loglevel INFO

# axe-core and the Nu HTML checker, which the browser journeys run on every page. No install
# scripts: vnu-jar's would fetch a Java of its own; Debian's is used.
node_modules/.package-lock.json: package.json package-lock.json | system-test
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# The types and the import contracts first: seconds once .mypy_cache is warm, about a minute on
# a fresh machine.
test: system-test install locale/ko/LC_MESSAGES/django.mo node_modules/.package-lock.json
	$(MYPY)
	$(BIN)/lint-imports
	OMP_NUM_THREADS=1 PICTUREUS_TESTING=1 $(BIN)/pytest $(PYTEST_ARGS)

# Everything but the journeys in a real browser.
test-fast: install locale/ko/LC_MESSAGES/django.mo
	OMP_NUM_THREADS=1 PICTUREUS_TESTING=1 $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

# Mutation testing of the privacy code against the promise tests: a report, not a gate.
# MUTATE_ARGS="--module privacy/middleware.py --list-survivors", or "--sample 100", narrows it.
mutate: install locale/ko/LC_MESSAGES/django.mo
	OMP_NUM_THREADS=1 PICTUREUS_TESTING=1 $(BIN)/python tests/mutate.py $(MUTATE_ARGS)

# mypy with django-stubs over the apps and the project package, as pyproject.toml says; the
# plugin imports the settings (local defaults, test data folder).
MYPY := PICTUREUS_TESTING=1 $(BIN)/mypy

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY)
	$(BIN)/lint-imports

typecheck: install
	$(MYPY)

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles
