#!/usr/bin/env bash
# Checks (and if needed installs) what SeqMatch builds against: Debian/Ubuntu packages for the
# native core (DESIGN.md §2) plus a JDK 17+ and Maven. Unknown platforms fail with exit 1.
# Usage: bash scripts/setup.sh [--quiet] [--tests] [--bench]
set -euo pipefail

quiet=0 bench=0 tests=0
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    --tests) tests=1 ;;  # also what only the test suite needs (scripts/test.sh passes it)
    --bench) bench=1 ;;  # also what scripts/bench/peer.sh needs: python3-torch for the Python peer
    *) echo "setup: unknown argument '$arg' (expected --quiet, --tests, --bench)" >&2; exit 2 ;;
  esac
done
say() { if (( ! quiet )); then echo "setup: $*"; fi; }
die() { echo "setup: $*" >&2; exit 1; }

# --- platform -------------------------------------------------------------------------------
[[ "$(uname -s)" == "Linux" ]] || die "unsupported platform $(uname -s) (expected Linux). Hint: use Debian 12 or Ubuntu 22.04+"
case "$(uname -m)" in
  x86_64 | aarch64) ;;
  *) die "unsupported architecture $(uname -m) (expected x86_64 or aarch64)" ;;
esac
[[ -r /etc/os-release ]] || die "cannot read /etc/os-release to identify the distribution"
# shellcheck source=/dev/null
. /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
  *" debian "* | *" ubuntu "*) ;;
  *) die "unsupported distribution '${ID:-unknown}' (expected Debian or Ubuntu: packages come from apt)" ;;
esac
command -v dpkg-query >/dev/null || die "dpkg-query not found on a Debian-like system"

# --- system packages ------------------------------------------------------------------------
# libopenblas0-pthread: without it Debian's libtorch falls back to reference BLAS (measured 10x slower).
# libgloo-dev: the Gloo headers libtorch's c10d headers include (data-parallel training, --nproc).
packages=(cmake g++ make libtorch-dev libgloo-dev libopenblas0-pthread libgtest-dev nlohmann-json3-dev)
# Test-only (--tests), so `./seqmatch quickstart` does not install a browser:
# python3-numpy, python3-sklearn: MauveTest checks MAUVE against an independent sklearn implementation.
# chromium, chromium-driver: PlaygroundBrowserTest drives the HTTP server's playground page in headless Chromium.
if (( tests )); then packages+=(python3-numpy python3-sklearn chromium chromium-driver); fi
# python3-torch: only for the side-by-side benchmark (scripts/bench/peer.sh), never for the tests.
if (( bench )); then packages+=(python3-torch); fi
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The HTTP serving tests (OpenAICompatTest) run the openai npm client and curl; NodeInteropTest runs node.
# Checked by command, not package: node may come from NodeSource, whose nodejs bundles npm.
if (( tests )); then
  command -v curl >/dev/null || missing+=(curl)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
if (( ${#missing[@]} )); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=()
  if (( EUID != 0 )); then
    command -v sudo >/dev/null || die "missing packages ${missing[*]} and not root (no sudo). Hint: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  say "system packages present: ${packages[*]}"
fi

# --- JDK and Maven --------------------------------------------------------------------------
command -v java >/dev/null || die "java not found (expected JDK 17+). Hint: apt-get install openjdk-17-jdk-headless"
command -v javac >/dev/null || die "javac not found: a JRE is not enough (expected JDK 17+). Hint: apt-get install openjdk-17-jdk-headless"
java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
[[ "${java_major%%.*}" =~ ^[0-9]+$ ]] && (( ${java_major%%.*} >= 17 )) \
  || die "java ${java_major:-unknown} is too old (expected 17+). Hint: apt-get install openjdk-17-jdk-headless"
command -v mvn >/dev/null || die "mvn not found (expected Maven 3.8+). Hint: apt-get install maven"
say "java ${java_major}, $(mvn -v 2>/dev/null | head -n1 | sed 's/\x1b\[[0-9;]*m//g')"
