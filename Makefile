# The two commands of the project: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Settings default SITE_URL (the links in e-mails) from the port served.
export PORT

.PHONY: run test install install-dev migrate worker beat check-deploy clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --no-input

run: migrate
	$(PY) manage.py seed_demo --if-empty
	@echo
	@echo "PRM is running on http://127.0.0.1:$(PORT)/  (stop with Ctrl-C)"
	@echo "Demo accounts, password prm-demo-2026:"
	@echo "  admin@demo.test (admin)      manager@demo.test (manager)"
	@echo "  finance@demo.test, finance2@demo.test (finance)"
	@echo "  alice@acme.demo.test (partner admin, Acme)   carol@acme.demo.test (partner rep, Acme)"
	@echo "  bob@globex.demo.test (partner admin, Globex)"
	@echo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# DATABASE_URL when set; else the PostgreSQL on 127.0.0.1:5432 when it answers; else SQLite.
test: install-dev
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		export DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm; \
	fi; \
	if [ -n "$$DATABASE_URL" ]; then echo "make test: database $${DATABASE_URL%%\?*}"; else echo "make test: database SQLite (no PostgreSQL answered on 127.0.0.1:5432)"; fi; \
	$(PY) -m pytest $(PYTEST_ARGS)

worker: install
	$(VENV)/bin/celery -A prm worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A prm beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
