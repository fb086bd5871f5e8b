import threading

import numpy as np

from mocap_app.capture.fake_camera import PacedVideoSource
from mocap_app.core.paths import sample_clip
from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator
from mocap_app.pipeline.live import LatestFrameSlot, LiveSession
from mocap_app.takes import load_take


def test_latest_frame_slot_keeps_newest_and_counts_drops():
    from mocap_app.capture.base import Frame
    slot = LatestFrameSlot()
    img = np.zeros((2, 2, 3), np.uint8)
    for i in range(5):
        slot.put(Frame(i, i / 30, img))
    frame, _ = slot.get(0.01)
    assert frame.index == 4 and slot.dropped == 4
    assert slot.get(0.01) is None


def test_camera_failing_mid_take_keeps_the_take(tmp_path):
    source = PacedVideoSource(sample_clip(), fail_after=40, speed=4.0)
    estimator = PoseEstimator(EstimatorConfig(lifter="none"))
    results = []
    session = LiveSession(source, estimator, on_result=results.append)
    session.start_recording(tmp_path / "take_cam_lost", record_video=True)
    session.run(threading.Event())
    estimator.close()
    assert session.error is not None and "camera" in session.error
    assert not session.recording
    seq, meta = load_take(tmp_path / "take_cam_lost")
    assert meta["status"] == "stopped"
    assert len(seq) == len(results) > 0
    assert (tmp_path / "take_cam_lost" / "video.avi").stat().st_size > 0
