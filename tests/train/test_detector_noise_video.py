"""Known answers for the multi-view helpers behind bench/measure_detector_noise_video.py:
leave-one-view-out triangulation on synthetic cameras, and the Qualisys calibration of
the Pose2Sim take."""
import cv2
import numpy as np

from mocap_app.core.paths import shared_data_dir
from mocap_train.multiview import (Camera, body_error, leave_one_out, project, read_qca,
                                      triangulate, undistort)


def _look_at(centre, target=(0.0, 0.0, 1.0)):
    """World -> camera rotation and translation of a camera at ``centre`` looking at
    ``target`` (world z up, image y down)."""
    centre, target = np.asarray(centre, float), np.asarray(target, float)
    z = target - centre
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    return R, -R @ centre


def _cameras(dist=(0.0, 0.0, 0.0, 0.0)):
    K = np.array([[1500.0, 0.0, 540.0], [0.0, 1500.0, 960.0], [0.0, 0.0, 1.0]])
    cams = []
    for i, (cx, cy) in enumerate([(4, 0.5), (-0.5, 4), (-4, -0.3), (0.4, -4)]):
        R, t = _look_at((cx, cy, 1.8))
        cams.append(Camera(f"cam{i + 1:02d}", (1080, 1920), K, np.asarray(dist, float), R, t))
    return cams


def _points(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform([-0.4, -0.4, 0.1], [0.4, 0.4, 1.7], size=(n, 3))


def test_triangulate_recovers_the_point():
    cams = _cameras()
    X = _points()
    for k in range(len(X)):
        pts = np.array([project(c.P, X[k]) for c in cams])
        assert np.allclose(triangulate([c.P for c in cams], pts), X[k], atol=1e-6)
        assert np.allclose(triangulate([c.P for c in cams[:2]], pts[:2]), X[k], atol=1e-6)


def test_leave_one_out_recovers_an_offset_view():
    cams = _cameras()
    Ps = [c.P for c in cams]
    X = _points()
    pts = np.stack([project(P, X) for P in Ps])          # (4, 12, 2)
    offset = np.array([90.0, -60.0])     # the mean error of a 3-view reference with it
                                         # is far over the 15 px check
    noisy = pts.copy()
    noisy[2] += offset
    loo = leave_one_out(Ps, noisy, min_views=2, max_ref_error=15.0)
    assert loo.valid.all()
    err = noisy - loo.reprojected
    # the offset view against the three clean ones: exactly its offset
    assert np.abs(err[2] - offset).max() < 0.5
    # the clean views: the offset view is dropped from their references -> ~0
    assert np.abs(err[[0, 1, 3]]).max() < 0.01
    assert np.nanmax(loo.ref_error) < 0.01
    assert body_error(np.array(Ps), noisy, [0, 1, 3]) < 1e-6
    assert body_error(np.array(Ps), noisy, [0, 1, 2]) > 15.0


def test_leave_one_out_small_offset_and_missing_views():
    cams = _cameras()
    Ps = [c.P for c in cams]
    X = _points()
    pts = np.stack([project(P, X) for P in Ps])
    offset = np.array([-3.0, 5.0])                       # under the check: kept
    noisy = pts.copy()
    noisy[1] += offset
    noisy[3, :4] = np.nan                                # the 4th view missed joints 0..3
    noisy[0, 0] = np.nan                                 # and the 1st view joint 0
    loo = leave_one_out(Ps, noisy, min_views=2, max_ref_error=15.0)
    err = noisy - loo.reprojected
    # the offset view: references from the clean views -> exactly its offset
    assert np.abs(err[1, 1:] - offset).max() < 0.5
    # the clean views are only pulled by the offset view's 5.8 px
    clean = np.linalg.norm(err[[0, 2, 3]], axis=-1)
    assert np.nanmax(clean) < np.linalg.norm(offset)
    # joint 0 was seen by views 1 and 2 only: views 0 and 3 get a 2-view reference,
    # views 1 and 2 have a single other view -> no reference
    assert loo.valid[0, 0] and loo.valid[3, 0] and loo.n_views[0, 0] == 2
    assert not loo.valid[1, 0] and not loo.valid[2, 0]
    assert np.isnan(loo.reprojected[1, 0]).all()
    # joints 1..3: view 3 missed them, so the references of views 0..2 use 2 views
    assert (loo.n_views[:3, 1:4] == 2).all() and loo.valid[:, 1:].all()


def test_a_view_swapped_left_right_is_kept_out_of_the_references():
    cams = _cameras()
    Ps = [c.P for c in cams]
    X = _points()
    pts = np.stack([project(P, X) for P in Ps])
    swap = [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10]        # pairs of "left/right" joints
    noisy = pts.copy()
    noisy[3] = pts[3, swap]
    loo = leave_one_out(Ps, noisy, min_views=2, max_ref_error=15.0, max_body_error=30.0)
    assert loo.valid.all()
    err = noisy - loo.reprojected
    assert np.abs(err[:3]).max() < 0.01                  # clean views: exact references
    assert np.abs(err[3] - (pts[3, swap] - pts[3])).max() < 0.01   # the swap, measured


def test_undistort_inverts_the_lens():
    cams = _cameras(dist=(-0.25, 0.08, 0.001, 0.001))
    X = _points()
    for c in cams:
        rvec = cv2.Rodrigues(c.R)[0]
        seen = cv2.projectPoints(X, rvec, c.t, c.K, c.dist)[0].reshape(-1, 2)
        assert np.abs(seen - project(c.P, X)).max() > 1.0     # the lens matters
        assert np.abs(undistort(c, seen) - project(c.P, X)).max() < 0.05
    assert np.isnan(undistort(cams[0], np.full((2, 2), np.nan))).all()


def test_pose2sim_qualisys_calibration():
    cams = read_qca(shared_data_dir() / "video" / "pose2sim" / "Calib.qca.txt")
    assert [c.name for c in cams] == ["cam01", "cam02", "cam03", "cam04"]
    for c in cams:
        assert c.size == (1088, 1920)
        assert c.K[0, 0] > 0 and c.K[1, 1] > 0
        assert 1500 < c.K[0, 0] < 1900                   # 1/64 sub-pixel units undone
        assert 0 < c.K[0, 2] < c.size[0] and 0 < c.K[1, 2] < c.size[1]
        assert c.R.shape == (3, 3)
        assert abs(np.linalg.det(c.R) - 1.0) < 1e-6
        assert np.allclose(c.R @ c.R.T, np.eye(3), atol=1e-6)
        # the capture volume (1 m above the world origin) is in front of every camera,
        # 2-5 m away, and inside its image
        x_cam = c.R @ np.array([0.0, 0.0, 1.0]) + c.t
        assert 2.0 < x_cam[2] < 5.0
        u, v = project(c.P, np.array([0.0, 0.0, 1.0]))
        assert 0 < u < c.size[0] and 0 < v < c.size[1]
