#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs the main job on this
# machine's kernel: the whole corpus in lockstep (model against kernel), the
# rule coverage, and a report under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
status=0
./build/sockspec check corpus/ | tee out/check.txt || status=$?
./build/sockspec check --json corpus/ > out/check.jsonl || true
./build/sockspec rules corpus/ | tee out/rules.txt || true
echo "main: reports in out/ (check.txt, check.jsonl, rules.txt)"
exit $status
