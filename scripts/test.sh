#!/usr/bin/env bash
# The one strict CI entry: system checks, then the whole build and every test suite —
# cmake build + ctest (native), JavaCPP bindings, JUnit (core, cli). Fails by exit status.
# Usage: bash scripts/test.sh [extra mvn args, e.g. -Dseqmatch.cmake.preset=cuda-release -Dtorch.prefix=...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh --tests
mvn -B verify "$@"
