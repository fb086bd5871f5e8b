"""The import graph of a source tree, read from the source (AST), not by importing it.

Every import statement counts, also one inside a function (a lazy import is still a
dependency). Nodes are dotted module names (a package is its ``__init__``); an edge
``a -> b`` means module ``a`` imports module ``b``. ``from pkg import name`` points at the
submodule ``pkg.name`` when there is one, else at ``pkg``. A package's ``__init__`` that
runs when a submodule is imported is not counted as an edge: it is Python's mechanics,
not a dependency anybody wrote.
"""
from __future__ import annotations

import ast
from pathlib import Path


def module_name(root: Path, path: Path) -> str:
    """``root/pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``root/pkg/__init__.py`` -> ``pkg``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Dotted name -> file, for every module of the top-level ``packages`` under ``root``."""
    out = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            out[module_name(root, path)] = path
    return out


def _absolute(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    """The absolute module a (possibly relative) ``from`` import names."""
    if node.level == 0:
        return node.module or ""
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports (see the module docstring)."""
    mods = modules(root, packages)
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    targets.add(_nearest(alias.name, mods))
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, name, is_package)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in mods else _nearest(base, mods))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def _nearest(dotted: str, mods: dict[str, Path]) -> str:
    """The longest prefix of ``dotted`` that is a module of the tree ('' if none)."""
    parts = dotted.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in mods:
            return candidate
        parts.pop()
    return ""


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles of the graph: strongly connected components of more than one module
    (Tarjan's algorithm, iterative), each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def room(module: str, top: str) -> str:
    """The room of a module: ``mocap_app.detect.base`` -> ``detect``; a module at the top
    of the package (``mocap_app.cli``) is a room of its own; another top-level package
    (``mocap_train.train``) is one room named after the package."""
    parts = module.split(".")
    if parts[0] != top:
        return parts[0]
    return parts[1] if len(parts) > 1 else ""


def floor_violations(graph: dict[str, set[str]], top: str,
                     floors: dict[str, int]) -> list[str]:
    """Imports that do not point down: a module may import its own room and the rooms on
    lower floors only. A room missing from ``floors`` is reported too (every room has a
    floor, so a new one is placed on purpose)."""
    out = []
    for src in sorted(graph):
        a = room(src, top)
        if a not in floors:
            out.append(f"{src}: room '{a}' has no floor")
            continue
        for dst in sorted(graph[src]):
            b = room(dst, top)
            if b == a:
                continue
            if b not in floors:
                out.append(f"{dst}: room '{b}' has no floor")
            elif floors[b] >= floors[a]:
                out.append(f"{src} (floor {floors[a]}) imports {dst} (floor {floors[b]})")
    return out
