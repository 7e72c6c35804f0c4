# shuup-mailchimp: the two commands are `make demo` and `make test` (see README.rst).
SHELL := /bin/bash
PYTHON_BIN ?= $(shell p="$$(pyenv root 2>/dev/null)/versions/3.9.18/bin/python"; if [ -x "$$p" ]; then echo "$$p"; else command -v python3.9; fi)
VENV ?= .venv
PY := $(VENV)/bin/python
EMULATOR_PORT ?= 8765
PG_URL ?= postgres://postgres@127.0.0.1:5432/shuup_mailchimp
REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: install demo run worker emulator stop-emulator test test-sqlite test-postgres bench clean

$(VENV)/.installed: requirements-lock.txt setup.py
	@test -n "$(PYTHON_BIN)" || { echo "Python 3.9 not found: install 3.9.18 with pyenv or put python3.9 on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install -qq "pip==24.0"
	$(PY) -m pip install -qq --no-deps -r requirements-lock.txt
	$(PY) -m pip install -qq --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

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

emulator: install
	$(PY) -m shuup_mailchimp.testing.emulator --port $(EMULATOR_PORT) --list "Demo audience"

stop-emulator:
	-$(PY) -m shuup_mailchimp.testing.emulator --pidfile var/emulator.pid --stop

## test: the whole suite, on SQLite (in-process tasks) and on PostgreSQL + Redis
test: install
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache
