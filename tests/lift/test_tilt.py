"""The camera tilt: ``picture_tilt`` of a rolled camera is the tilt ``levelled`` undoes."""
import numpy as np
import pytest

from mocap_app.lift.tilt import check_tilt, levelled, picture_tilt


def _project(R, points, size=(1280, 720), f=900.0):
    cam = points @ R.T + np.array([0.0, 0.0, 4.0])
    return np.stack([f * cam[:, 0] / cam[:, 2] + size[0] / 2,
                     f * cam[:, 1] / cam[:, 2] + size[1] / 2], -1)


@pytest.mark.parametrize("roll", [-26.1, -5.0, 13.4, 40.0])
def test_a_rolled_cameras_picture_levelled_by_its_tilt_is_the_level_cameras(roll):
    level = np.diag([1.0, -1.0, 1.0])            # world Y up -> camera y down, looking +Z
    a = np.radians(roll)
    turn = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rolled = turn @ level
    points = np.random.default_rng(0).normal(0, 0.5, (25, 3))
    tilt = picture_tilt(rolled, (0.0, 1.0, 0.0))
    assert picture_tilt(level, (0.0, 1.0, 0.0)) == pytest.approx(0.0, abs=1e-9)
    assert abs(tilt) == pytest.approx(abs(roll))
    kp, _, _ = levelled(_project(rolled, points)[None], None, (1280, 720), tilt)
    np.testing.assert_allclose(kp[0], _project(level, points), atol=1e-6)


def test_a_tilt_out_of_range_is_refused_naming_the_range():
    assert check_tilt(-90) == -90.0
    for bad in (90.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="between -90 and 90 degrees"):
            check_tilt(bad)


# -- the tilt found from the take (estimate_tilt) ---------------------------------------

@pytest.fixture(scope="module")
def taiji():
    """40 tracked frames of BlazePose on hybrik_taiji (a level camera): the app's 2D
    keypoints, visibility and the detector's 3D as the estimator gives them, and the
    frame size."""
    import cv2
    from pathlib import Path

    from mocap_app.core.paths import shared_data_dir
    from mocap_app.core.pose import camera_to_app
    from mocap_app.core.skeleton import blazepose_to_app
    z = np.load(Path(__file__).parents[1] / "data" / "detect" / "legacy_tracking.npz")
    assert str(z["clip"][0]) == "hybrik_taiji.mp4"
    cap = cv2.VideoCapture(str(shared_data_dir() / "video" / "hybrik_taiji.mp4"))
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    cap.release()
    kp = blazepose_to_app(z["landmarks_2d"].astype(np.float64))
    vis = blazepose_to_app(z["visibility"].astype(np.float64)[..., None])[..., 0]
    world = camera_to_app(blazepose_to_app(z["world_landmarks"].astype(np.float64)))
    return kp, vis, world - world[:, :1], size


@pytest.fixture(scope="module")
def lifter():
    from mocap_app.lift.inference import Lifter
    return Lifter.load()


def test_a_level_camera_is_found_level_and_a_rolled_one_rolled_by_its_roll(lifter, taiji):
    """Known answers: hybrik_taiji's camera stands level, so its tilt is found within a few
    degrees of 0 (the lifter reads a body's lean too); the same picture turned about its
    centre by 20 degrees (a camera rolled by 20: exactly what ``levelled`` undoes) is
    found 20 degrees further, because the search then meets the same levelled pictures."""
    from mocap_app.lift.tilt import AUTO_MIN_FRAMES, estimate_tilt
    kp, vis, world, size = taiji
    level = estimate_tilt(lifter, kp, vis, size, world)
    assert level.frames == len(kp)
    assert abs(level.tilt_deg) <= 7.5           # 5.0 on these 40 frames (2.5 on the clip)
    assert level.gap <= level.level_gap
    for roll in (-20.0, 20.0):
        rolled_kp, rolled_world, _ = levelled(kp, world, size, -roll)
        found = estimate_tilt(lifter, rolled_kp, vis, size, rolled_world)
        assert found.tilt_deg == pytest.approx(level.tilt_deg + roll, abs=0.3)
        assert found.gap == pytest.approx(level.gap, rel=0.02)
        assert found.level_gap > 1.2 * found.gap       # the rolled picture: less sure
    lifter.tilt_deg = 7.0
    estimate_tilt(lifter, kp, vis, size, world)
    assert lifter.tilt_deg == 7.0                       # left as it was
    lifter.tilt_deg = 0.0
    few = estimate_tilt(lifter, kp[:AUTO_MIN_FRAMES - 1], vis[:AUTO_MIN_FRAMES - 1], size)
    assert few.tilt_deg == 0.0 and few.frames == AUTO_MIN_FRAMES - 1
    assert few.as_dict() == {"tilt_deg": 0.0, "frames": AUTO_MIN_FRAMES - 1,
                             "level_gap": None, "gap": None}      # strict JSON


def test_a_take_levelled_by_its_own_tilt_is_lifted_as_with_that_tilt_given(lifter, taiji):
    """``offline.level_take``: a take from a rolled camera, lifted level frame by frame,
    comes back lifted with the tilt found (the same joints as a lifter given that tilt),
    with its lifter's tilt untouched; a frame without a person stays empty."""
    from mocap_app.core.pose import PoseSequence
    from mocap_app.pipeline.offline import level_take
    kp, vis, world, size = taiji
    kp, world, _ = levelled(kp, world, size, 25.0)      # a camera rolled by -25 degrees
    kp, vis, world = kp.copy(), vis.copy(), world.copy()
    kp[5], vis[5], world[5] = np.nan, 0.0, np.nan
    valid = np.isfinite(kp).all(axis=(1, 2))
    flat = lifter.lift(np.nan_to_num(kp), vis, size, world=world).joints_3d
    flat[~valid] = np.nan
    seq = PoseSequence(np.arange(len(kp)) / 30.0, flat, kp, vis, valid, 30.0, size,
                       detector_3d=world)
    out, found = level_take(seq, lifter)
    assert found.tilt_deg == pytest.approx(-25.0, abs=5.0)
    assert lifter.tilt_deg == 0.0
    lifter.tilt_deg = found.tilt_deg
    want = lifter.lift(np.nan_to_num(kp[valid]), vis[valid], size, world=world[valid]).joints_3d
    lifter.tilt_deg = 0.0
    np.testing.assert_allclose(out.joints_3d[valid], want, atol=1e-6)
    assert np.isnan(out.joints_3d[5]).all() and out.keypoints_2d is seq.keypoints_2d
    assert not np.allclose(out.joints_3d[valid], flat[valid], atol=1e-3)


def test_a_take_not_yet_lifted_is_lifted_whole_at_the_tilt_found(lifter, taiji, monkeypatch):
    """``level_take(lifted=False)`` (``process_video`` lifts a take once, after finding
    its tilt): every frame's stand-in 3D is replaced by the lift at the tilt found, also
    when that tilt is 0; a frame the lifter cannot lift (3 keypoints) is no pose."""
    import mocap_app.lift.tilt as tilt_module
    from mocap_app.core.pose import PoseSequence
    from mocap_app.pipeline.offline import level_take
    kp, vis, world, size = taiji
    kp, world, _ = levelled(kp, world, size, 25.0)      # a camera rolled by -25 degrees
    kp, vis, world = kp.copy(), vis.copy(), world.copy()
    kp[7, 3:] = np.nan                                  # 3 keypoints left: not liftable
    valid = np.ones(len(kp), bool)
    stand_in = np.where(np.isfinite(world), world, 0.0)
    seq = PoseSequence(np.arange(len(kp)) / 30.0, stand_in, kp, vis, valid, 30.0, size,
                       detector_3d=world)
    out, found = level_take(seq, lifter, lifted=False)
    assert found.tilt_deg == pytest.approx(-25.0, abs=5.0) and lifter.tilt_deg == 0.0
    ok = np.arange(len(kp)) != 7
    lifter.tilt_deg = found.tilt_deg
    want = lifter.lift(np.nan_to_num(kp[ok]), vis[ok], size, world=world[ok]).joints_3d
    lifter.tilt_deg = 0.0
    np.testing.assert_allclose(out.joints_3d[ok], want, atol=1e-6)
    assert not out.valid[7] and np.isnan(out.joints_3d[7]).all() and out.valid[ok].all()
    assert seq.valid[7]                                 # the input is left as it was
    # the tilt found is the lifter's own (0): lifted all the same, not left as stand-ins
    monkeypatch.setattr(tilt_module, "estimate_tilt",
                        lambda *a, **k: tilt_module.TiltEstimate(0.0, 40, 0.1, 0.1))
    out0, _ = level_take(seq, lifter, lifted=False)
    level = lifter.lift(np.nan_to_num(kp[ok]), vis[ok], size, world=world[ok]).joints_3d
    np.testing.assert_allclose(out0.joints_3d[ok], level, atol=1e-6)
    same, _ = level_take(seq, lifter)                   # lifted=True: nothing to redo
    assert same is seq


def test_a_tilt_setting_is_auto_or_degrees_in_range():
    from mocap_app.lift.tilt import AUTO, tilt_setting
    assert tilt_setting("auto") == AUTO and tilt_setting(" Auto ") == AUTO
    assert tilt_setting("-12.5") == -12.5 and tilt_setting(30) == 30.0
    for bad in ("level", "95", None, float("nan")):
        with pytest.raises(ValueError, match="'auto' or between -90 and 90 degrees"):
            tilt_setting(bad)
