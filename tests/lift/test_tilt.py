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
