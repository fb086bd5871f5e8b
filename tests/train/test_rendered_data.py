"""The detector-residual model that gives projected-mocap pairs a detector 3D: known
answers on a hand-made pose (no dataset needed)."""
from types import SimpleNamespace

import numpy as np

from mocap_app.core.skeleton import J, NUM_JOINTS
from mocap_app.lift.normalize import body_scale, detector_features
from mocap_train.rendered_data import DetectorResiduals, body_frame


def _pose() -> np.ndarray:
    rng = np.random.default_rng(0)
    p = rng.normal(0, 0.25, (NUM_JOINTS, 3))
    p[J["pelvis"]] = 0
    p[J["neck"]] = (0.02, 0.5, 0.05)
    p[J["left_hip"]], p[J["right_hip"]] = (0.1, -0.02, 0.0), (-0.1, -0.02, 0.0)
    return p


def _turn_y(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def test_a_residual_carried_onto_its_own_pose_gives_back_the_detector_and_turns_with_the_body():
    truth = _pose()
    truth_cube = truth / body_scale(truth)
    det = truth + np.random.default_rng(1).normal(0, 0.03, truth.shape)
    det[J["left_hip"]] += (0.04, 0.0, 0.02)                  # a surface hip, say
    feats = detector_features(det, ())
    inputs = np.zeros((1, NUM_JOINTS, 9), np.float32)
    inputs[0, :, 5:] = feats
    model = DetectorResiduals(SimpleNamespace(inputs=inputs, target=truth_cube[None]))
    rng = np.random.default_rng(2)
    np.testing.assert_allclose(model.apply(truth_cube[None], rng)[0], feats[:, :3], atol=1e-6)
    # the same body turned by 70 degrees about the vertical gets the same error, turned
    turned = truth_cube @ _turn_y(70).T
    np.testing.assert_allclose(model.apply(turned[None], rng)[0], feats[:, :3] @ _turn_y(70).T,
                               atol=1e-6)
    # the body's own axes are orthonormal and right-handed
    f = body_frame(turned[None])[0]
    np.testing.assert_allclose(f @ f.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(f) > 0.999
