"""Known answers for the pieces of our BlazePose: anchors, decoding, NMS, ROI, crop,
heatmap refinement. No model runs here."""
import math

import numpy as np
import pytest

from mocap_app.detect.base import Roi
from mocap_app.detect.landmarks import refine_from_heatmaps
from mocap_app.detect.roi import roi_from_keypoints, warp_crop
from mocap_app.detect.smoothing import OneEuroFilter
from mocap_app.detect.ssd import RawDetection, decode_detections, ssd_anchors, weighted_nms


def test_anchors_match_the_model_layout():
    a = ssd_anchors()
    assert a.shape == (2254, 2)
    # stride 8: 28x28 cells, 2 anchors each, row by row
    np.testing.assert_allclose(a[0], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(a[1], a[0])
    np.testing.assert_allclose(a[2], [1.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(a[2 * 28], [0.5 / 28, 1.5 / 28])
    # stride 16 starts after 28*28*2; three stride-32 layers share 7x7 cells, 6 a cell
    np.testing.assert_allclose(a[1568], [0.5 / 14, 0.5 / 14])
    np.testing.assert_allclose(a[1568 + 392: 1568 + 392 + 6], [[0.5 / 7, 0.5 / 7]] * 6)
    np.testing.assert_allclose(a[-1], [6.5 / 7, 6.5 / 7])


def test_decoding_puts_box_and_keypoints_at_anchor_offsets():
    anchors = np.array([[0.25, 0.5], [0.75, 0.5]])
    raw = np.zeros((2, 12))
    raw[0, :4] = [22.4, -11.2, 44.8, 89.6]          # +0.1, -0.05 offsets; 0.2 x 0.4 box
    raw[0, 4:6] = [0.0, 22.4]                         # keypoint 0 at anchor + (0, 0.1)
    scores = np.array([3.0, -3.0])                     # only the first passes 0.5
    dets = decode_detections(raw, scores, anchors)
    assert len(dets) == 1
    np.testing.assert_allclose(dets[0].box, [0.25, 0.25, 0.45, 0.65])
    np.testing.assert_allclose(dets[0].keypoints[0], [0.25, 0.6])
    np.testing.assert_allclose(dets[0].keypoints[1], [0.25, 0.5])
    assert dets[0].score == pytest.approx(1 / (1 + math.exp(-3)))


def test_weighted_nms_averages_a_cluster_by_score_and_keeps_others():
    kp = np.zeros((4, 2))
    a = RawDetection(np.array([0.0, 0.0, 1.0, 1.0]), kp + 1, 0.9)
    b = RawDetection(np.array([0.1, 0.0, 1.1, 1.0]), kp + 2, 0.6)   # IoU 0.82 with a
    c = RawDetection(np.array([5.0, 5.0, 6.0, 6.0]), kp + 3, 0.5)   # alone
    out = weighted_nms([a, b, c], 0.3)
    assert len(out) == 2
    np.testing.assert_allclose(out[0].box, [0.04, 0.0, 1.04, 1.0])
    np.testing.assert_allclose(out[0].keypoints, kp + 1.4)
    assert out[0].score == 0.9
    np.testing.assert_allclose(out[1].box, c.box)


def test_roi_of_an_upright_person_and_of_one_lying_down():
    up = roi_from_keypoints(np.array([100.0, 200.0]), np.array([100.0, 120.0]))
    assert up.rotation == pytest.approx(0.0)
    assert up.size == pytest.approx(2 * 80 * 1.25)
    assert up.center == (100.0, 200.0)
    # head to the right (x grows): the crop turns so that the head is up
    lying = roi_from_keypoints(np.array([100.0, 200.0]), np.array([180.0, 200.0]))
    assert lying.rotation == pytest.approx(math.pi / 2)
    np.testing.assert_allclose(lying.crop_to_image(np.array([0.5, 0.5 - 80 / lying.size])),
                               [180.0, 200.0], atol=1e-9)


def test_roi_maps_back_and_forth_and_heatmap_cells():
    roi = Roi(center=(320.0, 240.0), size=200.0, rotation=0.7)
    uv = np.array([[0.1, 0.2], [0.9, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(roi.image_to_crop(roi.crop_to_image(uv)), uv, atol=1e-12)
    np.testing.assert_allclose(roi.heatmap_to_image(np.array([32.0, 32.0])), [320.0, 240.0])


def test_warp_crop_puts_a_frame_pixel_where_the_roi_says():
    img = np.zeros((300, 400, 3), np.uint8)
    img[100:104, 250:254] = 255                       # a 4x4 white square, centre (251.5, 101.5)
    roi = Roi(center=(200.0, 150.0), size=256.0, rotation=0.4)
    crop = warp_crop(img, roi, 256, replicate_border=True)
    ys, xs = np.nonzero(crop[:, :, 0] > 100)
    # pixel centres: crop pixel (i, j) covers crop coordinates ((j + 0.5)/256, (i + 0.5)/256)
    found = roi.crop_to_image(np.array([(xs.mean() + 0.5) / 256, (ys.mean() + 0.5) / 256]))
    np.testing.assert_allclose(found, [252.0, 102.0], atol=0.6)


def test_heatmap_refinement_finds_a_gaussian_peak():
    hm = np.full((64, 64, 2), 1e-4, np.float32)
    yy, xx = np.mgrid[0:64, 0:64]
    hm[:, :, 0] = np.exp(-((xx - 20.3) ** 2 + (yy - 40.6) ** 2) / (2 * 1.0 ** 2))
    uv = np.array([[20.9 / 64, 40.9 / 64], [0.5, 0.5]])     # the model says cell (20, 40)
    out = refine_from_heatmaps(uv, hm, kernel=9)
    np.testing.assert_allclose(out[0] * 64, [20.3, 40.6], atol=0.05)
    np.testing.assert_allclose(out[1], [0.5, 0.5])            # a flat heatmap: unchanged


def test_one_euro_holds_a_still_point_and_follows_a_fast_one():
    f = OneEuroFilter()
    noisy = [f.apply(t / 30, np.array([100.0 + (t % 2) * 2.0]), 100.0)[0] for t in range(30)]
    assert np.ptp(noisy[10:]) < 0.5                    # 2 px jitter mostly removed
    f.reset()
    moving = [f.apply(t / 30, np.array([10.0 * t]), 100.0)[0] for t in range(30)]
    assert abs(moving[-1] - 290.0) < 15.0              # follows a fast move with little lag
