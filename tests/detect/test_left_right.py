"""Left/right labels kept consistent along a track (``detect/left_right.py``): known
answers on synthetic tracks, and the real swap in the Pose2Sim take's cam02."""
import cv2
import numpy as np
import pytest

from mocap_app.core.paths import shared_data_dir
from mocap_app.core.skeleton import BLAZEPOSE_MIRROR, BLAZEPOSE_NAMES
from mocap_app.detect.base import Detection
from mocap_app.detect.blazepose import BlazePoseDetector
from mocap_app.detect.left_right import LIMBS, LeftRightGuard, mirrored_labels

N = {n: i for i, n in enumerate(BLAZEPOSE_NAMES)}
PERM = list(BLAZEPOSE_MIRROR)


def _person(yaw: float, x0: float = 320.0) -> Detection:
    """A standing person turned by ``yaw`` (0 = facing the camera), orthographic view,
    pixels; world landmarks in camera axes (z away from the camera), hip-centred."""
    body = np.zeros((33, 3))
    for side, s in (("left", 1.0), ("right", -1.0)):       # person's left at +x facing us
        for part, (x, y, z) in {"shoulder": (20, -100, 0), "elbow": (28, -60, 5),
                                "wrist": (30, -20, 12), "hip": (12, 0, 0),
                                "knee": (13, 50, -4), "ankle": (14, 100, 2),
                                "heel": (14, 105, 6), "foot_index": (14, 105, -10),
                                "pinky": (31, -12, 14), "index": (31, -10, 15),
                                "thumb": (29, -14, 15), "eye": (4, -135, -8),
                                "eye_inner": (2, -135, -9), "eye_outer": (6, -135, -7),
                                "ear": (8, -132, 0)}.items():
            body[N[f"{side}_{part}"]] = (s * x, y, z)
    body[N["nose"]] = (0, -128, -12)
    body[N["mouth_left"]], body[N["mouth_right"]] = (3, -122, -9), (-3, -122, -9)
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    world = body @ rot.T
    pts = world[:, :2] * 2.0 + [x0, 300.0]
    vis = np.linspace(0.5, 1.0, 33)
    heat = np.broadcast_to(np.arange(33, dtype=np.float32), (4, 4, 33)).copy()
    return Detection(box=np.array([0, 0, 640, 480.0]), landmarks_2d=pts, visibility=vis,
                     world_landmarks=world / 100.0, heatmaps=heat)


def test_mirrored_labels_swap_names_and_reflect_depth():
    d = _person(0.3)
    m = mirrored_labels(d)
    np.testing.assert_array_equal(m.landmarks_2d[N["left_wrist"]], d.landmarks_2d[N["right_wrist"]])
    np.testing.assert_array_equal(m.visibility, d.visibility[PERM])
    np.testing.assert_array_equal(m.heatmaps[0, 0], np.array(PERM, dtype=np.float32))
    np.testing.assert_array_equal(m.world_landmarks[:, :2], d.world_landmarks[PERM, :2])
    np.testing.assert_array_equal(m.world_landmarks[:, 2], -d.world_landmarks[PERM, 2])
    # twice is the identity
    np.testing.assert_array_equal(mirrored_labels(m).world_landmarks, d.world_landmarks)


def test_a_stretch_of_swapped_frames_is_put_back_exactly():
    truth = [_person(0.2 + 0.01 * t, 300 + 2 * t) for t in range(40)]
    seen = [mirrored_labels(d) if 12 <= t < 25 else d for t, d in enumerate(truth)]
    guard = LeftRightGuard()
    out = [guard(d, continuing=t > 0) for t, d in enumerate(seen)]
    assert guard.relabelled == 13
    for got, want in zip(out, truth):
        np.testing.assert_array_equal(got.landmarks_2d, want.landmarks_2d)
        np.testing.assert_allclose(got.world_landmarks, want.world_landmarks, atol=1e-12)
        np.testing.assert_array_equal(got.visibility, want.visibility)


def test_a_person_turning_round_keeps_its_labels():
    """Turning from facing the camera to facing away (through side-on, where the left and
    right limbs cross in the picture) in small steps: nothing is relabelled."""
    guard = LeftRightGuard()
    for t, yaw in enumerate(np.linspace(0.0, np.pi, 60)):
        d = _person(yaw)
        assert guard(d, continuing=t > 0) is d
    assert guard.relabelled == 0


def test_a_new_track_is_never_compared_with_the_old_one():
    guard = LeftRightGuard()
    guard(_person(0.0), continuing=True)            # no previous frame yet: kept
    swapped = mirrored_labels(_person(0.0))
    assert guard(swapped, continuing=False) is swapped          # lost and found again
    guard.reset()
    assert guard(_person(0.0), continuing=True).landmarks_2d is not None
    assert guard.relabelled == 0


def _limb_jumps(landmarks: np.ndarray) -> list[int]:
    """Frames whose mirrored limb labels fit the previous frame at least twice as well."""
    k = landmarks[:, list(LIMBS)]
    m = landmarks[:, PERM][:, list(LIMBS)]
    same = np.linalg.norm(k[1:] - k[:-1], axis=-1).mean(1)
    swapped = np.linalg.norm(m[1:] - k[:-1], axis=-1).mean(1)
    return list(np.flatnonzero(swapped < 0.5 * same) + 1)


def _track(path, guard: bool) -> tuple[np.ndarray, BlazePoseDetector]:
    cap = cv2.VideoCapture(str(path))
    det = BlazePoseDetector(keep_heatmaps=False, left_right_guard=guard)
    out = []
    for i in range(100):
        ok, frame = cap.read()
        assert ok, f"{path} ended at frame {i}"
        d = det.detect(frame, i / 60.0)
        assert d is not None, f"nobody found in frame {i}"
        out.append(d.landmarks_2d)
    cap.release()
    return np.array(out), det


def test_pose2sim_cam02_swap_is_undone(shared_data):
    """BlazePose labels the man in cam02 the wrong way round from frame 41 (BASELINE.md)
    and flickers back at the end; the guard keeps every frame's labels continuous."""
    path = shared_data_dir() / "video" / "pose2sim" / "cam02.mp4"
    raw, _ = _track(path, guard=False)
    jumps = _limb_jumps(raw)
    assert 41 in jumps and len(jumps) >= 4, jumps          # the swap is there without it
    fixed, det = _track(path, guard=True)
    assert _limb_jumps(fixed) == []
    assert det.left_right.relabelled >= 30                  # frames 41-74 and the flicker
    np.testing.assert_allclose(fixed[:41], raw[:41])        # before the swap: untouched
