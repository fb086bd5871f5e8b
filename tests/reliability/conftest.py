import subprocess
from pathlib import Path

import pytest

from mocap_app.pipeline.offline import process_video

from ..conftest import write_video
from .media import sample_frames


@pytest.fixture(scope="session")
def walk_take(tmp_path_factory):
    """A real 20-frame PoseSequence (the bundled walk, 880x496, through the detector)."""
    folder = tmp_path_factory.mktemp("walk")
    clip = write_video(folder / "walk20.mp4", sample_frames(20, start=10, size=(880, 496)))
    return process_video(clip).raw


@pytest.fixture(scope="session")
def short_walk_clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    return write_video(folder / "walk.mp4", sample_frames(15, start=10, size=(640, 360)))


def _mount_tmpfs(folder: Path, options: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"these tests mount a small tmpfs (root needed): {proc.stderr.strip()}")


@pytest.fixture
def full_disk(tmp_path):
    """A real 64 KiB filesystem: writes past it fail with ENOSPC."""
    folder = tmp_path / "tiny disk"
    _mount_tmpfs(folder, "size=64k")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def readonly_dir(tmp_path):
    """A real read-only folder (a read-only mount: root ignores file permissions)."""
    folder = tmp_path / "read only"
    _mount_tmpfs(folder, "ro,size=64k")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)
