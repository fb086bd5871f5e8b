"""The wheel, built from the source as pip builds it: the app only (no training kit),
its licence as an SPDX expression with the licence files, and no deprecation warning."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_is_the_app_with_its_licences_and_builds_without_warnings(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "mocap_app", src / "mocap_app",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "mocap_train", src / "mocap_train",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                           "--no-build-isolation", "-v", "-w", str(tmp_path / "dist")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "BuildBackendWarning" not in out and "DeprecationWarning" not in out, out[-3000:]
    (wheel,) = (tmp_path / "dist").glob("mocap_app-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "mocap_app/cli/__init__.py" in names and "mocap_app/lift/inference.py" in names
    assert not [n for n in names if n.startswith("mocap_train/")]
    assert "mocap_app/lift/train.py" not in names
    assert "License-Expression: Apache-2.0" in meta.splitlines()
    assert "License-File: LICENSE" in meta.splitlines()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for model in ("palm_detection_full", "hand_landmark_full", "hand_recrop"):   # issue 19
        assert f"mocap_app/resources/hands/{model}.tflite" in names
    assert any(n.endswith("licenses/mocap_app/resources/hands/LICENSE-Apache-2.0.txt")
               for n in names), [n for n in names if "licenses" in n]
