"""The installer bundle, run as an animator would: the frozen executable with no Python
and no venv on its path.

The ``bundle`` fixture runs ``installer/build`` (about 5 minutes on two cores) unless
``dist/mocap_app`` was built after the last change to the app, the models or the
installer. Select these tests with ``-m bundle``; deselect them with ``-m "not bundle"``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mocap_app.core.bvh import read_bvh

pytestmark = pytest.mark.bundle

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "mocap_app"
EXE = BUNDLE / ("mocap_app.exe" if os.name == "nt" else "mocap_app")
MANIFEST = BUNDLE / "_internal" / "bundle_manifest.json"
SIZE_BUDGET_MB = 1300      # measured 1.1 GB; grows only when a dependency does


def _newest_input() -> float:
    """The newest mtime among the files the bundle is made from."""
    newest = 0.0
    for folder, pattern in ((ROOT / "mocap_app", "**/*"), (ROOT / "installer", "*"),
                            (ROOT / "models", "*")):
        for path in folder.glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def _clean_env(**extra: str) -> dict[str, str]:
    """The user's environment: no venv, no PYTHONPATH, no test-run Qt settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "QT_", "VIRTUAL_ENV", "MOCAP_"))}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p != venv_bin)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def bundle() -> Path:
    fresh = MANIFEST.is_file() and MANIFEST.stat().st_mtime > _newest_input()
    if not fresh:
        proc = subprocess.run([str(ROOT / "installer" / "build")], cwd=ROOT,
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"installer/build failed:\n{proc.stdout}\n{proc.stderr}"
    assert EXE.is_file(), f"no executable at {EXE}"
    return BUNDLE


@pytest.fixture(scope="module")
def self_test_dir(bundle, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("self_test")
    proc = subprocess.run([str(EXE), "--self-test", str(out)], capture_output=True,
                          text=True, env=_clean_env(), cwd=out, timeout=600)
    assert proc.returncode == 0, f"self-test failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert "self-test passed" in proc.stdout
    return out


def test_self_test_writes_a_bvh_of_the_whole_clip(self_test_dir):
    bvh = read_bvh(self_test_dir / "self_test.bvh")
    cap = cv2.VideoCapture(str(BUNDLE / "_internal" / "mocap_app" / "resources"
                               / "sample_walk.mp4"))
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert bvh.num_frames == frames > 100
    assert bvh.names[0] == "Hips" or "hip" in bvh.names[0].lower()
    assert np.isfinite(bvh.motion).all()
    doc = json.loads((self_test_dir / "self_test.json").read_text())
    assert sum(f["person"] for f in doc["frames"]) > 0.9 * frames


def test_gui_starts_under_xvfb_and_is_grabbed(bundle, tmp_path, artifacts_dir):
    xvfb = shutil.which("xvfb-run")
    assert xvfb, "xvfb-run not found: apt-get install $(cat .ci/apt-packages.txt)"
    png = tmp_path / "main_window.png"
    # no QT_QPA_PLATFORM: the bundle's own xcb platform plugin must load
    proc = subprocess.run([xvfb, "-a", "-s", "-screen 0 1600x1000x24", str(EXE),
                           "--screenshot", str(png)], capture_output=True, text=True,
                          env=_clean_env(), cwd=tmp_path, timeout=180)
    assert proc.returncode == 0, f"GUI exited with {proc.returncode}:\n{proc.stderr[-3000:]}"
    image = cv2.imread(str(png))
    assert image is not None, "no screenshot written"
    h, w = image.shape[:2]
    assert w >= 800 and h >= 500
    # a real window: panels, text and the 3D view, not one flat colour
    assert image.std() > 10 and len(np.unique(image.reshape(-1, 3), axis=0)) > 50
    shutil.copy(png, artifacts_dir / "bundle_main_window.png")


def test_cli_errors_are_one_line(bundle, tmp_path):
    proc = subprocess.run([str(EXE), "process", str(tmp_path / "missing.mp4"), "-o",
                           str(tmp_path / "x.bvh")], capture_output=True, text=True,
                          env=_clean_env(), timeout=120)
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines()[-1].startswith("mocap: error: video file not found")
    assert "Traceback" not in proc.stderr


def test_the_blender_addon_zip_from_the_bundle_is_the_packages(bundle, tmp_path):
    """``mocap blender-addon`` reads the add-on's sources as files (importlib.resources):
    the bundle carries them beside its frozen modules, byte for byte."""
    import zipfile
    out = tmp_path / "mocap_link.zip"
    proc = subprocess.run([str(EXE), "blender-addon", "-o", str(out)], capture_output=True,
                          text=True, env=_clean_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    source = ROOT / "mocap_app" / "link" / "blender_addon"
    with zipfile.ZipFile(out) as zf:
        for name in ("__init__.py", "wire.py", "receiver.py", "rigmap.py", "ui.py"):
            assert zf.read(f"mocap_link/{name}") == (source / name).read_bytes(), name
        assert b'id = "mocap_link"' in zf.read("mocap_link/blender_manifest.toml")


def test_without_stdout_and_stderr_messages_go_to_the_log(bundle, tmp_path):
    """A windowed build starts with no console (sys.stdout and sys.stderr are None);
    closing both descriptors gives the frozen app the same start on Linux."""
    def close_streams() -> None:
        os.close(1)
        os.close(2)
    proc = subprocess.run([str(EXE), "process", str(tmp_path / "missing.mp4"), "-o",
                           str(tmp_path / "x.bvh")], preexec_fn=close_streams,
                          env=_clean_env(MOCAP_APP_CACHE=str(tmp_path / "cache")),
                          timeout=120)
    assert proc.returncode == 3
    log = (tmp_path / "cache" / "logs" / "mocap_app-bundle.log").read_text()
    assert "mocap: error: video file not found" in log


def test_fbx_export_through_bpy_beside_the_bundle(self_test_dir, tmp_path):
    """The bundle has no bpy: a Python with bpy beside it (here this test run's own, named
    by MOCAP_BLENDER_PYTHON) does the FBX export, and Blender reads the file back."""
    import importlib.util
    assert importlib.util.find_spec("bpy") is not None, \
        "this test needs bpy in the test venv: pip install bpy==4.5.15"
    fbx = tmp_path / "walk.fbx"
    proc = subprocess.run([str(EXE), "export", str(self_test_dir / "take"), "-o", str(fbx)],
                          capture_output=True, text=True, timeout=600,
                          env=_clean_env(MOCAP_BLENDER_PYTHON=sys.executable))
    assert proc.returncode == 0, f"export failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert fbx.stat().st_size > 10_000
    from mocap_app.export.blender import inspect_file
    info = inspect_file(fbx)
    start, end = info["frame_range"]
    assert end - start + 1 >= 200 and len(info["bones"]) > 20


def test_missing_bpy_says_how_to_install_it_beside_the_bundle(self_test_dir, tmp_path):
    proc = subprocess.run([str(EXE), "export", str(self_test_dir / "take"), "-o",
                           str(tmp_path / "walk.glb")], capture_output=True, text=True,
                          timeout=300, env=_clean_env())
    assert proc.returncode != 0
    message = proc.stderr.strip().splitlines()[-1]
    assert "blender-python" in message and "bpy==4.5.15" in message, message
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "walk.glb").exists()


def test_bundle_is_cpu_only_and_within_its_size_budget(bundle):
    cuda = [p for p in bundle.rglob("*") if p.name.startswith(("libcudart", "libcublas",
            "libcudnn", "libnccl", "libnvrtc", "libcuda.")) or "nvidia" in p.parts]
    assert not cuda, cuda[:5]
    assert not list(bundle.rglob("bpy")), "bpy must stay outside the bundle"
    # symlinks (PyInstaller links some libraries into _internal/) are not counted twice
    size_mb = sum(p.lstat().st_size for p in bundle.rglob("*")
                  if p.is_file() and not p.is_symlink()) / 2**20
    assert size_mb < SIZE_BUDGET_MB, f"bundle is {size_mb:.0f} MB"


def _bundled_python_modules(bundle: Path) -> set[str]:
    """The names of the Python modules frozen into the bundle: the PYZ archive(s) inside
    the executable's archive, read with PyInstaller's own reader."""
    from PyInstaller.archive.readers import CArchiveReader
    archive = CArchiveReader(str(EXE))
    names: set[str] = set()
    for entry in archive.toc:
        if entry.endswith(".pyz"):
            names |= set(archive.open_embedded_archive(entry).toc)
    return names


def test_bundle_holds_the_app_and_not_the_training_kit(bundle):
    mods = _bundled_python_modules(bundle)
    assert {"mocap_app.cli", "mocap_app.lift.inference", "mocap_app.pipeline.report"} <= mods
    assert not [m for m in mods if m.split(".")[0] == "mocap_train"]
    assert not (bundle / "_internal" / "mocap_train").exists()
    assert not list(bundle.rglob("detector_noise*.json"))      # training-only data

