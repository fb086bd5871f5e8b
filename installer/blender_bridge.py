"""FBX/GLB export from the installer bundle.

Blender as a Python module (``bpy``, ~800 MB, built for CPython 3.11) is not inside the
bundle. It is an optional install beside it, in its own Python 3.11:

    python3.11 -m venv <bundle>/blender-python
    <bundle>/blender-python/bin/pip install bpy==4.5.15        (Windows: Scripts\\pip)

or any Python that imports ``bpy``, named by ``$MOCAP_BLENDER_PYTHON``.

``mocap_app.export.blender`` starts its child with ``$MOCAP_BLENDER_CHILD`` when set;
``install`` sets it to this executable with ``--blender-child`` when such a Python exists.
``run_child`` then runs the plain ``blender_child.py`` (bundled as a source file: it
imports only the standard library and bpy) in that Python, with the bundle's own
library and module paths taken out of its environment.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BPY_VERSION = "4.5.15"
BUNDLE_HINT = (
    f"FBX and GLB export and previews need Blender as a Python module, which this app "
    f"bundle does not include (about 800 MB). Install it beside the app in a Python 3.11: "
    f"`python3.11 -m venv {{dir}}/blender-python` then "
    f"`{{dir}}/blender-python/{'Scripts' if os.name == 'nt' else 'bin'}/pip install "
    f"bpy=={BPY_VERSION}` (or set MOCAP_BLENDER_PYTHON to a Python that has bpy), or "
    f"export BVH instead")


def bundle_dir() -> Path:
    """The folder holding the executable (``dist/mocap_app``)."""
    return Path(sys.executable).resolve().parent


def find_blender_python() -> Path | None:
    env = os.environ.get("MOCAP_BLENDER_PYTHON")
    if env:
        return Path(env) if Path(env).is_file() else None
    venv = bundle_dir() / "blender-python"
    for candidate in (venv / "bin" / "python3", venv / "bin" / "python",
                      venv / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def install() -> None:
    """Point the export code at the bridge (frozen app only; from source,
    ``mocap_app.export.blender`` finds bpy in its own interpreter)."""
    if not getattr(sys, "frozen", False):
        return
    if find_blender_python() is not None:
        os.environ["MOCAP_BLENDER_CHILD"] = json.dumps([sys.executable, "--blender-child"])
        return
    os.environ.pop("MOCAP_BLENDER_CHILD", None)
    from mocap_app.export import blender  # noqa: PLC0415
    blender.INSTALL_HINT = BUNDLE_HINT.format(dir=bundle_dir())


def child_environment() -> dict[str, str]:
    """This process's environment without what the bundle added: its folder on
    PYTHONPATH (set by the export code) and PyInstaller's LD_LIBRARY_PATH, which would
    make the other Python load the bundle's libraries instead of its own."""
    env = dict(os.environ)
    meipass = getattr(sys, "_MEIPASS", None)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
             if p and (meipass is None or Path(p).resolve() != Path(meipass).resolve())]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    env.pop("MOCAP_BLENDER_CHILD", None)
    for var in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
        orig = env.pop(var + "_ORIG", None)
        if orig is not None:
            env[var] = orig
        elif meipass is not None:
            env.pop(var, None)
    return env


def child_script() -> Path:
    base = Path(getattr(sys, "_MEIPASS", ""))
    bundled = base / "blender_child" / "blender_child.py"
    if bundled.is_file():
        return bundled
    import mocap_app.export.blender_child as child  # noqa: PLC0415  (from source)
    return Path(child.__file__)


def run_child(args: list[str]) -> int:
    """``--blender-child REQUEST.json``: run the Blender child in the Python with bpy, or
    answer the request with the install hint when there is none."""
    if len(args) != 1:
        print("usage: mocap_app --blender-child REQUEST.json", file=sys.stderr)
        return 2
    python = find_blender_python()
    if python is None:
        request = json.loads(Path(args[0]).read_text())
        Path(request["result"]).write_text(json.dumps({
            "ok": False, "missing_bpy": True,
            "error": BUNDLE_HINT.format(dir=bundle_dir())}))
        return 3
    return subprocess.call([str(python), str(child_script()), args[0]],
                           env=child_environment())
