#!/usr/bin/env bash
# Runs the whole test suite (GUI tests in a real X window under Xvfb when present).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONFAULTHANDLER=1
export MOCAP_APP_CACHE=${MOCAP_APP_CACHE:-$PWD/.cache/mocap_app}
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python -m pytest -q "$@"
fi
exec .venv/bin/python -m pytest -q "$@"
