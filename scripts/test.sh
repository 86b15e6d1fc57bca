#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs every test under ctest:
# unit tests, kernel-oracle tests (in private namespaces), property tests and
# the corpus check. SOCKSPEC_LONG=1 runs the property tests far longer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --preset default --output-junit ctest-junit.xml "$@"
