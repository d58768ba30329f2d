# The two commands: `make demo` and `make test`. Both set up a fresh machine themselves.
VENV := .venv
PY := $(VENV)/bin/python
# warnings are errors in CI
WERROR ?= $(if $(CI),ON,OFF)

.PHONY: demo test build setup cpp-test py-test clean

$(VENV)/.ready: scripts/setup.sh
	bash scripts/setup.sh
	touch $@

setup: $(VENV)/.ready

# Editable install of the package; rebuilds incrementally in build/<wheel tag>.
build: setup
	$(PY) -m pip install -q --no-build-isolation --no-deps -e . -Ccmake.define.THUNDER_WERROR=$(WERROR)

demo: build
	$(PY) examples/demo.py

# C++ tests (GoogleTest through ctest), then the Python tests.
test: build cpp-test py-test

cpp-test: setup
	@export PATH="$(CURDIR)/$(VENV)/bin:$$PATH"; \
	if [ -f /usr/include/gtest/gtest.h ]; then \
	  cmake -S . -B build/cpp -G Ninja -DTHUNDER_BUILD_PYTHON=OFF -DTHUNDER_BUILD_TESTS=ON -DTHUNDER_WERROR=$(WERROR) >/dev/null && \
	  cmake --build build/cpp && \
	  ctest --test-dir build/cpp --output-on-failure -j2; \
	else echo "cpp-test: GoogleTest not found, C++ tests skipped"; fi

py-test: build
	$(PY) -m pytest -q tests/python

clean:
	rm -rf build $(VENV)
