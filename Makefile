# shuup-mailchimp: the two commands are `make demo` and `make test` (see README.rst).
SHELL := /bin/bash
PYTHON_BIN ?= $(shell p="$$(pyenv root 2>/dev/null)/versions/3.9.18/bin/python"; if [ -x "$$p" ]; then echo "$$p"; else command -v python3.9; fi)
VENV ?= .venv
PY := $(VENV)/bin/python
EMULATOR_PORT ?= 8765
PG_URL ?= postgres://postgres@127.0.0.1:5432/shuup_mailchimp
REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: install messages makemessages demo run worker emulator stop-emulator test test-sqlite test-postgres test-browser \
	browser-deps install-check bench mutation reliability reliability-short clean

$(VENV)/.installed: requirements-lock.txt setup.py
	@test -n "$(PYTHON_BIN)" || { echo "Python 3.9 not found: install 3.9.18 with pyenv or put python3.9 on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install -qq "pip==24.0"
	$(PY) -m pip install -qq --no-deps -r requirements-lock.txt
	$(PY) -m pip install -qq --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed messages

## messages: compile the translations (en, fi) with Babel's pybabel (from the pinned lock)
MO_FILES := $(patsubst %.po,%.mo,$(wildcard shuup_mailchimp/locale/*/LC_MESSAGES/*.po))
messages: $(MO_FILES)

# Babel (in the lock) compiles them: no system package needed on a fresh machine.
shuup_mailchimp/locale/%.mo: shuup_mailchimp/locale/%.po $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -i $< -o $@

## makemessages: extract the admin's strings into shuup_mailchimp/locale/{en,fi} (then translate the new ones)
makemessages: install
	mkdir -p var
	PYTHONPATH=. DJANGO_SETTINGS_MODULE=tests.settings $(VENV)/bin/pybabel extract -F tools/babel.cfg --no-location \
		-k ugettext -k ugettext_lazy -k "ungettext:1,2" -k "pgettext:1c,2" -o var/django.pot . >/dev/null
	for lang in en fi; do $(VENV)/bin/pybabel update -i var/django.pot -D django -d shuup_mailchimp/locale -l $$lang \
		--no-fuzzy-matching -w 120; done
	$(MAKE) --no-print-directory messages

## browser-deps: headless Chromium and its driver from Debian (Selenium comes from the lock)
browser-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing chromium and chromium-driver (Debian)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "Install chromium and chromium-driver (apt-get install chromium chromium-driver) for the browser tests"; exit 1; fi

## demo: set everything up, build a demo shop, sync it to the local Mailchimp emulator, print the result
demo: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py mailchimp_demo --emulator-port $(EMULATOR_PORT)

## run: the demo shop's web server, pointed at the emulator started by `make demo`
run: install
	SHUUP_MAILCHIMP_API_URL=http://127.0.0.1:$(EMULATOR_PORT)/3.0/ $(PY) manage.py runserver 127.0.0.1:8000

## worker: Celery worker + beat for the demo project (export CELERY_BROKER_URL for `make run` too)
worker: install
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} SHUUP_MAILCHIMP_API_URL=http://127.0.0.1:$(EMULATOR_PORT)/3.0/ \
		$(VENV)/bin/celery -A shuup_mailchimp.testing.project worker -B -s var/celerybeat-schedule -l info -c 2

## emulator: the demo's emulator in the foreground; its state survives restarts (var/emulator-state.json)
emulator: install
	mkdir -p var
	$(PY) -m shuup_mailchimp.testing.emulator --port $(EMULATOR_PORT) --list "Demo audience" --list-id d3m0a0d1e5 \
		--state-file var/emulator-state.json --pidfile var/emulator.pid --resolve demo-shop.test:8000=127.0.0.1:8000

stop-emulator:
	-$(PY) -m shuup_mailchimp.testing.emulator --pidfile var/emulator.pid --stop

## test: the whole suite, on SQLite (in-process tasks) and on PostgreSQL + Redis; the browser tests run in the
## SQLite pass (headless Chromium, screenshots in var/screenshots/); then the reliability suite's short mode
## (figures in var/reliability-short/report.md)
# The hostile-input cases run on SQLite inside the reliability suite (its hostile_input scenario counts
# them), so the SQLite pass leaves them to it; the PostgreSQL pass runs them too.
HOSTILE := --ignore=tests/test_hostile_input.py --ignore=tests/test_hostile_secrets.py
test: install browser-deps
	$(MAKE) --no-print-directory test-sqlite PYTEST_ARGS="$(PYTEST_ARGS) $(HOSTILE)"
	$(MAKE) --no-print-directory test-postgres PYTEST_ARGS="$(PYTEST_ARGS) --ignore=tests/browser"
	$(MAKE) --no-print-directory reliability-short

## reliability: the reliability suite at full size (PostgreSQL, Redis, real Celery workers; ~20 min);
## regenerates docs/reliability.md
reliability: install
	$(PY) bench/reliability/run.py --mode long --doc docs/reliability.md

reliability-short: install
	$(PY) bench/reliability/run.py --mode short

## test-browser: only the browser tests
test-browser: install browser-deps
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

## install-check: the README's "Installing in your own Shuup project", run for real in a fresh venv (~3 min)
install-check: install
	bash bench/install_check.sh

test-sqlite: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/run_all.py

## mutation: hand-made mutants of the sync path (tools/mutants.py), each run against the tests in a temp
## copy of the tree (never the working tree); prints survivors and the kill rate (~7 min on 2 cores)
MUTATION_ARGS ?=
mutation: install
	$(PY) tools/mutation.py $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
