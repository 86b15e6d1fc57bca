#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs every test under ctest:
# unit tests, kernel-oracle tests (in private namespaces), property tests and
# the corpus check. SOCKSPEC_LONG=1 runs the property tests far longer.
set -euo pipefail
cd "$(dirname "$0")/.."
# The sandbox gives every scenario a private, empty /tmp; tests that read the
# checkout after entering it would find nothing if it lived under /tmp.
# Such a checkout is tested from a copy outside /tmp.
case "$(pwd -P)/" in
  /tmp/*)
    copy="/var/tmp/sockspec-checkout-$(pwd -P | md5sum | cut -c1-12)"
    echo "test: this checkout is under /tmp, which the sandbox hides; testing a copy in $copy"
    mkdir -p "$copy" && cp -a . "$copy/"
    exec bash "$copy/scripts/test.sh" "$@"
    ;;
esac
# The browser test (tests/browser_test.cc) opens the HTML report in headless
# chromium; it is large, so only the test path installs it, and here a
# missing browser fails the test instead of skipping it.
export SOCKSPEC_EXTRA_PACKAGES="${SOCKSPEC_EXTRA_PACKAGES:-chromium}"
export SOCKSPEC_REQUIRE_BROWSER=1
bash scripts/setup.sh
ctest --preset default --output-junit ctest-junit.xml "$@"
