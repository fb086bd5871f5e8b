"""A small tree of real videos for the batch tests: two copies of the bundled clip in
different folders, a cut-off copy (its header declares 230 frames, 120 decode), a text
file named .mp4, and a file the walk must leave out."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mocap_app.cli import main
from mocap_app.core.paths import sample_clip
from tests.conftest import cut_sample_clip

#: frames of the bundled clip, and of its first 2,000,000 bytes
SAMPLE_FRAMES = 230
CUT_FRAMES = 120


def make_tree(root: Path, *, broken: bool = True, cut: bool = True) -> Path:
    (root / "sub" / "deep").mkdir(parents=True)
    shutil.copy(sample_clip(), root / "a.mp4")
    shutil.copy(sample_clip(), root / "sub" / "b.MP4")
    if cut:
        cut_sample_clip(root / "sub" / "deep", 2_000_000)      # sub/deep/cut_2000000.mp4
    if broken:
        (root / "sub" / "broken.mp4").write_text("this is not a video\n")
    (root / "notes.txt").write_text("not a video either\n")
    return root


def bvh_frames(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("Frames:"):
            return int(line.split()[1])
    raise AssertionError(f"no Frames: line in {path}")


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".part-" in p.name]


@pytest.fixture(scope="session")
def reference_bvh(tmp_path_factory) -> Path:
    """What ``mocap process`` writes for the bundled clip (no refinement, as the batch
    tests run)."""
    out = tmp_path_factory.mktemp("reference") / "sample.bvh"
    assert main(["process", str(sample_clip()), "-o", str(out), "--no-refine", "-q"]) == 0
    return out


@pytest.fixture(scope="session")
def first_batch(tmp_path_factory):
    """The whole tree through ``mocap batch`` on two workers: (input root, output root,
    exit status)."""
    base = tmp_path_factory.mktemp("batch")
    tree = make_tree(base / "in")
    out = base / "out"
    code = main(["batch", str(tree), "-o", str(out), "--no-refine", "--workers", "2", "-q"])
    return tree, out, code
