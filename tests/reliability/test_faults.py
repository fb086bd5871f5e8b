"""Faults during a live take: the camera goes away, the disk fills, the app is killed.
Each time the take is kept (or recovered) and the user is told."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mocap_app.capture.base import CaptureError, Frame, SourceInfo
from mocap_app.capture.fake_camera import PacedVideoSource
from mocap_app.capture.video import VideoFileSource
from mocap_app.core.paths import sample_clip
from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator
from mocap_app.pipeline.live import LiveSession
from mocap_app.takes import find_takes, load_take, recover_take

from .media import sample_frames


class FlakyCamera:
    """A live source that delivers ``good`` frames of the walk, then fails ``how``."""

    def __init__(self, how: str, good: int = 25):
        self.frames = sample_frames(good, start=10, size=(640, 360))
        self.info = SourceInfo(640, 360, 30.0, None, "flaky camera")
        self.how = how
        self._closed = threading.Event()

    def __iter__(self):
        t0 = time.monotonic()
        for i, img in enumerate(self.frames):
            time.sleep(1 / 30)
            yield Frame(i, time.monotonic() - t0, img)
        if self.how == "driver_error":
            raise OSError(5, "Input/output error")
        if self.how == "empty_frames":
            while not self._closed.is_set():
                yield Frame(len(self.frames), time.monotonic() - t0,
                            np.zeros((0, 0, 3), np.uint8))
        if self.how == "stalls":
            self._closed.wait(60)      # blocks, as a hung driver does
        # "ends": the iteration just stops

    def close(self):
        self._closed.set()


@pytest.fixture(scope="module")
def estimator():
    est = PoseEstimator(EstimatorConfig())
    yield est
    est.close()


@pytest.mark.parametrize("how", ["driver_error", "empty_frames", "stalls", "ends"])
def test_camera_disappears_mid_take(tmp_path, estimator, how):
    estimator.reset()
    camera = FlakyCamera(how)
    results = []
    session = LiveSession(camera, estimator, on_result=results.append, frame_timeout=1.0)
    session.start_recording(tmp_path / "take", record_video=True)
    t0 = time.monotonic()
    session.run(threading.Event())
    assert time.monotonic() - t0 < 10, "the session hung on a dead camera"
    assert session.error is not None and "camera" in session.error   # the user is told
    assert not session.recording
    seq, meta = load_take(tmp_path / "take")
    assert meta["status"] == "stopped"
    assert len(seq) == len(results) and 5 <= len(seq) <= 25
    assert seq.valid.sum() >= len(seq) // 2
    assert len(list(VideoFileSource(tmp_path / "take" / "video.avi"))) == len(seq)


def test_disk_fills_during_recording(full_disk, estimator):
    """Recording the camera and its video onto a real 64 KiB disk: recording stops with
    a clear message, the live view goes on, and what was written loads back."""
    estimator.reset()
    source = PacedVideoSource(sample_clip(), speed=3.0, loop=True)
    results, stop = [], threading.Event()

    def seen(result):
        results.append(result)
        if len(results) >= 150:
            stop.set()
    session = LiveSession(source, estimator, on_result=seen)
    session.start_recording(full_disk / "take", record_video=True)
    session.run(stop)
    assert session.error is not None and "disk is full" in session.error
    assert not session.recording
    recorded = sum(r.recording for r in results)
    assert 0 < recorded < len(results) and not results[-1].recording   # view went on
    seq, meta = load_take(full_disk / "take")
    assert meta["status"] in ("stopped", "recovered")
    assert recorded - 1 <= len(seq) <= recorded
    kept = [r.pose for r in results if r.recording][:len(seq)]
    got = seq.joints_3d[seq.valid]
    want = np.array([p.joints_3d for p in kept if p.has_person])
    np.testing.assert_allclose(got, want[:len(got)], atol=1e-4)


def test_sigkill_while_recording_is_recovered(tmp_path):
    root = tmp_path / "takes"
    root.mkdir()
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("record_child.py")), str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=Path(__file__).resolve().parents[2])
    written = []          # (frame, monotonic) the child reported as written
    try:
        deadline = time.monotonic() + 120
        for line in child.stdout:
            parts = line.split()
            if len(parts) == 2:
                written.append((int(parts[0]), float(parts[1])))
            if written and written[-1][1] - written[0][1] > 4.0:
                break
            assert time.monotonic() < deadline, "the child never recorded"
        killed_at = time.monotonic()
        os.kill(child.pid, signal.SIGKILL)
        rest = child.stdout.read()
    finally:
        child.kill()
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    for line in rest.splitlines():
        parts = line.split()
        if len(parts) == 2:
            written.append((int(parts[0]), float(parts[1])))

    # next start: the unfinished take is found and recovered
    takes = find_takes(root)
    assert [t["status"] for t in takes] == ["recording"]
    folder = Path(takes[0]["folder"])
    recover_take(folder)
    seq, meta = load_take(folder)
    assert meta["status"] == "recovered" and meta["parameters"]["why"] == "SIGKILL test"
    before_last_second = sum(t <= killed_at - 1.0 for _, t in written)
    assert before_last_second >= 10      # ~3 s of recording on a loaded 2-core CPU
    assert before_last_second <= len(seq) <= len(written) + 1
    assert np.all(np.diff(seq.timestamps) > 0)
    # the camera video cut off by the kill still plays
    frames = sum(1 for _ in VideoFileSource(folder / "video.avi"))
    assert frames >= before_last_second


def test_stopping_a_source_while_it_decodes_does_not_abort_the_app():
    """Stopping a live session closes its source from another thread mid-decode; FFmpeg
    used to abort the whole process (`fctx->async_lock` assertion)."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("close_race_child.py")), "30"],
        capture_output=True, text=True, timeout=240, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "survived 30" in proc.stdout
