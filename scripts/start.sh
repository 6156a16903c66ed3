#!/usr/bin/env bash
# Set up and start Quarterdeck (the app and its HTTP API on one port) on the embedded SQLite
# store (data/quarterdeck.db).
# The first start on an empty store loads the demo data set (QUARTERDECK_DEMO=0 turns that off).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# ADDRESS=0.0.0.0 (or --server.address) opens it to the network; demo mode then warns on every
# page, as anyone who reaches it can act as anyone (README: Running for a team).
exec .venv/bin/streamlit run server.py --server.headless true \
  --server.address "${ADDRESS:-127.0.0.1}" --server.port "${PORT:-8501}" "$@"
