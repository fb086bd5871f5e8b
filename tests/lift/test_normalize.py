import numpy as np

from mocap_app.core.skeleton import J, NUM_JOINTS
from mocap_train import mocap_data as md
from mocap_train.camera_sim import make_pairs
from mocap_app.lift.normalize import (FACE_MIN_RATIO, collapsed_face, face_ratio,
                                      normalize_keypoints)

FACE = [J[n] for n in ("head", "nose", "left_ear", "right_ear")]


def _frontal():
    """A person 1.7 m tall seen from the front, in pixels (y down)."""
    kp = np.zeros((25, 2))
    kp[J["pelvis"]] = (100, 200)
    kp[J["neck"]] = (100, 100)                  # torso 100 px
    kp[J["head"]] = (100, 75)
    kp[J["nose"]] = (100, 78)
    kp[J["left_ear"]] = (115, 75)
    kp[J["right_ear"]] = (85, 75)               # ears 30 px apart: ratio 0.3
    for i, n in enumerate(("shoulder", "elbow", "wrist", "hand", "hip", "knee", "ankle",
                           "heel", "toe")):
        kp[J[f"left_{n}"]] = (130 + i, 100 + 20 * i)
        kp[J[f"right_{n}"]] = (70 - i, 100 + 20 * i)
    kp[J["spine"]] = (100, 150)
    return kp


def test_face_ratio_known_answer_and_collapsed_face_is_dropped():
    kp, vis = _frontal(), np.ones(25)
    assert np.isclose(face_ratio(kp, vis), 0.3)
    assert not collapsed_face(kp, vis)
    x = normalize_keypoints(kp, vis)
    assert (x[FACE, 2] == 1).all()
    small = kp.copy()
    small[FACE] = kp[J["head"]] + 0.2 * (kp[FACE] - kp[J["head"]])       # ratio 0.06
    assert np.isclose(face_ratio(small, vis), 0.06)
    assert collapsed_face(small, vis)
    y = normalize_keypoints(small, vis)
    assert (y[FACE] == 0).all()                                            # missing
    missing = small.copy()
    missing[FACE] = np.nan               # exactly as if the detector had given no face
    np.testing.assert_array_equal(y, normalize_keypoints(missing, vis))
    # one visible face point is no evidence of a collapse
    vis1 = vis.copy()
    vis1[FACE[1:]] = 0
    assert np.isnan(face_ratio(small, vis1)) and not collapsed_face(small, vis1)


def test_real_heads_seen_by_the_training_cameras_are_rarely_that_small():
    """The threshold is below what true 3D heads project to: over the sample clips seen by
    random cameras with exact 2D, at most 2 % of frames fall under it (1 % on the whole
    training set, measured when it was chosen)."""
    frames = np.concatenate([c.joints for c in md.load_sample_clips()])
    pairs = make_pairs(frames.astype(np.float32), np.random.default_rng(0), noise_scale=0.0)
    r = face_ratio(pairs.keypoints, pairs.visibility)
    r = r[np.isfinite(r)]
    assert len(r) > 0.9 * len(frames)
    assert np.mean(r < FACE_MIN_RATIO) < 0.02, np.mean(r < FACE_MIN_RATIO)
    assert np.median(r) > 1.5 * FACE_MIN_RATIO


def test_a_sample_without_any_joint_is_all_zero_and_silent():
    import warnings
    kp = np.full((2, NUM_JOINTS, 2), np.nan)
    kp[1] = np.linspace(0, 100, NUM_JOINTS * 2).reshape(NUM_JOINTS, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = normalize_keypoints(kp, np.ones((2, NUM_JOINTS)))
    assert np.all(out[0] == 0.0)
    assert np.abs(out[1, :, :2]).max() == 1.0       # the other sample is framed as usual


def test_image_place_features_known_answer():
    """With the image size, each joint also gets its offset from the image centre over
    the image's longer side; without it the input is the 3 box features, unchanged."""
    kp, vis = _frontal(), np.ones(25)
    box = normalize_keypoints(kp, vis)
    x = normalize_keypoints(kp, vis, (400, 300))
    assert box.shape == (25, 3) and x.shape == (25, 5)
    np.testing.assert_array_equal(x[:, :3], box)
    # pelvis at (100, 200) in a 400 x 300 image: (100 - 200) / 400, (200 - 150) / 400
    np.testing.assert_allclose(x[J["pelvis"], 3:], [-0.25, 0.125])
    # per-sample sizes (portrait here: the longer side is the height)
    both = normalize_keypoints(np.stack([kp, kp]), np.ones((2, 25)),
                               np.array([[400, 300], [300, 400]]))
    np.testing.assert_allclose(both[1, J["pelvis"], 3:], [(100 - 150) / 400, 0.0])
    missing = kp.copy()
    missing[J["left_wrist"]] = np.nan
    assert (normalize_keypoints(missing, vis, (400, 300))[J["left_wrist"]] == 0).all()


def _pose_3d():
    """A standing pose in metres, app axes (Y up), pelvis off the origin: the 2D frontal
    pose lifted to 3D with a known depth per joint."""
    kp = _frontal()
    pose = np.zeros((25, 3))
    pose[:, 0] = (kp[:, 0] - 100) / 100.0
    pose[:, 1] = (200 - kp[:, 1]) / 100.0
    pose[:, 2] = np.linspace(-0.1, 0.1, 25)
    return pose + [0.3, 0.9, -2.0]


def test_detector_3d_features_known_answer():
    """The detector's 3D enters pelvis-relative in units of its own body scale, with a
    "given" flag; not given (None), non-finite or degenerate poses are all zero."""
    from mocap_app.lift.normalize import DETECTOR_FEATURES, body_scale, detector_features
    pose = _pose_3d()
    s = body_scale(pose)
    f = detector_features(pose, ())
    assert f.shape == (25, 4)
    np.testing.assert_allclose(f[:, :3], (pose - pose[J["pelvis"]]) / s)
    np.testing.assert_array_equal(f[:, 3], 1.0)
    assert (f[J["pelvis"], :3] == 0).all()
    # the scale is the pose's own: a detector that thinks the person is twice as big
    # gives the same features
    np.testing.assert_allclose(detector_features(2.0 * pose, ())[:, :3], f[:, :3])
    assert (detector_features(None, (3,)) == 0).all()
    bad = pose.copy()
    bad[J["left_knee"], 1] = np.nan
    both = detector_features(np.stack([pose, bad, np.zeros((25, 3))]), (3,))
    np.testing.assert_allclose(both[0], f)
    assert (both[1] == 0).all() and (both[2] == 0).all()
    # in the network input they follow the 5 image features
    x = normalize_keypoints(_frontal(), np.ones(25), (400, 300), pose, detector_3d=True)
    assert x.shape == (25, DETECTOR_FEATURES)
    np.testing.assert_array_equal(x[:, :5], normalize_keypoints(_frontal(), np.ones(25),
                                                                (400, 300)))
    np.testing.assert_allclose(x[:, 5:], f, atol=1e-6)
    import pytest
    with pytest.raises(ValueError, match="image_size"):
        normalize_keypoints(_frontal(), np.ones(25), None, pose, detector_3d=True)


def test_mirroring_the_input_equals_the_input_of_the_mirror_image():
    """``mirror_x`` of a 9-feature input is exactly the input built from the mirrored
    picture (x -> w - x, left/right names swapped) and the mirrored detector 3D."""
    from mocap_app.core.skeleton import MIRROR_PERMUTATION, mirror
    from mocap_app.lift.inference import mirror_x
    perm = list(MIRROR_PERMUTATION)
    kp, pose = _frontal() + [57.0, 13.0], _pose_3d()
    kp[J["left_wrist"]] += (9.0, -4.0)               # not symmetric by itself
    pose[J["right_ankle"]] += (0.05, 0.1, -0.2)
    vis = np.linspace(0.3, 1.0, 25)
    x = normalize_keypoints(kp[None], vis[None], (400, 300), pose[None], detector_3d=True)
    kp_m = kp[perm].copy()
    kp_m[:, 0] = 400 - kp_m[:, 0]
    x_m = normalize_keypoints(kp_m[None], vis[perm][None], (400, 300), mirror(pose)[None],
                              detector_3d=True)
    np.testing.assert_allclose(mirror_x(x), x_m, atol=1e-6)
