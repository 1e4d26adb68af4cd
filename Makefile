# Every target installs what it needs: a fresh clone with Python 3.11+, Node.js
# and make runs `make demo` or `make test` and nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint typecheck test test-fast bench demo clean synth browser screenshots dashboard-assets

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The slowest end-to-end tests (marked slow or browser: a real browser,
# restarts of canter dev, crash sweeps, schedules firing in real time) mostly
# wait, so they run in a second pytest beside the rest; their output follows.
test: lint typecheck browser
	@$(BIN)/pytest -m "slow or browser" > .slow-tests.log 2>&1 & slow=$$!; \
	$(BIN)/pytest -m "not slow and not browser"; rest=$$?; \
	wait $$slow; slow_rc=$$?; \
	echo "--- the slow end-to-end tests, run beside the rest:"; cat .slow-tests.log; \
	test $$rest -eq 0 -a $$slow_rc -eq 0

test-fast: $(STAMP)
	$(BIN)/pytest -x

bench: $(STAMP)
	$(BIN)/python bench/core.py
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.fanout --write

# Starts `canter dev` and a worker, runs the order workflow in examples/ to
# COMPLETED and stops everything; non-zero exit if any step fails.
demo: $(STAMP)
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis cdk.out node_modules .dashboard-assets

# The CDK CLI from npm into ./node_modules (ignored by git, removed by `make
# clean`). cdk.json runs `python3 app.py`: the venv's bin goes first on PATH so
# that python3 is the one with aws-cdk-lib and the project installed. No
# notices or telemetry: synthesis talks to no network but the registries.
CDK := node_modules/.bin/cdk

$(CDK):
	npm install --no-save --no-package-lock --no-audit --no-fund aws-cdk@2

synth: $(STAMP) $(CDK)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK) synth --quiet --no-notices --no-version-reporting --output cdk.out

# The dashboard's browser tests drive Debian's Chromium through its chromedriver
# (tests/dashboard). As root with apt-get, this installs them; otherwise it
# says what to run and fails, because the browser tests would fail anyway.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
	else \
		echo "The dashboard's browser tests need Chromium and its driver: run" >&2; \
		echo "  sudo apt-get install chromium chromium-driver" >&2; \
		echo "(or point CANTER_CHROMIUM and CANTER_CHROMEDRIVER at a Chromium and its chromedriver)." >&2; \
		exit 1; \
	fi

# The README's dashboard screenshots (docs/screenshots), shot by the browser
# tests; a plain test run shoots into a temporary directory instead.
screenshots: $(STAMP) browser
	CANTER_SCREENSHOTS=1 $(BIN)/pytest -q -m browser tests/dashboard

# The dashboard's graph layout library, pinned and vendored into the package
# (sdk/canter/dashboard/static/vendor) so the dashboard works offline and from
# a wheel. `make dashboard-assets` fetches the pinned version from npm again
# (npm checks the tarball's integrity); commit the result.
DAGRE_VERSION := 3.1.4
VENDOR := sdk/canter/dashboard/static/vendor

dashboard-assets:
	rm -rf .dashboard-assets && mkdir .dashboard-assets
	cd .dashboard-assets && npm pack --silent --no-fund --no-audit @dagrejs/dagre@$(DAGRE_VERSION) >/dev/null \
		&& tar xzf dagrejs-dagre-$(DAGRE_VERSION).tgz
	sed -e '/^\/\/# sourceMappingURL=/d' -e 's/dagre.min.js.LEGAL.txt/dagre.LICENSE/' \
		.dashboard-assets/package/dist/dagre.min.js > $(VENDOR)/dagre.min.js
	cp .dashboard-assets/package/LICENSE $(VENDOR)/dagre.LICENSE
	echo "@dagrejs/dagre $(DAGRE_VERSION)" > $(VENDOR)/VERSIONS
	rm -rf .dashboard-assets
