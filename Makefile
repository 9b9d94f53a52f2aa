# netbank: `make run` serves the demo, `make test` runs the whole suite. Both do their own
# set-up on a bare Debian 12 machine with Python 3.11 (as root, or with sudo).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# System packages the test suite drives for real.
TEST_SYSTEM_PACKAGES := postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get
PYTEST_ARGS ?=
AXE_CORE := axe-core@4.14.1
AXE := .cache/npm/node_modules/axe-core/axe.min.js

# The demo's HSM: SoftHSM2 tokens of its own in the data folder, their PINs only in hsm.env
# there (0600), so that the institutions' PKI (UKEYs) and the cloud financial certificate run.
DATA_DIR := $(or $(NETBANK_DATA_DIR),var)

.PHONY: run test lint system-packages run-system-packages clean

run: $(VENV)/.run-installed run-system-packages
	$(BIN)/netbank demo-hsm
	set -a && . "$(DATA_DIR)/hsm.env" && set +a && \
	  $(BIN)/netbank migrate && \
	  $(BIN)/netbank load-demo --if-empty && \
	  echo "netbank: http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/docs)" && \
	  echo "SMS / ARS / app codes are delivered to $(DATA_DIR)/outbox.log: .venv/bin/netbank outbox tail -f" && \
	  echo "demo TOTP codes: .venv/bin/netbank otp code edb 100002" && \
	  exec $(BIN)/netbank serve

test: system-packages lint $(AXE)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# --- set-up ---------------------------------------------------------------------------------

$(VENV)/bin/python:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "installing python3-venv"; $(APT) update -q && $(APT) install -y -q python3-venv; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: $(VENV)/bin/python pyproject.toml constraints.txt
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/bin/python pyproject.toml constraints.txt
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.run-installed

system-packages:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v oathtool >/dev/null 2>&1 || missing="$$missing oathtool"; \
	[ -e /usr/lib/softhsm/libsofthsm2.so ] || missing="$$missing softhsm2"; \
	command -v pkcs11-tool >/dev/null 2>&1 || missing="$$missing opensc"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	[ -x /usr/lib/chromium/chromium ] || missing="$$missing chromium"; \
	[ -e /usr/bin/npm ] || missing="$$missing npm"; \
	[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing="$$missing fonts-wqy-zenhei"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(APT) update -q && $(APT) install -y -q --no-install-recommends $$missing; \
	fi

run-system-packages:
	@command -v softhsm2-util >/dev/null 2>&1 || { \
	  echo "installing system packages: softhsm2"; \
	  $(APT) update -q && $(APT) install -y -q --no-install-recommends softhsm2; }

# axe-core checks every page the browser tests visit (tests/browser); from npm, not committed.
$(AXE): | system-packages
	npm install --no-save --no-audit --no-fund --prefix .cache/npm $(AXE_CORE)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .ruff_cache .mypy_cache test-artifacts .cache
