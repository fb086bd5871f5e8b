import numpy as np
import pytest

from mocap_app.core.rotations import (euler_to_matrix, frame_from_axes, matrix_to_euler,
                                      rotation_between)


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_euler_round_trip_all_orders(order):
    rng = np.random.default_rng(1)
    angles = rng.uniform(-179, 179, (500, 3))
    angles[:, 1] = rng.uniform(-89, 89, 500)
    r = euler_to_matrix(angles, order)
    np.testing.assert_allclose(euler_to_matrix(matrix_to_euler(r, order), order), r, atol=1e-9)


def test_euler_gimbal_lock_still_reproduces_the_matrix():
    r = euler_to_matrix(np.array([[25.0, 90.0, 10.0], [5.0, -90.0, -40.0]]), "ZXY")
    np.testing.assert_allclose(euler_to_matrix(matrix_to_euler(r, "ZXY"), "ZXY"), r, atol=1e-9)


def test_zxy_means_z_outermost():
    # R = Rz(90) Rx(90) (Ry(0)): x -> Rx: x -> Rz: y ;  y -> Rx: z -> Rz: z
    r = euler_to_matrix(np.array([90.0, 90.0, 0.0]), "ZXY")
    np.testing.assert_allclose(r @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(r @ [0, 1, 0], [0, 0, 1], atol=1e-12)


def test_rotation_between_including_opposite():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    a[0], b[0] = [0, 1, 0], [0, -1, 0]
    r = rotation_between(a, b)
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    np.testing.assert_allclose(np.einsum("nij,nj->ni", r, an), bn, atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-9)


def test_frame_from_axes_is_a_rotation():
    r = frame_from_axes(np.array([0, 2.0, 0]), np.array([1.0, 1.0, 0]), 1, 0)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(r), 1.0)
    np.testing.assert_allclose(r[:, 1], [0, 1, 0])
    np.testing.assert_allclose(r[:, 0], [1, 0, 0], atol=1e-12)
