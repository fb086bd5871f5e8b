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


def test_take_video_is_mpeg4_and_matches_the_camera_frames(tmp_path):
    """The take's video.avi is MPEG-4 (~6x smaller than MJPG), holds every processed frame
    and decodes back close to what the camera delivered."""
    import cv2
    from mocap_app.capture.video import VideoFileSource
    source = PacedVideoSource(sample_clip(), speed=4.0)
    estimator = PoseEstimator(EstimatorConfig(lifter="none"))
    seen = {}
    session = LiveSession(source, estimator,
                          on_result=lambda r: seen.setdefault(r.frame.index, r.frame.image))
    session.start_recording(tmp_path / "take", record_video=True)
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    session.run(stop)
    session.stop_recording()
    estimator.close()
    path = tmp_path / "take" / "video.avi"
    cap = cv2.VideoCapture(str(path))
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode().upper()
    cap.release()
    assert fourcc in ("XVID", "FMP4", "DIVX")
    got = [f.image for f in VideoFileSource(path)]
    seq, _ = load_take(tmp_path / "take")
    assert len(got) == len(seq) == len(seen) > 10
    originals = [seen[k] for k in sorted(seen)]
    psnr = [cv2.PSNR(a, b) for a, b in zip(originals, got)]
    assert min(psnr) > 30.0


def test_video_encoder_failure_stops_the_take_and_keeps_the_poses(tmp_path):
    """An error on the take's video writer thread is not swallowed: the next frame stops
    the recording with that message, and the poses written so far stay readable."""
    import cv2
    from mocap_app.capture.base import Frame
    from mocap_app.core.pose import FramePose
    from mocap_app.pipeline.live import Recorder
    from mocap_app.takes import TakeError

    released = []

    class BrokenWriter:
        def write(self, img):
            raise cv2.error("disk gone")

        def release(self):
            released.append(True)

    rec = Recorder(tmp_path / "take", 30.0, (64, 48), source="test")
    rec._video._writer = BrokenWriter()
    img = np.zeros((48, 64, 3), np.uint8)
    written, error = 0, None
    for i in range(200):
        pose = FramePose(index=i, timestamp=i / 30, image_size=(64, 48),
                         keypoints_2d=np.zeros((25, 2)), visibility=np.ones(25),
                         joints_3d=np.zeros((25, 3)))
        try:
            rec.write(Frame(i, i / 30, img), pose)
            written += 1
        except TakeError as exc:
            error = str(exc)
            break
    rec.close("stopped")
    assert error is not None and "video recording failed" in error and "disk gone" in error
    seq, meta = load_take(tmp_path / "take")
    assert meta["status"] == "stopped"
    assert len(seq) == written + 1 > 0    # the failing call's pose was written first
    assert released == [True]             # the broken encoder was still closed, once


def test_a_stalled_encoder_holds_the_take_back_by_half_a_second_at_most(tmp_path):
    """The take's video queue holds at most ``VIDEO_QUEUE_SECONDS`` of frames: when the
    encoder stalls (a CPU too busy for it), recording waits for it rather than letting
    the video fall further behind the poses on disk (a crash then loses at most that)."""
    from mocap_app.capture.base import Frame
    from mocap_app.core.pose import FramePose
    from mocap_app.pipeline.live import VIDEO_QUEUE_SECONDS, Recorder

    go = threading.Event()
    encoded = []

    class StalledWriter:
        def write(self, img):
            go.wait(30)
            encoded.append(img)

        def release(self):
            pass

    rec = Recorder(tmp_path / "take", 30.0, (64, 48), source="test")
    rec._video._writer = StalledWriter()
    img = np.zeros((48, 64, 3), np.uint8)
    done = []

    def record():
        for i in range(60):
            rec.write(Frame(i, i / 30, img), FramePose(
                index=i, timestamp=i / 30, image_size=(64, 48),
                keypoints_2d=np.zeros((25, 2)), visibility=np.ones(25),
                joints_3d=np.zeros((25, 3))))
            done.append(i)

    worker = threading.Thread(target=record)
    worker.start()
    worker.join(2.0)
    assert worker.is_alive()                     # held back by the stalled encoder...
    queued = round(VIDEO_QUEUE_SECONDS * 30)
    # ...after the queue's 15 frames, the one in the encoder and the one waiting to enter
    assert len(done) == queued + 1
    go.set()
    worker.join(30)
    rec.close("complete")
    assert len(done) == 60 and len(encoded) == 60     # nothing dropped once it caught up
    seq, _ = load_take(tmp_path / "take")
    assert len(seq) == 60


def test_a_live_session_keeps_its_newest_poses_for_finding_the_tilt(monkeypatch):
    """``LiveSession.recent_poses``: the keypoints, visibility and detector 3D of the
    newest frames with a person, in order, at most ``RECENT_POSES`` of them (what View >
    Find the camera tilt now judges by)."""
    import mocap_app.pipeline.live as live
    monkeypatch.setattr(live, "RECENT_POSES", 8)
    # real rate: the loop keeps up with most frames even on a busy machine
    source = PacedVideoSource(sample_clip(), fail_after=40, speed=1.0)
    estimator = PoseEstimator(EstimatorConfig(lifter="none"))
    results = []
    session = live.LiveSession(source, estimator, on_result=results.append)
    assert session.recent_poses() is None
    session.run(threading.Event())
    estimator.close()
    with_person = [r.pose for r in results if r.pose.has_person]
    assert len(with_person) > 8
    kp, vis, world, size = session.recent_poses()
    assert kp.shape == (8, 25, 2) and vis.shape == (8, 25) and world.shape == (8, 25, 3)
    np.testing.assert_array_equal(kp, [p.keypoints_2d for p in with_person[-8:]])
    np.testing.assert_array_equal(vis, [p.visibility for p in with_person[-8:]])
    np.testing.assert_array_equal(world, [p.detector_3d for p in with_person[-8:]])
    assert size == tuple(with_person[-1].image_size)
