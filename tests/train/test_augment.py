"""Arms from other frames (mocap_train/augment.py)."""
import numpy as np
import pytest

from mocap_app.core.skeleton import BONES, J, NUM_JOINTS
from mocap_train.augment import ARM_CHAINS, arms_from
from mocap_train.rendered_data import body_frame
from tests.pipeline.poses import rest_pose


def _poses(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.3, (n, NUM_JOINTS, 3))


def _lengths(p):
    return np.stack([np.linalg.norm(p[:, c] - p[:, a], axis=-1) for a, c in BONES], 1)


def test_arms_come_from_the_donor_in_body_axes_with_own_lengths():
    x, donor = _poses(1, 1), _poses(1, 2)
    y = arms_from(x, donor, np.random.default_rng(0), 1.0)
    np.testing.assert_allclose(_lengths(y), _lengths(x), atol=1e-12)   # every bone kept
    moved = sorted(j for c in ARM_CHAINS.values() for j in c[1:])
    still = [j for j in range(NUM_JOINTS) if j not in moved]
    np.testing.assert_array_equal(y[:, still], x[:, still])           # shoulders too
    # each arm bone points, in this body's own axes, where the donor's did in its own
    fy, fd = body_frame(y)[0], body_frame(donor)[0]
    for side in ("left", "right"):
        for a, b in (("shoulder", "elbow"), ("elbow", "wrist"), ("wrist", "hand")):
            ja, jb = J[f"{side}_{a}"], J[f"{side}_{b}"]
            u = fy @ (y[0, jb] - y[0, ja])
            v = fd @ (donor[0, jb] - donor[0, ja])
            np.testing.assert_allclose(u / np.linalg.norm(u), v / np.linalg.norm(v),
                                       atol=1e-12)


def test_share_and_identity():
    x = _poses(400, 3)
    y = arms_from(x, x, np.random.default_rng(4), 0.25)
    changed = np.abs(y - x).max(axis=(1, 2)) > 1e-9
    assert 0.18 < changed.mean() < 0.32
    np.testing.assert_array_equal(arms_from(x, x, np.random.default_rng(4), 0.0), x)
    same = arms_from(x[:1].repeat(3, 0), x[:1], np.random.default_rng(5), 1.0)
    np.testing.assert_allclose(same, x[:1].repeat(3, 0), atol=1e-12)   # its own arms
    with pytest.raises(ValueError, match="arm share must be in"):
        arms_from(x, x, np.random.default_rng(0), 1.5)


def test_arm_elevation_is_the_upper_arm_angle_from_the_body_axis():
    from mocap_train.augment import arm_elevation
    p = rest_pose()[None].repeat(3, axis=0)
    for k, deg in enumerate((0.0, 90.0, 150.0)):        # the left arm raised sideways
        a = np.radians(deg)
        sh = p[k, J["left_shoulder"]]
        p[k, J["left_elbow"]] = sh + 0.29 * np.array([np.sin(a), -np.cos(a), 0.0])
        p[k, J["right_elbow"]] = p[k, J["right_shoulder"]] + [0.0, -0.29, 0.0]
    e = arm_elevation(p * 3.0 + 1.0)                    # any units and place
    np.testing.assert_allclose(e[:, 0], [0.0, 90.0, 150.0], atol=1e-6)
    np.testing.assert_allclose(e[:, 1], 0.0, atol=1e-6)


def test_balanced_draws_even_out_the_elevation_pairs():
    from mocap_train.augment import arm_elevation, balance_cdf
    rng = np.random.default_rng(0)
    p = rest_pose()[None].repeat(1000, axis=0)
    # 900 poses with the left arm down, 100 with it out to the side
    a = np.radians(np.where(np.arange(1000) < 900, 5.0, 95.0))
    sh = p[:, J["left_shoulder"]]
    p[:, J["left_elbow"]] = sh + 0.29 * np.stack([np.sin(a), -np.cos(a), 0 * a], -1)
    for strength, want in ((0.0, 0.1), (1.0, 0.5), (0.5, 0.25)):
        idx = np.searchsorted(balance_cdf(p, strength), rng.random(40000))
        up = (arm_elevation(p[idx])[:, 0] > 45).mean()
        assert up == pytest.approx(want, abs=0.01), strength
    with pytest.raises(ValueError, match=r"balance strength must be in \[0, 1\]"):
        balance_cdf(p, 1.5)


def test_hidden_arm_2d_leaves_only_the_detector_3d_for_that_arm():
    from mocap_train.augment import ARM_2D, hide_arm_2d
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 1.0, (2000, NUM_JOINTS, 9)).astype(np.float32)
    x[:1000, :, 8] = 1.0                                   # the detector 3D given ...
    x[1000:, :, 5:] = 0.0                                  # ... and not given
    out = hide_arm_2d(x, rng, 0.5)
    hidden = {s: (out[:, j, :5] == 0).all(axis=(1, 2)) for s, j in ARM_2D.items()}
    assert not (hidden["left"] & hidden["right"]).any()   # one arm at a time
    either = hidden["left"] | hidden["right"]
    assert not either[1000:].any()                         # only where the 3D is given
    assert abs(either[:1000].mean() - 0.5) < 0.05
    assert abs(hidden["left"][:1000].mean() - 0.25) < 0.04
    np.testing.assert_array_equal(out[:, :, 5:], x[:, :, 5:])   # the 3D untouched
    rest = [j for j in range(NUM_JOINTS) if j not in ARM_2D["left"] + ARM_2D["right"]]
    np.testing.assert_array_equal(out[:, rest], x[:, rest])
    np.testing.assert_array_equal(hide_arm_2d(x, rng, 0.0), x)
    with pytest.raises(ValueError, match=r"hidden-arm share must be in \[0, 1\]"):
        hide_arm_2d(x, rng, -0.1)


def test_a_rolled_pair_is_what_a_rolled_camera_gives():
    """The inputs and target after ``roll_pairs`` equal those normalised from the keypoints
    turned about the picture's centre and the 3D turned about the camera's axis."""
    from mocap_app.lift.normalize import camera_to_cube, normalize_keypoints
    from mocap_train.augment import roll_pairs
    rng = np.random.default_rng(0)
    size = np.array([1280.0, 720.0])
    b = 6
    joints = rng.normal(0, 0.3, (b, 25, 3))                      # app axes, metres
    kp = size / 2 + rng.normal(0, 120, (b, 25, 2))
    kp[0, 3] = np.nan                                             # a joint not seen
    vis = rng.uniform(0.2, 1.0, (b, 25))
    world = joints + rng.normal(0, 0.02, joints.shape)
    scale = np.full(b, 1.5)
    x = normalize_keypoints(kp, vis, tuple(size), world=world, detector_3d=True)
    y = camera_to_cube(joints, scale).astype(np.float32)
    xr, yr = roll_pairs(x, y, np.random.default_rng(5), 40.0, 1.0)
    # the same angles, drawn the same way (every sample picked: one draw for the share)
    r2 = np.random.default_rng(5)
    r2.random(b)
    a = np.radians(r2.uniform(-40, 40, b))
    c, s = np.cos(a)[:, None, None], np.sin(a)[:, None, None]
    rot_img = np.concatenate([np.concatenate([c, -s], -1), np.concatenate([s, c], -1)], -2)
    kp_r = np.einsum("bij,bkj->bki", rot_img, kp - size / 2) + size / 2
    rot_app = np.zeros((b, 3, 3))
    rot_app[:, 0, 0] = rot_app[:, 1, 1] = np.cos(a)
    rot_app[:, 0, 1], rot_app[:, 1, 0] = np.sin(a), -np.sin(a)
    rot_app[:, 2, 2] = 1.0
    world_r = np.einsum("bij,bkj->bki", rot_app, world)
    want_x = normalize_keypoints(kp_r, vis, tuple(size), world=world_r, detector_3d=True)
    want_y = camera_to_cube(np.einsum("bij,bkj->bki", rot_app, joints), scale)
    np.testing.assert_allclose(xr, want_x, atol=1e-5)
    np.testing.assert_allclose(yr, want_y, atol=1e-5)
    assert np.all(xr[0, 3, :5] == 0) and xr[0, 3, 8] == 1.0      # 2D still not seen, 3D given
    same_x, same_y = roll_pairs(x, y, rng, 40.0, 0.0)             # share 0: unchanged
    np.testing.assert_array_equal(same_x, x)
    np.testing.assert_array_equal(same_y, y)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        roll_pairs(x, y, rng, 40.0, 1.5)
