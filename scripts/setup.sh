#!/usr/bin/env bash
# Sets up a Debian 12 machine for sockspec: installs whatever Debian packages
# are missing, then configures and builds with the `default` CMake preset
# (g++, build/). Safe to run again: it installs and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config            # the build
  clang-16 libclang-rt-16-dev                 # libFuzzer (fuzz/)
  libgtest-dev libgmock-dev librapidcheck-dev # tests
  libz3-dev                                   # solver/
  libcli11-dev nlohmann-json3-dev libfmt-dev  # command line, JSON, formatting
  libbenchmark-dev                            # bench/
  iproute2 util-linux                         # ip for debugging, setpriv for the unprivileged tests
  qemu-system-x86 busybox-static xz-utils     # guest/: other kernels under qemu (xz: their vmlinux, once)
  runsc                                       # guest/gvisor: --kernel gvisor (gVisor's netstack)
)
packages+=("${SOCKSPEC_EXTRA_PACKAGES[@]:-}")

missing=()
for p in "${packages[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)"
