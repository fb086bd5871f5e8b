"""gui/ is the only package that imports PySide6, pyqtgraph or vispy (STYLE.md), and
nothing imports gui/. Checked on the source (every import statement, also inside
functions), so a lazy import cannot slip through."""
from __future__ import annotations

import ast
from pathlib import Path

import mocap_app

PACKAGE = Path(mocap_app.__file__).resolve().parent
TOOLKITS = ("PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "vispy")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_only_gui_imports_the_toolkit_and_nothing_imports_gui():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        in_gui = rel.parts[0] == "gui"
        for module, level in _imports(path):
            root = module.split(".")[0]
            if not in_gui and level == 0 and root in TOOLKITS:
                offenders.append(f"{rel}: imports {module}")
            if not in_gui and ((level == 0 and module.startswith("mocap_app.gui"))
                               or (level > 0 and module.split(".")[0] == "gui")):
                offenders.append(f"{rel}: imports the gui package")
    assert offenders == []
    # and the check sees the gui's own imports (it is not vacuous)
    gui_roots = {m.split(".")[0] for p in (PACKAGE / "gui").rglob("*.py")
                 for m, lvl in _imports(p) if lvl == 0}
    assert {"PySide6", "pyqtgraph", "vispy"} <= gui_roots
