"""Hands through the estimator on real video: app axes, the body's sides, finger angles."""
import numpy as np

from mocap_app.core.hand import LIMITS
from mocap_app.core.pose import PoseSequence
from mocap_app.core.skeleton import J
from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator
from mocap_app.pipeline.fingers import finger_track
from tests.detect.test_blazepose_reference import read_frames


def test_estimator_hands_are_in_app_axes_and_follow_the_body(shared_data):
    frames = read_frames(shared_data / "video" / "hybrik_taiji.mp4", range(45))
    est = PoseEstimator(EstimatorConfig(lifter="none", hands=True))
    poses = [est.estimate(frames[i], i, i / 30) for i in range(45)]
    seq = PoseSequence.from_frames(poses, 30)
    assert seq.hands_3d.shape == (45, 2, 21, 3)
    seen = np.isfinite(seq.hands_3d[:, :, 0, 0])             # (T, 2)
    assert seen[30:, 0].all() and seen[30:, 1].all()
    for k, side in enumerate(("left", "right")):
        h = seq.hands_3d[seen[:, k], k]
        np.testing.assert_allclose(h[:, 0], 0.0, atol=1e-12)  # wrist at the origin
        size = np.linalg.norm(h[:, 9], axis=-1)               # wrist -> middle knuckle
        assert 0.05 < np.median(size) < 0.12
        # the hand points where the body's forearm and hand point (same axes, same side)
        body = seq.joints_3d[seen[:, k]]
        aim = body[:, J[side + "_hand"]] - body[:, J[side + "_wrist"]]
        cos = np.sum(aim * h[:, 9], -1) / np.linalg.norm(aim, axis=-1) / size
        assert np.median(cos) > 0.7, (side, np.median(cos))
        # the model's 2D wrist lies near the body's wrist in the image
        d = np.linalg.norm(seq.hands_2d[seen[:, k], k, 0]
                           - seq.keypoints_2d[seen[:, k], J[side + "_wrist"]], axis=-1)
        assert np.median(d) < 15.0
    angles, at_limit = finger_track(seq.hands_3d, seq.timestamps)
    assert np.isfinite(angles).all()
    assert np.all(angles >= LIMITS[..., 0] - 1e-12) and np.all(angles <= LIMITS[..., 1] + 1e-12)
    # these hands are ~25 px tall and blurred: many raw angles leave the anatomical range
    # (the motion report shows the share); the limits catch them
    assert 0.0 < at_limit[seen].mean() < 0.5


def test_hands_at_half_rate_hold_the_other_hand_on_its_wrist(shared_data):
    import pytest
    from mocap_app.pipeline.estimator import FrameCost, live_config
    frames = read_frames(shared_data / "video" / "hybrik_taiji.mp4", range(46))
    every = PoseEstimator(EstimatorConfig(lifter="none", hands=True))
    half = PoseEstimator(EstimatorConfig(lifter="none", hands=True, hand_rate="alternate"))
    a = [every.estimate(frames[i], i, i / 30) for i in range(46)]
    b = [half.estimate(frames[i], i, i / 30) for i in range(46)]
    assert half.hands.runs["landmarks"] < 0.6 * every.hands.runs["landmarks"]
    for i in range(34, 46):      # both hands seen: every frame has both, one of them held
        assert np.isfinite(b[i].hands_3d).all()
        held = 1 if i % 2 == 0 else 0                    # even frames look at the left
        looked = 1 - held
        np.testing.assert_allclose(b[i].hands_3d[held], b[i - 1].hands_3d[held])
        np.testing.assert_array_equal(b[i].hands_held, [held == 0, held == 1])
        assert a[i].hands_held is None                  # every frame: nothing held
        shift = (b[i].keypoints_2d[J["left_wrist" if held == 0 else "right_wrist"]]
                 - b[i - 1].keypoints_2d[J["left_wrist" if held == 0 else "right_wrist"]])
        np.testing.assert_allclose(b[i].hands_2d[held] - b[i - 1].hands_2d[held],
                                   np.broadcast_to(shift, (21, 2)), atol=1e-6)
        size = np.linalg.norm(a[i].hands_2d[looked, 9] - a[i].hands_2d[looked, 0])
        err = np.linalg.norm(b[i].hands_2d[looked] - a[i].hands_2d[looked], axis=-1).mean()
        assert err < 0.3 * size
    # "auto" alternates only when the detector and both hands miss the frame budget
    cost = FrameCost()
    for _ in range(12):
        cost.add_detector(0.020)
        cost.add_hands(0.010, 2)
    assert not cost.over_budget()          # 20 + 2 x 5 ms fits 30 ms
    for _ in range(80):
        cost.add_hands(0.012, 1)
    assert cost.over_budget()              # 20 + 2 x 12 ms does not
    assert live_config(EstimatorConfig(hands=True)).hand_rate == "auto"
    with pytest.raises(ValueError, match="unknown hand_rate 'sometimes'; choose one of every"):
        EstimatorConfig(hand_rate="sometimes")


def test_live_session_gives_causal_finger_angles_and_records_the_hands(shared_data,
                                                                        tmp_path):
    import threading
    from mocap_app.capture.fake_camera import PacedVideoSource
    from mocap_app.pipeline.estimator import live_config
    from mocap_app.pipeline.live import LiveSession
    from mocap_app.takes import load_take
    from tests.conftest import write_video
    frames = read_frames(shared_data / "video" / "hybrik_taiji.mp4", range(45))
    clip = write_video(tmp_path / "c.mp4", [frames[i] for i in range(45)], fps=24.0)
    est = PoseEstimator(live_config(EstimatorConfig(lifter="none", hands=True)))
    results = []
    session = LiveSession(PacedVideoSource(clip, speed=1.0), est, on_result=results.append)
    session.start_recording(tmp_path / "take", record_video=False)
    session.run(threading.Event())
    est.close()
    assert len(results) > 10
    assert all(r.finger_angles is not None and r.finger_angles.shape == (2, 5, 4)
               for r in results)
    seq, _ = load_take(tmp_path / "take")
    assert seq.hands_3d is not None and np.isfinite(seq.hands_3d[-5:]).all()


def test_hands_on_their_own_thread_are_last_frames_moved_with_the_wrists(shared_data):
    """The worker thread runs frame t's hands while frame t+1's body is detected: frame
    t+1 gets exactly the same-thread estimator's hands of frame t, their 2D shifted by the
    body's wrist motion."""
    from mocap_app.pipeline.estimator import live_config
    frames = read_frames(shared_data / "video" / "hybrik_taiji.mp4", range(40))
    same = PoseEstimator(EstimatorConfig(lifter="none", hands=True))
    threaded = PoseEstimator(EstimatorConfig(lifter="none", hands=True, hand_thread=True))
    assert same.worker is None and threaded.worker is not None
    a = [same.estimate(frames[i], i, i / 30) for i in range(40)]
    b = [threaded.estimate(frames[i], i, i / 30) for i in range(40)]
    assert threaded.worker.pending                  # frame 39's hands, not yet used
    threaded.worker.collect()
    assert threaded.hands.runs == same.hands.runs   # the same passes on the same frames
    compared = 0
    for i in range(1, 40):
        if a[i - 1].hands_3d is None or b[i].hands_3d is None:
            continue
        np.testing.assert_array_equal(b[i].hands_3d, a[i - 1].hands_3d)
        np.testing.assert_array_equal(b[i].hand_sides, a[i - 1].hand_sides)  # with them
        for k, wrist in enumerate(("left_wrist", "right_wrist")):
            shift = a[i].keypoints_2d[J[wrist]] - a[i - 1].keypoints_2d[J[wrist]]
            np.testing.assert_allclose(b[i].hands_2d[k], a[i - 1].hands_2d[k] + shift,
                                       atol=1e-9)
        compared += int(np.isfinite(b[i].hands_3d).all())
    assert compared >= 25                       # both hands seen from frame ~10 on
    threaded.reset()                            # a new source: nothing carried over
    first = threaded.estimate(frames[20], 0, 0.0)
    assert first.hands_3d is None
    threaded.close()
    assert not threaded.worker._thread.is_alive()
    # the live configuration puts the hands on the second core where there is one
    import os
    assert live_config(EstimatorConfig(hands=True)).hand_thread == ((os.cpu_count() or 1) >= 2)
    assert EstimatorConfig(hands=True).hand_thread is None     # offline: same thread


def test_hand_worker_hands_errors_to_the_estimators_thread():
    import pytest
    from mocap_app.pipeline.hand_worker import HandWorker, HandWorkerError

    class Broken:
        closed = False

        def track(self, image, body, sides):
            raise OSError("model file vanished")

        def reset(self):
            pass

        def close(self):
            self.closed = True

    worker = HandWorker(Broken())
    assert worker.collect() == (None, 0.0)              # nothing pending
    worker.submit(np.zeros((4, 4, 3), np.uint8), None, ("left",))
    with pytest.raises(HandWorkerError, match="hand tracking failed: model file vanished"):
        worker.collect()
    assert not worker.pending
    worker.close()
    assert worker.tracker.closed
    with pytest.raises(HandWorkerError, match="closed"):
        worker.submit(np.zeros((4, 4, 3), np.uint8), None, ("left",))


def test_auto_rate_with_the_hand_thread_needs_each_core_to_fit_alone():
    from mocap_app.pipeline.estimator import FrameCost
    cost = FrameCost()
    for _ in range(12):
        cost.add_detector(0.020)
        cost.add_hands(0.024, 2)
    assert cost.over_budget()                       # 20 + 24 ms in series: over 30 ms
    assert not cost.over_budget(parallel=True)      # 20 | 24 ms side by side: fits
    for _ in range(100):
        cost.add_hands(0.040, 2)
    assert cost.over_budget(parallel=True)          # 40 ms of hands alone: over


def test_offline_hands_on_their_own_thread_give_the_same_poses(shared_data, tmp_path):
    """process_video with the hands on the second core (the offline default on two cores:
    each frame's hands run beside the next frame's body, the pose handed on a frame later)
    gives exactly the poses of the same-thread run, every frame, in order."""
    from mocap_app.pipeline.offline import process_video
    from tests.conftest import write_video
    frames = read_frames(shared_data / "video" / "hybrik_taiji.mp4", range(40))
    clip = write_video(tmp_path / "c.mp4", [frames[i] for i in range(40)], fps=30.0)
    same = process_video(clip, EstimatorConfig(lifter="none", hands=True, hand_thread=False))
    both = process_video(clip, EstimatorConfig(lifter="none", hands=True, hand_thread=True))
    assert len(both.raw) == len(same.raw) == 40
    np.testing.assert_array_equal(both.raw.timestamps, same.raw.timestamps)
    np.testing.assert_array_equal(both.raw.joints_3d, same.raw.joints_3d)
    np.testing.assert_array_equal(both.raw.hands_3d, same.raw.hands_3d)
    np.testing.assert_array_equal(both.raw.hands_2d, same.raw.hands_2d)
    np.testing.assert_array_equal(both.raw.hand_sides, same.raw.hand_sides)
    assert np.isfinite(both.raw.hands_3d[-5:]).all()        # hands seen, up to the last
    import os
    from mocap_app.pipeline.estimator import offline_config
    assert offline_config(EstimatorConfig(hands=True)).hand_thread == ((os.cpu_count() or 1) >= 2)
    assert offline_config(EstimatorConfig()).hand_thread is None    # no hands: no thread
