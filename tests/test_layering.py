"""The layer boundaries of STYLE.md, checked on the source: which package may import
which third-party toolkit, and that nothing below the GUI imports it."""
import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "mocap_app"

# toolkit -> the only places (package prefixes, relative to mocap_app/) allowed to import it
ALLOWED = {
    "torch": ("lift/",),
    "PySide6": ("gui/",),
    "pyqtgraph": ("gui/",),
    "vispy": ("gui/",),
    "mediapipe": ("detect/mediapipe_pose.py",),
    "bpy": ("export/blender_child.py",),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def _relative_imports(path: Path) -> set[str]:
    """Top-level mocap_app subpackages a module imports relatively (from ..gui import x)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(PKG).parts[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = list(rel[: len(rel) - (node.level - 1)]) if node.level - 1 <= len(rel) else []
            parts = base + (node.module.split(".") if node.module else [])
            if parts:
                out.add(parts[0])
    return out


SOURCES = sorted(PKG.rglob("*.py"))


@pytest.mark.parametrize("toolkit", sorted(ALLOWED))
def test_toolkits_are_imported_only_in_their_layer(toolkit):
    offenders = [str(p.relative_to(PKG)) for p in SOURCES
                 if toolkit in _imports(p)
                 and not str(p.relative_to(PKG)).startswith(ALLOWED[toolkit])]
    assert offenders == [], f"{toolkit} imported outside {ALLOWED[toolkit]}: {offenders}"


def test_core_uses_numpy_and_the_standard_library_only():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for p in sorted((PKG / "core").glob("*.py")):
        third_party = _imports(p) - stdlib - {"numpy"}
        assert third_party == set(), f"core/{p.name} imports {third_party}"


def test_nothing_outside_gui_imports_gui():
    offenders = [str(p.relative_to(PKG)) for p in SOURCES
                 if p.relative_to(PKG).parts[0] != "gui" and "gui" in _relative_imports(p)]
    assert offenders == [], offenders


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nfrom PySide6.QtCore import Qt\n")
    assert {"torch", "PySide6"} <= _imports(bad)
