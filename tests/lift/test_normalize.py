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
