#!/usr/bin/env bash
# Creates .venv and installs mocap_app with everything it needs, from PyPI only.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch==2.13.0 is pinned in pyproject: the CPU build (a looser pin pulls CUDA wheels)
.venv/bin/python -m pip install -q -e ".[gui,test,blender,train,ray]"
# MediaPipe 0.10.21 (its wheel ships the BlazePose models) without its unused jax deps;
# its real needs are pinned in pyproject
.venv/bin/python -m pip install -q --no-deps "mediapipe==0.10.21"
.venv/bin/python -c "import mocap_app, torch, cv2, mediapipe; print('mocap_app installed: torch', torch.__version__, '| OpenCV', cv2.__version__, '| MediaPipe', mediapipe.__version__)"
