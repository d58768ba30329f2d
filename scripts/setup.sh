#!/usr/bin/env bash
# Prepares a fresh machine for building and testing thunder: a .venv that also sees the system's
# packages (so a preinstalled torch is used as is), torch==2.13.0 only where no torch imports, the
# Python build tools where missing, and GoogleTest from Debian where missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=$(command -v "${PYTHON:-python3}")
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv --system-site-packages .venv
  # When python3 is itself a virtual environment (as on machines with a preinstalled torch), the
  # new venv sees only the base interpreter's packages: point it at the parent's as well.
  parent_site=$("$PYTHON" -c 'import site, sys; print("\n".join(site.getsitepackages()) if sys.prefix != sys.base_prefix else "")')
  if [ -n "$parent_site" ]; then
    venv_site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$parent_site" > "$venv_site/_thunder_parent_env.pth"
  fi
fi
PY=.venv/bin/python

has() { "$PY" -c "import $1" >/dev/null 2>&1; }

# Never let pip resolve an unpinned torch: it would fetch a multi-GB CUDA build.
if ! has torch; then
  "$PY" -m pip install -q "torch==2.13.0"
fi
missing=()
has nanobind || missing+=("nanobind>=2.0")
has scikit_build_core || missing+=("scikit-build-core>=0.10")
has pytest || missing+=("pytest")
command -v ninja >/dev/null 2>&1 || has ninja || missing+=("ninja")
command -v cmake >/dev/null 2>&1 || has cmake || missing+=("cmake")
if [ ${#missing[@]} -gt 0 ]; then
  "$PY" -m pip install -q "${missing[@]}"
fi

# GoogleTest for the C++ tests, from Debian's packages.
if [ ! -f /usr/include/gtest/gtest.h ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
  # time-limited: a machine without network must not hang here
  if ! timeout 120 $SUDO apt-get install -y -q libgtest-dev >/dev/null 2>&1; then
    { timeout 300 $SUDO apt-get update -q && timeout 300 $SUDO apt-get install -y -q libgtest-dev; } >/dev/null 2>&1 ||
      echo "setup: could not install libgtest-dev; the C++ tests will be skipped"
  fi
fi
