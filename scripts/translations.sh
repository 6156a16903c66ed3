#!/usr/bin/env bash
# The message catalogues (README: Languages). Usage:
#   scripts/translations.sh extract   # the product's strings -> locales/quarterdeck.pot, and
#                                     #   every language's .po updated from it (new: untranslated)
#   scripts/translations.sh compile   # each .po -> its .mo (setup.sh runs this; the app also reads
#                                     #   a .po directly when its .mo is missing or older)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
case "${1:-}" in
  extract)
    "$PYBABEL" extract -F babel.cfg --no-location --sort-output --omit-header \
      -o locales/quarterdeck.pot .
    "$PYBABEL" update -i locales/quarterdeck.pot -d locales -D quarterdeck \
      --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
    ;;
  compile)
    "$PYBABEL" compile -d locales -D quarterdeck --statistics
    ;;
  *)
    echo "usage: $0 extract|compile" >&2
    exit 2
    ;;
esac
