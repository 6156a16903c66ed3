#!/bin/sh
# The container's entry command (Dockerfile ENTRYPOINT); it runs the same outside a container.
#   entrypoint.sh [serve] [STREAMLIT OPTIONS]  start the app server: the pages, the HTTP API
#                                              (/api/v1, health at /api/v1/health) and sign-in
#   entrypoint.sh init                         create or upgrade the store's schema, then exit
#   entrypoint.sh COMMAND ...                  any other `python -m planning` command
# Settings come from the environment: QUARTERDECK_DATABASE_URL (the store), PORT (8501),
# ADDRESS (0.0.0.0: a container is reached through its network), PYTHON (python).
set -eu
cd "$(dirname "$0")/.."
python="${PYTHON:-python}"
if [ "$#" -eq 0 ] || [ "$1" = "serve" ]; then
  [ "$#" -eq 0 ] || shift
  exec "$python" -m streamlit run server.py \
    --server.headless true \
    --server.address "${ADDRESS:-0.0.0.0}" \
    --server.port "${PORT:-8501}" \
    --browser.gatherUsageStats false \
    "$@"
fi
exec "$python" -m planning "$@"
