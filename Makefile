# PictureUs: `make run` serves the site with a worker; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch that lies on this machine's disk; a newer one pulls CUDA.
TORCH_PIN ?= torch==2.13.0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast mutate install lint format messages demo worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_PIN)" -e ".[ml,dev]"
	touch $@

install: $(VENV)/.installed

locale/ko/LC_MESSAGES/django.mo: locale/ko/LC_MESSAGES/django.po | $(BIN)/python
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

messages: install
	$(BIN)/python manage.py makemessages -l ko --no-location --ignore=.venv --ignore=node_modules --ignore=var
	$(BIN)/python manage.py makemessages -d djangojs -l ko --no-location --ignore=.venv --ignore=node_modules --ignore=var --ignore=staticfiles

run: install locale/ko/LC_MESSAGES/django.mo
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	@echo "PictureUs on http://$(HOST):$(PORT)/ (demo logins are printed above)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A pictureus worker -Q default,gpu --concurrency 1 --beat --loglevel INFO & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install
	$(BIN)/celery -A pictureus worker -Q default,gpu --concurrency 1 --beat --loglevel INFO

# axe-core and the Nu HTML checker, which the browser journeys run on every page. No install
# scripts: vnu-jar's would fetch a Java of its own; Debian's is used.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

test: install locale/ko/LC_MESSAGES/django.mo node_modules/.package-lock.json
	OMP_NUM_THREADS=1 PICTUREUS_TESTING=1 $(BIN)/pytest $(PYTEST_ARGS)

# Everything but the journeys in a real browser.
test-fast: install locale/ko/LC_MESSAGES/django.mo
	OMP_NUM_THREADS=1 PICTUREUS_TESTING=1 $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

# Mutation testing of the privacy code against the promise tests: a report, not a gate.
# MUTATE_ARGS="--module privacy/middleware.py --list-survivors", or "--sample 100", narrows it.
mutate: install locale/ko/LC_MESSAGES/django.mo
	OMP_NUM_THREADS=1 PICTUREUS_TESTING=1 $(BIN)/python tests/mutate.py $(MUTATE_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles
