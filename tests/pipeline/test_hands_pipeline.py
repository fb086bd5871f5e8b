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
