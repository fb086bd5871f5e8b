import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from mocap_app.core.paths import shared_data_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: always present on CI; a missing folder fails loudly."""
    path = shared_data_dir()
    assert path.is_dir(), f"shared data not found at {path} (CI has ../shared beside the clone)"
    return path


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def write_video(path: Path, frames, fps: float = 30.0, fourcc: str = "mp4v") -> Path:
    """Write BGR frames with OpenCV (used to make synthetic clips in tests)."""
    frames = list(frames)
    h, w = frames[0].shape[:2]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert vw.isOpened(), f"OpenCV cannot write {path}"
    for f in frames:
        vw.write(f)
    vw.release()
    return path


@pytest.fixture
def empty_scene_video(tmp_path) -> Path:
    """Three seconds of a room with nobody in it (a gradient and a box that moves)."""
    frames = []
    for i in range(90):
        img = np.zeros((240, 320, 3), np.uint8)
        img[:] = np.linspace(40, 200, 320, dtype=np.uint8)[None, :, None]
        cv2.rectangle(img, (20 + i, 100), (60 + i, 160), (30, 90, 200), -1)
        frames.append(img)
    return write_video(tmp_path / "empty_room.mp4", frames)


def cut_sample_clip(folder: Path, nbytes: int) -> Path:
    """The first ``nbytes`` of the bundled clip: an MP4 whose header (at the start) still
    declares all 230 frames while only the first few decode, as a download or a copy cut
    off half-way."""
    from mocap_app.core.paths import sample_clip
    out = folder / f"cut_{nbytes}.mp4"
    with open(sample_clip(), "rb") as f:
        out.write_bytes(f.read(nbytes))
    return out


def decodable_frames(path: Path) -> int:
    """Frames of ``path`` that FFmpeg decodes, counted through PyAV (not the OpenCV path the
    app reads through), up to the first decoding error."""
    import av
    count = 0
    with av.open(str(path)) as container:
        try:
            for _frame in container.decode(video=0):
                count += 1
        except av.error.FFmpegError:
            pass
    return count


def axis_turn(axis, angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about ``axis`` (Rodrigues)."""
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


@pytest.fixture(scope="module")
def mocap_poses() -> np.ndarray:
    """A few poses (T, 25, 3) of the bundled sample motion capture, pelvis at the origin."""
    from mocap_train.mocap_data import load_sample_clips
    x = load_sample_clips()[0].joints[::40].astype(np.float64)
    return x - x[:, :1]
