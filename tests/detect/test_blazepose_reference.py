"""Our BlazePose against the legacy MediaPipe solution's recorded outputs
(``tests/data/detect/*.npz``, made once by ``tests/data/detect/make_references.py``)."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from mocap_app.detect import make_detector
from mocap_app.detect.blazepose import BlazePoseDetector
from mocap_app.detect.base import Detection

DATA = Path(__file__).resolve().parents[1] / "data" / "detect"


def read_frames(video: Path, indices) -> dict[int, np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    assert cap.isOpened(), f"cannot open {video}"
    want, out, i = set(indices), {}, 0
    while len(out) < len(want):
        ok, frame = cap.read()
        assert ok, f"{video} ends before frame {max(want)}"
        if i in want:
            out[i] = frame
        i += 1
    return out


@pytest.fixture(scope="module")
def static_detector():
    det = BlazePoseDetector(subject="best", static_image_mode=True)
    yield det
    det.close()


def test_static_frames_match_the_legacy_solution(shared_data, static_detector):
    ref = np.load(DATA / "legacy_static.npz")
    errors = []
    for k in range(len(ref["frame"])):
        clip, i = str(ref["clip"][k]), int(ref["frame"][k])
        frame = read_frames(shared_data / "video" / clip, [i])[i]
        d = static_detector.detect(frame)
        assert d is not None, f"{clip} frame {i}: nobody found"
        err = np.linalg.norm(d.landmarks_2d - ref["landmarks_2d"][k], axis=1)    # (33,) px
        assert err.mean() < 0.05, f"{clip} frame {i}: mean {err.mean():.3f} px"
        np.testing.assert_allclose(d.visibility, ref["visibility"][k], atol=2e-3)
        np.testing.assert_allclose(d.world_landmarks, ref["world_landmarks"][k], atol=2e-3)
        errors.append(err)
    errors = np.concatenate(errors)
    # The refinement window is placed by truncating the landmark to a heatmap cell: a
    # landmark within ~1e-4 cell of a cell edge can land in the next window and move by a
    # few tenths of a pixel (seen once, 0.22 px). Everything else is within 0.1 px.
    assert np.mean(errors < 0.1) >= 0.99, np.sort(errors)[-5:]
    assert errors.max() < 0.5
    assert errors.mean() < 0.02


def test_tracking_mode_matches_the_legacy_solution(shared_data):
    """Video mode, smoothing off: the legacy graph still smooths the auxiliary (ROI)
    landmarks with its One-Euro filter; so do we, and the crops stay the same."""
    ref = np.load(DATA / "legacy_tracking.npz")
    clip, frames_idx = str(ref["clip"][0]), ref["frame"]
    frames = read_frames(shared_data / "video" / clip, range(int(frames_idx.max()) + 1))
    det = BlazePoseDetector(subject="best")
    means = []
    for i in range(int(frames_idx.max()) + 1):
        d = det.detect(frames[i], i / 30)
        k = np.flatnonzero(frames_idx == i)
        if len(k):
            assert d is not None
            means.append(np.linalg.norm(d.landmarks_2d - ref["landmarks_2d"][k[0]], axis=1).mean())
    assert det.detector_runs == 1           # the person detector ran on the first frame only
    means = np.array(means)
    assert means.max() < 0.1, means
    assert means.mean() < 0.06


def test_without_roi_smoothing_tracking_drifts_from_the_legacy_crops(shared_data):
    """The reason the filter is there: without it the crops differ from frame 2 on."""
    ref = np.load(DATA / "legacy_tracking.npz")
    clip = str(ref["clip"][0])
    frames = read_frames(shared_data / "video" / clip, range(10))
    det = BlazePoseDetector(subject="best", roi_smoothing=False)
    errs = [np.linalg.norm(det.detect(frames[i], i / 30).landmarks_2d
                           - ref["landmarks_2d"][i], axis=1).mean() for i in range(10)]
    assert errs[0] < 0.05 and max(errs[2:]) > 0.5


def test_detection_carries_heatmaps_mapped_by_its_roi(shared_data, static_detector):
    frame = read_frames(shared_data / "video" / "hybrik_taiji.mp4", [150])[150]
    d = static_detector.detect(frame)
    assert isinstance(d, Detection)
    assert d.heatmaps.shape == (64, 64, 33) and d.heatmaps.dtype == np.float32
    assert d.roi is not None
    assert 0.0 <= d.heatmaps.min() and d.heatmaps.max() <= 1.0
    # each visible landmark's heatmap peak lies within two cells of the landmark
    cell = d.roi.size / 64
    for j in np.flatnonzero(d.visibility > 0.9):
        row, col = np.unravel_index(np.argmax(d.heatmaps[:, :, j]), (64, 64))
        peak = d.roi.heatmap_to_image(np.array([col, row], float))
        assert np.linalg.norm(peak - d.landmarks_2d[j]) < 2 * cell, j
    x0, y0, x1, y1 = d.box
    assert x0 <= d.landmarks_2d[:, 0].min() and x1 >= d.landmarks_2d[:, 0].max()
    assert y0 <= d.landmarks_2d[:, 1].min() and y1 >= d.landmarks_2d[:, 1].max()


def test_no_person_gives_none(empty_scene_video):
    det = make_detector("blazepose")
    cap = cv2.VideoCapture(str(empty_scene_video))
    n = 0
    while n < 10:
        ok, frame = cap.read()
        assert ok
        assert det.detect(frame, n / 30) is None
        assert det.status.value == "searching"
        n += 1
    assert det.detect(np.zeros((480, 640, 3), np.uint8)) is None
    assert det.detect_people(np.zeros((480, 640, 3), np.uint8)) == []


def test_factory_switches_between_ours_and_the_legacy_solution():
    assert isinstance(make_detector("blazepose"), BlazePoseDetector)
    legacy = make_detector("mediapipe", smooth_landmarks=False)
    assert type(legacy).__name__ == "MediaPipePoseDetector"
    with pytest.raises(ValueError):
        make_detector("openpose")
    with pytest.raises(ValueError):
        BlazePoseDetector(subject="tallest")
