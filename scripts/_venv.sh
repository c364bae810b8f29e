# Sourced by scripts/serve and scripts/test: make .venv if missing and install the
# project into it (with the extras in $EXTRAS) when pyproject.toml changed since the
# last install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
want="$(cat pyproject.toml | sha256sum | cut -c1-16)-${EXTRAS:-none}"
if [ "$(cat .venv/.installed 2>/dev/null || true)" != "$want" ]; then
    spec="."
    [ -n "${EXTRAS:-}" ] && spec=".[${EXTRAS}]"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
    echo "$want" > .venv/.installed
fi
