#!/usr/bin/env bash
# Create .venv and install the pinned requirements (runtime, or runtime + dev with --dev).
# Re-running is cheap: pip is only called when a requirements file changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
req=requirements.txt
[ "${1:-}" = "--dev" ] && req=requirements-dev.txt
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(basename "$req" .txt)"
digest=$(cat requirements*.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$req"
  echo "$digest" > "$stamp"
fi
# The translations, compiled from locales/*/LC_MESSAGES/quarterdeck.po (README: Languages).
scripts/translations.sh compile >/dev/null
