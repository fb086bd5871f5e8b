"""The layout of STYLE.md and docs/ARCHITECTURE.md, checked on the source (AST): no
import circle between modules, every import points down the floors, each third-party
toolkit only in its room, and the runtime never imports the training kit."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.import_graph import cycles, floor_violations, import_graph, modules

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mocap_app", "mocap_train")

#: room of mocap_app -> floor; a room imports only its own modules and lower floors
#: (docs/ARCHITECTURE.md draws this).
FLOORS = {
    "": 0, "core": 0, "resources": 0,
    "capture": 1, "detect": 1, "lift": 1, "takes": 1, "export": 1,
    "pipeline": 2,
    "link": 3, "batch": 3,
    "gui": 4, "cli": 4,
    "mocap_train": 5,
}

#: toolkit -> the only places (paths relative to the checkout) allowed to import it
ALLOWED = {
    "torch": ("mocap_app/lift/", "mocap_train/"),
    "PySide6": ("mocap_app/gui/",),
    "pyqtgraph": ("mocap_app/gui/",),
    "vispy": ("mocap_app/gui/",),
    "mediapipe": ("mocap_app/detect/mediapipe_pose.py",),
    "ai_edge_litert": ("mocap_app/detect/",),
    "bpy": ("mocap_app/export/blender_child.py", "mocap_app/link/blender_addon/ui.py"),
    "mathutils": ("mocap_app/export/blender_child.py", "mocap_app/link/blender_addon/ui.py"),
    "pythonosc": ("mocap_app/link/vmc.py",),
    "ray": ("mocap_app/batch/ray_tasks.py",),
    "matplotlib": ("mocap_app/pipeline/report",),
    "anny": ("mocap_train/",),
    "moderngl": ("mocap_train/",),
}

SOURCES = sorted(modules(ROOT, PACKAGES).values())
GRAPH = import_graph(ROOT, PACKAGES)


def _third_party(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def test_the_graph_is_read_from_both_packages():
    assert "mocap_app.cli" in GRAPH and "mocap_train.train" in GRAPH
    assert "mocap_app.core.pose" in GRAPH["mocap_app.pipeline.offline"]
    # a lazy import inside a function counts (estimator loads the lifter only when used)
    assert "mocap_app.lift.inference" in GRAPH["mocap_app.pipeline.estimator"]


def test_no_import_circle_between_modules():
    assert cycles(GRAPH) == []


def test_every_import_points_down_the_floors():
    assert floor_violations(GRAPH, "mocap_app", FLOORS) == []


def test_the_runtime_never_imports_the_training_kit():
    offenders = [f"{m} -> {d}" for m, deps in GRAPH.items() if m.startswith("mocap_app")
                 for d in deps if d.startswith("mocap_train")]
    assert offenders == []
    offenders = [_rel(p) for p in SOURCES if _rel(p).startswith("mocap_app/")
                 and "mocap_train" in _third_party(p)]
    assert offenders == []


@pytest.mark.parametrize("toolkit", sorted(ALLOWED))
def test_toolkits_are_imported_only_in_their_room(toolkit):
    offenders = [_rel(p) for p in SOURCES
                 if toolkit in _third_party(p) and not _rel(p).startswith(ALLOWED[toolkit])]
    assert offenders == [], f"{toolkit} imported outside {ALLOWED[toolkit]}: {offenders}"


def test_core_uses_numpy_and_the_standard_library_only():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for p in sorted((ROOT / "mocap_app" / "core").glob("*.py")):
        third_party = _third_party(p) - stdlib - {"numpy", "mocap_app"}
        assert third_party == set(), f"core/{p.name} imports {third_party}"


# ------------------------------------------------- the checker finds what it must find


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_finds_a_planted_circle(tmp_path):
    """pkg.a imports pkg.sub.b at the top, pkg.sub.b imports pkg.a inside a function
    (relatively), pkg.c imports both and is in no circle."""
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from .sub import b\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/b.py": "def f():\n    from .. import a\n    return a\n",
        "pkg/c.py": "import pkg.a\nfrom pkg.sub.b import f\n",
    })
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.a"}
    assert graph["pkg.c"] == {"pkg.a", "pkg.sub.b"}
    assert cycles(graph) == [["pkg.a", "pkg.sub.b"]]
    # and a longer circle through three rooms
    _write(tmp_path, {"pkg/c.py": "from .a import x\n", "pkg/a.py": "from .sub.b import y\n",
                      "pkg/sub/b.py": "import pkg.c\n"})
    assert cycles(import_graph(tmp_path, ("pkg",))) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def test_the_checker_finds_an_import_of_a_higher_floor(tmp_path):
    _write(tmp_path, {
        "app/__init__.py": "",
        "app/core/__init__.py": "",
        "app/core/pose.py": "def f():\n    from ..pipeline import run\n",
        "app/pipeline/__init__.py": "from ..core import pose\n",
        "app/pipeline/run.py": "from app.core.pose import f\n",
        "app/newroom/x.py": "",
    })
    graph = import_graph(tmp_path, ("app",))
    found = floor_violations(graph, "app", {"": 0, "core": 0, "pipeline": 1})
    assert "app.core.pose (floor 0) imports app.pipeline.run (floor 1)" in found
    assert "app.newroom.x: room 'newroom' has no floor" in found
    assert not any(v.startswith("app.pipeline") for v in found)
