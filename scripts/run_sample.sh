#!/usr/bin/env bash
# The main job on the bundled sample clip: opens the app on it when a display exists,
# otherwise processes it headless to sample.bvh and prints the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLE=$(.venv/bin/python -c "from mocap_app.core.paths import sample_clip; print(sample_clip())")
if [ -n "${DISPLAY:-}" ] && .venv/bin/python -c "import mocap_app.gui.main_window" 2>/dev/null; then
  exec .venv/bin/mocap-app "$SAMPLE"
fi
exec .venv/bin/mocap process "$SAMPLE" -o sample.bvh --json sample.json --progress
