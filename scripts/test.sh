#!/usr/bin/env bash
# Set up and run every check: ruff (lint and format), mypy on planning/, and the whole pytest suite.
# Storage tests also run on PostgreSQL when QUARTERDECK_TEST_POSTGRES_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
# Browser journeys drive Debian's headless Chromium, and tests/test_deploy.py checks the proxy's
# configuration with HAProxy's own checker; install them once if they are missing.
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/noto ] || [ ! -x /usr/sbin/haproxy ]; then
  echo "== installing chromium and haproxy (Debian packages) for the browser and deploy tests"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji haproxy >/dev/null
fi
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# Two workers (one per core on the project machine), each taking one file at a time; every test
# has its own store, database, port and temporary folder (tests that only read may share one
# within their file: a browser file's server, the demo tests' loaded store), so they run side by
# side. The slowest 25 are listed, to keep CI under 20 minutes.
.venv/bin/pytest -q -n 2 --dist loadfile --durations=25 "$@"
