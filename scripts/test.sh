#!/usr/bin/env bash
# Set up and run every check: ruff (lint and format), mypy on planning/, and the whole pytest suite.
# Storage tests also run on PostgreSQL when QUARTERDECK_TEST_POSTGRES_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest -q "$@"
