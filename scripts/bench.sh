#!/usr/bin/env bash
# The throughput numbers of docs/performance.md in one run: builds
# sockspec_bench (build-bench/), runs it, measures fuzzing on 1 and 2 cores
# when the fuzz build exists (build-fuzz/differential_fuzzer), and prints a
# Markdown table with the date, the machine and the ratios the project
# targets. Nothing here asserts: a ratio below its target is reported, not
# failed.
#
#   bash scripts/bench.sh                 # everything (about a minute, plus fuzzing)
#   FUZZ_SECONDS=0 bash scripts/bench.sh  # skip the fuzzing row
#   GUESTS=0 bash scripts/bench.sh        # skip the corpus on Debian 6.1 / 6.12 in qemu guests
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BENCH_BUILD:-build-bench}
fuzz_seconds=${FUZZ_SECONDS:-30}

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j2 sockspec sockspec_bench >/dev/null

work=$(mktemp -d "${TMPDIR:-/var/tmp}/sockspec-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Fuzzing on 1 and 2 cores: `sockspec fuzz -j N` runs libFuzzer with -fork=N
# and reports executions per second (docs/fuzzing.md); every fuzzing process
# counts the scenario lines it ran (SOCKSPEC_FUZZ_COUNTS), so the rate is
# also in lines/s: lines of every fuzzing job over the fuzzing time.
# Prints "EXEC_PER_S/LINES_PER_S".
# (Its exit status says whether there were findings, which is not our
# business here.)
fuzz_rate() {
  local jobs=$1 summary
  summary=$(TMPDIR=$work SOCKSPEC_FUZZ_COUNTS=$work/fuzz-$jobs/counts "$build/sockspec" fuzz \
    --fuzzer "$root/build-fuzz/differential_fuzzer" --seconds "$fuzz_seconds" -j "$jobs" --json \
    --workdir "$work/fuzz-$jobs" --seeds "$root/corpus" 2>/dev/null || true)
  python3 - "$summary" "$work/fuzz-$jobs/counts" 2>/dev/null <<'PY' || echo none
import glob, json, sys
summary = json.loads(sys.argv[1].strip().splitlines()[-1])
lines = sum(int(open(f).read().split()[1]) for f in glob.glob(sys.argv[2] + "/counts.*"))
print(f"{summary['exec_per_s']}/{lines / summary['seconds']:.0f}")
PY
}
fuzz1=none fuzz2=none
if [[ $fuzz_seconds -gt 0 && -x build-fuzz/differential_fuzzer ]]; then
  fuzz1=$(fuzz_rate 1)
  fuzz2=$(fuzz_rate 2)
fi

# The benchmark enters its sandbox, which mounts a private /tmp: its JSON
# goes to stdout, not to a file under /tmp.
# (kept in the build directory for a closer look). With a 1-core campaign's
# corpus it also runs `check -j1` on those inputs (BM_CheckFuzzInputs).
fuzz_inputs=
[[ $fuzz1 != none && -d $work/fuzz-1/corpus ]] && fuzz_inputs=$work/fuzz-1/corpus
SOCKSPEC_BENCH_FUZZ_INPUTS=$fuzz_inputs "$build/bench/sockspec_bench" --benchmark_format=json \
  >"$build/bench-results.json" 2>"$work/bench.log"

# The corpus on other kernels (docs/kernels.md): `check --kernel K corpus/`
# as a user runs it, boot included, beside the same check on the host.
# Each row: wall seconds, the guest's own boot and run figures.
corpus_seconds() {
  local start end
  start=$(date +%s.%N)
  "$build/sockspec" check "$@" "$root/corpus" >/dev/null 2>"$work/guest.log" || true
  end=$(date +%s.%N)
  local guest
  guest=$(grep -o 'in a qemu guest: [0-9.]* s, boot [0-9.]* s' "$work/guest.log" | tr -d ',' | awk '{print $5 "/" $8}')
  echo "$(awk "BEGIN{print $end - $start}")/${guest:-}"
}
guests=${GUESTS:-1}
host_check=none guest61=none guest612=none
if [[ $guests != 0 ]]; then
  host_check=$(corpus_seconds -j 2)
  guest61=$(corpus_seconds --kernel 6.1 -j 2)
  guest612=$(corpus_seconds --kernel 6.12 -j 2)
fi

python3 - "$build/bench-results.json" "$fuzz1" "$fuzz2" "$host_check" "$guest61" "$guest612" <<'EOF'
import json, sys, datetime, os, platform

data = json.load(open(sys.argv[1]))
fuzz1, fuzz2 = sys.argv[2], sys.argv[3]
bench = {b["name"].split("/")[0] + ("/" + b["name"].split("/")[1] if b["name"].startswith("BM_LockstepJobs") else ""): b
         for b in data["benchmarks"]}

def rate(name, counter="scenarios_per_s"):
    return bench[name][counter]

model = rate("BM_ModelAlone", "lines_per_s")
pool, fresh = rate("BM_KernelPool"), rate("BM_KernelFresh")
pool_r, fresh_r = rate("BM_KernelPoolReusable"), rate("BM_KernelFreshReusable")
lockstep = rate("BM_Lockstep")
jobs1, jobs2 = rate("BM_LockstepJobs/1"), rate("BM_LockstepJobs/2")
scenarios = int(bench["BM_KernelPool"]["scenarios"])
reusable = int(bench["BM_KernelPoolReusable"]["scenarios"])

def verdict(value, target):
    return "meets" if value >= target else "below"

print(f"## sockspec throughput, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n")
print(f"Machine: {os.cpu_count()} cores, Linux {platform.release()}, "
      f"load average {os.getloadavg()[0]:.1f} at the end. Mix: {scenarios} corpus scenarios "
      f"(no `sleep`, no `link add`, no connect expected to stay pending); reusable mix: the {reusable} of them whose namespaces the pool reuses.\n")
print("| measure | value |")
print("|---|---|")
print(f"| model alone (CPU time) | {model:,.0f} lines/s |")
print(f"| kernel alone, pool | {pool:,.1f} scenarios/s ({bench['BM_KernelPool']['namespaces_created_per_scenario']:.2f} namespaces made, "
      f"{bench['BM_KernelPool']['namespaces_swept_per_scenario']:.2f} swept per scenario) |")
print(f"| kernel alone, fresh namespaces | {fresh:,.1f} scenarios/s ({bench['BM_KernelFresh']['namespaces_created_per_scenario']:.2f} made per scenario, {bench['BM_KernelFresh']['throttle_waits']:.0f} throttle waits) |")
print(f"| kernel alone, reusable mix: pool / fresh | {pool_r:,.1f} / {fresh_r:,.1f} scenarios/s |")
print(f"| lockstep check, 1 thread | {lockstep:,.1f} scenarios/s |")
print(f"| `check -j1` / `check -j2` | {jobs1:,.1f} / {jobs2:,.1f} scenarios/s |")
if fuzz1 != "none" and fuzz2 != "none":
    (exec1, lines1), (exec2, lines2) = (map(float, f.split("/")) for f in (fuzz1, fuzz2))
    check_fuzz = bench["BM_CheckFuzzInputs"]
    print(f"| fuzzing `-j1` / `-j2` | {exec1:,.0f} / {exec2:,.0f} exec/s, {lines1:,.0f} / {lines2:,.0f} lines/s |")
    print(f"| `check -j1` on the 1-core campaign's corpus ({check_fuzz['scenarios']:.0f} inputs) | "
          f"{check_fuzz['lines_per_s']:,.0f} lines/s |")
else:
    print("| fuzzing `-j1` / `-j2` | not measured |")
print()
print("| ratio | target | measured | |")
print("|---|---|---|---|")
print(f"| lockstep / kernel alone | ≥ 0.75 | {lockstep / pool:.2f} | {verdict(lockstep / pool, 0.75)} |")
print(f"| pool / fresh (mix) | ≥ 10 | {pool / fresh:.1f} | {verdict(pool / fresh, 10)} |")
print(f"| pool / fresh (reusable mix) | ≥ 10 | {pool_r / fresh_r:.1f} | {verdict(pool_r / fresh_r, 10)} |")
print(f"| model lines/s | ≥ 1,000,000 | {model:,.0f} | {verdict(model, 1e6)} |")
print(f"| `check -j2` / `-j1` | (uses every core) | {jobs2 / jobs1:.2f} | |")
if fuzz1 != "none" and fuzz2 != "none":
    r = lines1 / check_fuzz["lines_per_s"]
    print(f"| fuzzing 1 core / `check -j1`, lines/s on the same inputs | ≥ 0.5 | {r:.2f} | {verdict(r, 0.5)} |")
    r = lines2 / lines1
    print(f"| fuzzing 2 cores / 1 core, lines/s | ≥ 1.8 | {r:.2f} | {verdict(r, 1.8)} |")
else:
    for name, target in (("fuzzing 1 core / `check -j1`", "≥ 0.5"), ("fuzzing 2 cores / 1 core", "≥ 1.8")):
        print(f"| {name} | {target} | not measured (no build-fuzz/differential_fuzzer: `cmake --preset fuzz && cmake --build --preset fuzz`) | |")

host_check, guests = sys.argv[4], {"6.1": sys.argv[5], "6.12": sys.argv[6]}
if host_check != "none":
    host_s = float(host_check.split("/")[0])
    print()
    print("| the corpus, `check -j2` | wall time | in the guest: run / boot | / the host's |")
    print("|---|---|---|---|")
    print(f"| host kernel | {host_s:.1f} s | | 1 |")
    for name, figure in guests.items():
        wall, run, boot = (figure.split("/") + ["", ""])[:3]
        inner = f"{float(run):.1f} s / {float(boot):.1f} s" if run and boot else "did not run"
        print(f"| Debian {name} in qemu (TCG) | {float(wall):.1f} s | {inner} | {float(wall) / host_s:.1f} |")
EOF
