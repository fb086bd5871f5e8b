"""Root trajectory: pinhole solve, smoothing, ground levelling (known answers)."""
import numpy as np
import pytest

from mocap_app.core.skeleton import J
from mocap_app.pipeline.root_trajectory import (CameraModel, RootOptions, root_trajectory,
                                                solve_root_camera)
from tests.pipeline.poses import rest_pose, rot_x, rot_y

SIZE = (1280, 720)


def _project(world_app, camera):
    """App-axes points with the camera at the origin looking down -Z -> pixels."""
    cam = world_app * np.array([1.0, -1.0, -1.0])
    cx, cy = camera.principal_point
    return np.stack([camera.focal_px * cam[..., 0] / cam[..., 2] + cx,
                     camera.focal_px * cam[..., 1] / cam[..., 2] + cy], axis=-1)


def test_solve_root_recovers_a_known_position():
    camera = CameraModel(SIZE, 65.0)
    pose_cam = rest_pose() * np.array([1.0, -1.0, -1.0])      # app -> camera axes
    pose_cam = pose_cam @ rot_y(30).T                         # turned, still pelvis-relative
    root = np.array([0.4, -0.2, 3.5])
    kp = _project((pose_cam + root) * np.array([1.0, -1.0, -1.0]), camera)
    got = solve_root_camera(pose_cam, kp, np.ones(25), camera)
    np.testing.assert_allclose(got, root, atol=1e-9)


def _walk_seen_by_tilted_camera(t=90, pitch=12.0, fps=30.0):
    """A person walking diagonally on a floor 1.3 m below a camera pitched down by
    ``pitch`` degrees. Returns camera-aligned pelvis-relative joints, 2D keypoints and
    the true pelvis track in the camera-aligned frame."""
    camera = CameraModel(SIZE, 70.0)
    base = rest_pose()
    base[:, 1] += 0.88                                  # floor at y = 0 (world)
    path = np.stack([np.linspace(-1.0, 1.0, t), np.zeros(t), np.linspace(-3.0, -5.0, t)], 1)
    world = base[None] + path[:, None]                  # (T, 25, 3) world, Y up
    world[:, :, 1] -= 1.3                               # camera 1.3 m above the floor
    tilt = rot_x(pitch)                                 # world -> camera-aligned
    cam_aligned = world @ tilt.T
    joints = cam_aligned - cam_aligned[:, :1]
    kp = _project(cam_aligned, camera)
    return joints, kp, cam_aligned[:, 0], camera


def test_root_track_is_metric_and_ground_is_levelled():
    joints, kp, true_root, camera = _walk_seen_by_tilted_camera()
    t = len(joints)
    res = root_trajectory(joints, kp, np.ones((t, 25)), np.ones(t, bool), SIZE, 30.0,
                          RootOptions(hfov_deg=70.0))
    # metric: distances walked agree with the truth (levelling is a rotation)
    steps = np.linalg.norm(np.diff(res.root_positions, axis=0), axis=1).sum()
    true_steps = np.linalg.norm(np.diff(true_root, axis=0), axis=1).sum()
    assert steps == pytest.approx(true_steps, rel=0.02)
    # levelled: the feet touch Y = 0 throughout and the pelvis sits 0.88 m above them
    world = res.joints + res.root_positions[:, None]
    lowest = world[:, [J["left_heel"], J["left_toe"], J["right_heel"], J["right_toe"]], 1].min(1)
    np.testing.assert_allclose(lowest, 0.0, atol=0.01)
    np.testing.assert_allclose(res.root_positions[:, 1], 0.89, atol=0.01)
    np.testing.assert_allclose(np.degrees(np.arccos(res.ground_normal[1])), 12.0, atol=0.5)


def test_bad_frames_are_bridged():
    joints, kp, _, camera = _walk_seen_by_tilted_camera(60, pitch=0.0)
    valid = np.ones(60, bool)
    valid[20:25] = False
    res = root_trajectory(joints, kp, np.ones((60, 25)), valid, SIZE, 30.0,
                          RootOptions(hfov_deg=70.0))
    assert np.isfinite(res.root_positions).all()


def test_a_jump_to_another_person_is_not_smeared():
    """The tracker moving to someone 2 m away: both sides keep their own positions."""
    joints, kp, true_root, camera = _walk_seen_by_tilted_camera(90, pitch=0.0)
    cam_aligned = joints + true_root[:, None]
    cam_aligned[45:, :, 0] += 2.0
    kp = np.stack([camera.focal_px * cam_aligned[..., 0] / -cam_aligned[..., 2] + 640,
                   camera.focal_px * -cam_aligned[..., 1] / -cam_aligned[..., 2] + 360], -1)
    res = root_trajectory(joints, kp, np.ones((90, 25)), np.ones(90, bool), SIZE, 30.0,
                          RootOptions(hfov_deg=70.0, level_ground=False))
    x = res.root_positions[:, 0]
    np.testing.assert_allclose(x[40:45], true_root[40:45, 0], atol=0.02)
    np.testing.assert_allclose(x[45:50], true_root[45:50, 0] + 2.0, atol=0.02)
