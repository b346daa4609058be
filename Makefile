# Livia — make demo | make test | make run | make bench   (as root, on Debian)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEB_PACKAGES := haproxy keepalived nftables iproute2 iputils-ping procps psmisc libpcre2-8-0 \
	util-linux mount wrk nginx-light postgresql python3-venv curl
STAMP := $(VENV)/.installed

.PHONY: setup deps venv run demo test lint unit functional e2e clients bench clean cleanup

setup: deps venv

# Debian packages: installed only when one is missing, so a second run costs nothing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/livia serve

demo: setup
	$(BIN)/python -m livia.cli.demo

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: setup
	$(BIN)/pytest -q tests/unit

functional: setup
	$(BIN)/pytest -q tests/functional

e2e: setup
	$(BIN)/pytest -q tests/e2e

clients: setup
	$(BIN)/pytest -q tests/clients

test: setup lint
	$(BIN)/pytest -q -p no:cacheprovider tests

bench: setup
	$(BIN)/python -m bench.run_all

cleanup: setup
	$(BIN)/livia cleanup

clean:
	rm -rf $(VENV) build src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
