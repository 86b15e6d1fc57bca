#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs every test under ctest:
# unit tests, kernel-oracle tests (in private namespaces), property tests and
# the corpus check. SOCKSPEC_LONG=1 runs the property tests far longer.
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser test (tests/browser_test.cc) opens the HTML report in headless
# chromium; it is large, so only the test path installs it, and here a
# missing browser fails the test instead of skipping it.
export SOCKSPEC_EXTRA_PACKAGES="${SOCKSPEC_EXTRA_PACKAGES:-chromium}"
export SOCKSPEC_REQUIRE_BROWSER=1
bash scripts/setup.sh
ctest --preset default --output-junit ctest-junit.xml "$@"
