# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    create .venv if missing, install, open the GUI
#   make test   same set-up, then the whole test suite headless, on two processes
#   make test-fast  the tests that train nothing and start no TensorFlow process
#   make test-deep  the whole suite with many more Hypothesis examples
# The install runs again only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: run test test-fast test-deep bench readme clean

# pytest-xdist: one worker a core (this machine and CI have two)
WORKERS ?= 2
XDIST := -n $(WORKERS)
# The Ray tests start worker processes of their own, so they run after the rest, with
# both cores to themselves: beside the heaviest Keras tests Ray's health checks can
# time out on two cores and declare its own node dead.
CLUSTER_TESTS := tests/cluster

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -q -e '.[test,ray]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cnnstudio $(FILE)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(XDIST) --ignore=$(CLUSTER_TESTS) $(PYTEST_ARGS)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(CLUSTER_TESTS) $(PYTEST_ARGS)

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(XDIST) -m "not slow" $(PYTEST_ARGS)

test-deep: $(STAMP)
	QT_QPA_PLATFORM=offscreen HYPOTHESIS_PROFILE=deep $(PY) -m pytest $(XDIST) --ignore=$(CLUSTER_TESTS) $(PYTEST_ARGS)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(CLUSTER_TESTS) $(PYTEST_ARGS)

bench: $(STAMP)
	for script in tests/benchmarks/bench_*.py; do QT_QPA_PLATFORM=offscreen $(PY) $$script || exit 1; done

readme: $(STAMP)
	$(PY) -m cnnstudio.docs README.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis tests/output
