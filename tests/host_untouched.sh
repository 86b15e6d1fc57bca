#!/bin/bash
# The host is never touched (docs/safety.md, point 1).
#
#   tests/host_untouched.sh SOCKSPEC [CORPUS_DIR] [FUZZ_SECONDS]
#
# (SOCKSPEC_FUZZER=PATH names the differential fuzzer; by default it is
# looked for next to SOCKSPEC, then in build-fuzz/.)
#
# Builds a pristine "fake host" — fresh network and mount namespaces (and a
# user namespace when not root) with a private tmpfs on /tmp, lo up, and a
# few sockets of its own, as a real host would have — and inside it:
#   1. snapshots its network state: the netns inode, every socket sock_diag
#      reports (`ss -tuanxw`, TIME-WAIT included), links, addresses, every
#      readable value under /proc/sys/net, and `ls -la /tmp`;
#   2. runs `sockspec check` over the whole corpus, then `check --kernel
#      gvisor` over it when runsc is installed (runsc's state directory in a
#      directory of this test: afterwards no process may name it and it must
#      be empty), then a short fuzz campaign when the fuzzer is built
#      (each skipped with a note otherwise),
#      sampling the network namespace of every thread of every sockspec
#      process while they run;
#   3. snapshots again.
# Passes when the two snapshots are identical and no sampled thread was ever
# in the fake host's network namespace. Never runs anything in the
# machine's own namespace: everything happens after the re-exec below.
set -u

SOCKSPEC=$(realpath "${1:?usage: host_untouched.sh SOCKSPEC [CORPUS_DIR] [FUZZ_SECONDS]}")
CORPUS=$(realpath "${2:-$(dirname "$0")/../corpus}")
FUZZ_SECONDS=${3:-20}
SOURCE_DIR=$(realpath "$(dirname "$0")/..")

if [ -z "${SOCKSPEC_FAKE_HOST:-}" ]; then
  export SOCKSPEC_FAKE_HOST=1
  if [ "$(id -u)" = 0 ]; then
    exec unshare --net --mount --propagation private -- "$0" "$SOCKSPEC" "$CORPUS" "$FUZZ_SECONDS"
  else
    exec unshare -Urnm --propagation private -- "$0" "$SOCKSPEC" "$CORPUS" "$FUZZ_SECONDS"
  fi
fi

# ---------------------------------------------------------------- fake host
mount -t tmpfs -o mode=1777 tmpfs /tmp || { echo "FAIL: cannot mount a private /tmp"; exit 1; }
cd /tmp || exit 1
ip link set lo up
# The host's own sockets, on addresses the corpus uses: a sockspec that ran
# here would collide with them (EADDRINUSE) and the snapshots would differ.
if command -v python3 >/dev/null; then
  python3 -c '
import socket, time
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 8080)); t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 8081))
x = socket.socket(socket.AF_UNIX); x.bind("/tmp/host.sock"); x.listen()
a = socket.socket(socket.AF_UNIX); a.bind("\0host"); a.listen()
print("ready", flush=True)
time.sleep(3600)' > /tmp/.host-sockets.ready &
  HOST_SOCKETS=$!
  for _ in $(seq 100); do grep -q ready /tmp/.host-sockets.ready 2>/dev/null && break; sleep 0.05; done
else
  HOST_SOCKETS=
  echo "note: python3 not found; the fake host has no sockets of its own"
fi
HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
# Scratch space (command output, the fuzz campaign's home) lives outside
# /tmp, which is part of the snapshot; removed at the end.
WORKDIR=$(mktemp -d /var/tmp/sockspec-host-untouched.XXXXXX)
trap 'rm -rf "$WORKDIR"' EXIT

snapshot() {
  echo "== netns"; stat -L -c %i /proc/self/ns/net
  echo "== sockets"; ss -tuanxw -H | sort
  echo "== links"; ip -o link
  echo "== addresses"; ip -o addr
  echo "== /proc/sys/net"; grep -r . /proc/sys/net 2>/dev/null | sort
  echo "== /tmp"; ls -la --time-style=full-iso /tmp
}

# Every thread of $1 and of its descendants: "pid/tid netns-inode sockets
# command", sockets being how many socket descriptors the process holds.
sample_netns() {
  local pid=$1 task child sockets comm
  sockets=$(ls -l /proc/"$pid"/fd 2>/dev/null | grep -c 'socket:')
  comm=$(cat /proc/"$pid"/comm 2>/dev/null)
  for task in /proc/"$pid"/task/*; do
    [ -e "$task/ns/net" ] && echo "$pid/${task##*/} $(stat -L -c %i "$task/ns/net" 2>/dev/null) $sockets $comm"
  done
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do sample_netns "$child"; done
}

# Runs a command in the background, sampling until it exits; appends the
# samples to $SAMPLES and leaves its exit status in $STATUS.
SAMPLES=
run_sampled() {
  "$@" > "$WORKDIR/run.out" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    SAMPLES+=$(sample_netns "$pid")$'\n'
    sleep 0.01
  done
  wait "$pid"
  STATUS=$?
  tail -n 3 "$WORKDIR/run.out" | sed 's/^/    /'
}

BEFORE=$(snapshot)
FAIL=0

echo "fake host: netns $HOST_NETNS; running sockspec check $CORPUS"
run_sampled "$SOCKSPEC" check "$CORPUS"
echo "  sockspec check exited $STATUS"
# 0 agree, 1 divergences or failed expectations: either way it ran; 2 and 3
# mean nothing ran, and this test would prove nothing.
if [ "$STATUS" -ge 2 ]; then echo "FAIL: sockspec check did not run the corpus"; FAIL=1; fi

if command -v runsc > /dev/null; then
  # short and open to others, or the launcher would not put runsc's state
  # there (guest/gvisor.cc StateDir::parent)
  GVISOR_STATE=$(mktemp -d /var/tmp/sgh.XXXXXX)
  chmod 755 "$GVISOR_STATE"
  echo "running sockspec check --kernel gvisor $CORPUS"
  TMPDIR=$GVISOR_STATE run_sampled "$SOCKSPEC" check --kernel gvisor "$CORPUS"
  echo "  sockspec check --kernel gvisor exited $STATUS"
  if [ "$STATUS" -ge 2 ]; then echo "FAIL: sockspec check --kernel gvisor did not run the corpus"; FAIL=1; fi
  LEFT=$(pgrep -f "$GVISOR_STATE")
  if [ -n "$LEFT" ]; then echo "FAIL: runsc processes left running: $LEFT"; FAIL=1; fi
  if [ -n "$(ls -A "$GVISOR_STATE")" ]; then echo "FAIL: runsc state left in $GVISOR_STATE"; FAIL=1; fi
  rm -rf "$GVISOR_STATE"
else
  echo "note: check --kernel gvisor skipped (runsc not installed)"
fi

# where `sockspec fuzz` looks: next to sockspec, else the fuzz preset's build
FUZZER=${SOCKSPEC_FUZZER:-$(dirname "$SOCKSPEC")/differential_fuzzer}
[ -x "$FUZZER" ] || FUZZER=$SOURCE_DIR/build-fuzz/differential_fuzzer
if [ "$FUZZ_SECONDS" -gt 0 ] && [ -x "$FUZZER" ]; then
  # The campaign's home is outside /tmp (docs/fuzzing.md)
  echo "running sockspec fuzz --seconds $FUZZ_SECONDS"
  mkdir "$WORKDIR/fuzz"
  TMPDIR=$WORKDIR/fuzz run_sampled "$SOCKSPEC" fuzz --seconds "$FUZZ_SECONDS" -j 1 --seeds "$CORPUS" \
    --workdir "$WORKDIR/fuzz" --fuzzer "$FUZZER"
  echo "  sockspec fuzz exited $STATUS"
  if [ "$STATUS" -ge 2 ]; then echo "FAIL: the fuzz campaign did not run"; FAIL=1; fi
else
  echo "note: fuzz campaign skipped ($FUZZER not built, or FUZZ_SECONDS=0)"
fi

AFTER=$(snapshot)

if [ -n "$HOST_SOCKETS" ]; then kill "$HOST_SOCKETS"; wait "$HOST_SOCKETS" 2>/dev/null; fi

if ! diff <(echo "$BEFORE") <(echo "$AFTER"); then
  echo "FAIL: the fake host's network state changed (diff above: < before, > after)"
  FAIL=1
fi

# A process starts where it was started — in the fake host — and reads its
# scenarios there; enter_sandbox() then moves it out before any socket
# exists. Processes that make no socket (`sockspec fuzz` itself, which only
# starts the fuzzer) may stay. So: some process must be seen outside the
# fake host's namespace; none may hold a socket while in it; and once a
# process's main thread has left, no thread of it may be seen back in it.
VERDICT=$(echo "$SAMPLES" | awk -v host="$HOST_NETNS" '
  NF < 3 { next }
  { split($1, id, "/"); pid = id[1]; tid = id[2]; n++ }
  $2 != host { outside[pid] = 1; if (tid == pid) left[pid] = 1; ns[$2] = 1; next }
  $3 > 0 { bad = bad " " $1 "(" $4 ":" $3 "-sockets)" }
  left[pid] { bad = bad " " $1 "(" $4 ":came-back)" }
  { stayed[pid] = $4 }
  END {
    for (p in stayed) if (!(p in outside)) kept = kept " " p "(" stayed[p] ")"
    for (x in ns) d++
    printf "%d %d %d %s|%s\n", n, length(outside), d, kept, bad
  }')
read -r SAMPLED PROCESSES DISTINCT REST <<< "$VERDICT"
STAYED=${REST%%|*}
BAD=${REST#*|}
echo "sampled $SAMPLED thread namespaces of sockspec processes: $PROCESSES went into $DISTINCT distinct sandbox namespaces (fake host $HOST_NETNS)"
[ -n "${STAYED// /}" ] && echo "stayed in the fake host, without a socket:$STAYED"
if [ "$PROCESSES" -eq 0 ]; then echo "FAIL: no sockspec process was seen outside the fake host"; FAIL=1; fi
if [ -n "$BAD" ]; then echo "FAIL: in the fake host's network namespace:$BAD"; FAIL=1; fi
[ "$FAIL" = 0 ] && echo "PASS: the fake host is untouched; sockspec ran only in namespaces of its own"
exit "$FAIL"
