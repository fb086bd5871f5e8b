"""Our hand detector against MediaPipe's own hand solutions' recorded outputs
(``tests/data/hands/*.npz``, made once by ``tests/data/hands/make_references.py``)."""
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from mocap_app.detect.blazepose import BlazePoseDetector
from mocap_app.detect.hand_models import (HandLandmarkModel, PalmDetectionModel,
                                          roi_from_pose_hand)
from mocap_app.detect.hands import POSE_HAND_LANDMARKS, HandTracker, keep_tracking
from mocap_app.detect.base import Roi

from tests.detect.test_blazepose_reference import read_frames

DATA = Path(__file__).resolve().parents[1] / "data" / "hands"


@pytest.fixture(scope="module")
def tracking_run(shared_data):
    """Our body detector and hand tracker over the clip Holistic was recorded on."""
    ref = np.load(DATA / "holistic_tracking.npz")
    clip, n = str(ref["clip"][0]), len(ref["left"])
    frames = read_frames(shared_data / "video" / clip, range(n))
    det, tracker = BlazePoseDetector(subject="best"), HandTracker()
    bodies, hands = [], []
    for i in range(n):
        body = det.detect(frames[i], i / 30)
        bodies.append(body)
        hands.append(tracker.track(frames[i], body))
    return ref, frames, bodies, hands, tracker


def test_palm_detector_and_landmarks_match_the_hands_solution(shared_data):
    ref = np.load(DATA / "hands_static.npz")
    palm, model = PalmDetectionModel(), HandLandmarkModel()
    for k, name in enumerate(ref["image"]):
        img = cv2.imread(str(shared_data / "images" / "lsp" / "images" / str(name)))
        assert img is not None, name
        found = [model.run(img, c.roi) for c in palm.run(img)]
        errs = [np.linalg.norm(h.landmarks_2d - ref["landmarks_2d"][k], axis=1).mean()
                for h in found]
        best = found[int(np.argmin(errs))]
        assert min(errs) < 0.05, f"{name}: mean {min(errs):.3f} px"
        assert best.presence > 0.5
        np.testing.assert_allclose(best.world_landmarks, ref["world_landmarks"][k], atol=2e-3)
        # MediaPipe names hands as in a selfie; ours is the unmirrored meaning
        mp_left = str(ref["label"][k]) == "Left"
        assert (best.handedness > 0.5) == mp_left, name
        assert abs(max(best.handedness, 1 - best.handedness) - ref["score"][k]) < 2e-3


def test_tracking_matches_holistic_on_real_video(tracking_run):
    ref, _, _, hands, tracker = tracking_run
    for side in ("left", "right"):
        truth = ref[side]                                      # (T, 21, 2), NaN: unseen
        seen_ref = np.isfinite(truth[:, 0, 0])
        ours = [h.side(side) for h in hands]
        seen = np.array([o is not None for o in ours])
        both = np.flatnonzero(seen & seen_ref)
        # we find the hands Holistic finds here (all but one of 98) and a few more
        assert len(both) >= 0.95 * seen_ref.sum(), (side, seen_ref.sum(), len(both))
        rel = []
        for i in both:
            size = np.linalg.norm(truth[i, 9] - truth[i, 0])
            rel.append(np.linalg.norm(ours[i].landmarks_2d - truth[i], axis=1).mean() / size)
            other = ref["left" if side == "right" else "right"][i]
            if np.isfinite(other[0, 0]):    # never the other hand
                assert (np.linalg.norm(ours[i].landmarks_2d - truth[i], axis=1).mean()
                        < np.linalg.norm(ours[i].landmarks_2d - other, axis=1).mean())
        rel = np.array(rel)
        # The left hand follows Holistic's crops to 0.07 px; the right differs where our
        # body landmarks (and so the re-crop) differ from Holistic's on a blurred hand.
        assert np.median(rel) < 0.06, (side, np.median(rel))
        assert np.mean(rel < 0.25) > 0.85, (side, np.sort(rel)[-5:])
    assert tracker.runs["landmarks"] < 1.3 * 2 * len(hands)    # one pass a hand, mostly


def test_sides_come_from_the_body_and_handedness_refuses_a_swap(tracking_run):
    """Give the tracker a body with its left and right hand landmarks exchanged: each
    crop now holds the other hand, and the hand model's handedness refuses it instead of
    naming it after the wrong side."""
    _, frames, bodies, hands, _ = tracking_run
    i = 40
    body, normal = bodies[i], hands[i]
    assert normal.left is not None and normal.right is not None
    assert normal.left.side_score > 0.9 and normal.right.side_score > 0.9
    swap = np.arange(33)
    for a, b in zip(POSE_HAND_LANDMARKS["left"], POSE_HAND_LANDMARKS["right"]):
        swap[a], swap[b] = b, a
    swapped = replace(body, landmarks_2d=body.landmarks_2d[swap],
                      visibility=body.visibility[swap])
    got = HandTracker(palm_search=False).track(frames[i], swapped)
    assert got.left is None and got.right is None
    # what the hand model saw stays on record (pipeline/side_check.py reads it): a present
    # hand in each crop, and the body's "left" crop holds a right hand and vice versa
    assert (got.sides[:, 0] > 0.5).all()
    assert got.sides[0, 1] > 0.9 and got.sides[1, 1] < 0.1
    assert normal.sides[0, 1] < 0.1 and normal.sides[1, 1] > 0.9


def test_palm_search_finds_a_hand_the_body_crop_misses(tracking_run):
    """The body's hand landmarks moved 1.5 crops away: the crop from the body sees no
    hand, the palm detector around it finds the real one."""
    ref, frames, bodies, hands, _ = tracking_run
    i = 40
    body = bodies[i]
    w, p, x = POSE_HAND_LANDMARKS["left"]
    size = roi_from_pose_hand(*body.landmarks_2d[[w, x, p]]).size
    pts = body.landmarks_2d.copy()
    pts[[w, p, x]] += np.array([0.0, 0.6 * size])          # down the leg, off the hand
    moved = replace(body, landmarks_2d=pts)
    tracker = HandTracker(max_wrist_offset=1.0)
    got = tracker.track(frames[i], moved, sides=("left",))
    assert tracker.runs["palm"] == 1
    assert got.left is not None and got.left.source == "palm"
    truth = ref["left"][i]
    hand = np.linalg.norm(truth[9] - truth[0])
    assert np.linalg.norm(got.left.landmarks_2d - truth, axis=1).mean() < 0.1 * hand


def test_no_body_or_no_hand_is_not_seen(tracking_run):
    _, frames, bodies, _, _ = tracking_run
    tracker = HandTracker()
    assert tracker.track(frames[0], None).left is None
    blank = np.full_like(frames[0], 128)
    got = tracker.track(blank, bodies[0])
    assert got.left is None and got.right is None


def test_palm_search_runs_every_few_frames_while_a_hand_stays_lost(tracking_run):
    _, frames, bodies, _, _ = tracking_run
    blank = np.full_like(frames[0], 128)
    tracker = HandTracker(palm_every=5)
    for _ in range(11):
        got = tracker.track(blank, bodies[40])
        assert got.left is None and got.right is None
    assert tracker.runs["palm"] == 2 * 3          # frames 0, 5 and 10, each hand


def test_keep_tracking_follows_holistics_limits():
    body = Roi(center=(100.0, 100.0), size=50.0, rotation=0.3)
    assert keep_tracking(body, body, None)
    assert not keep_tracking(replace(body, rotation=0.3 + np.radians(41)), body, None)
    assert keep_tracking(replace(body, rotation=0.3 + np.radians(39)), body, None)
    assert not keep_tracking(replace(body, size=71.0), body, None)
    assert not keep_tracking(replace(body, center=(100.0 + 11 * np.cos(0.3),
                                                   100.0 + 11 * np.sin(0.3))), body, None)
    inside = body.crop_to_image(np.array([[0.5, 0.5], [0.9, 0.5]]))
    outside = body.crop_to_image(np.array([[0.5, 0.5], [0.96, 0.5]]))
    assert keep_tracking(body, body, inside) and not keep_tracking(body, body, outside)


@pytest.mark.parametrize("opts, word", [
    (dict(min_presence=1.5), "min_presence must be between 0 and 1"),
    (dict(min_side_score=-0.1), "min_side_score must be between 0 and 1"),
    (dict(min_wrist_visibility=2), "min_wrist_visibility must be between 0 and 1"),
    (dict(max_wrist_offset=0), "max_wrist_offset must be > 0"),
    (dict(palm_every=0), "palm_every must be an integer >= 1"),
])
def test_options_are_checked_at_once(opts, word):
    with pytest.raises(ValueError, match=word):
        HandTracker(**opts)


def test_hand_3d_is_the_mean_of_the_two_answers_at_the_world_scale():
    from mocap_app.detect.hands import HandObservation
    rng = np.random.default_rng(0)
    world = rng.normal(0, 0.03, (21, 3)) + 0.5
    img = (world - world[0]) * 2000.0 + np.array([300.0, 200.0, 0.0])  # same shape, pixels
    roi = Roi(center=(300.0, 200.0), size=100.0)
    obs = HandObservation("left", img[:, :2], world, 0.9, 0.9, roi, "pose", img[:, 2])
    np.testing.assert_allclose(obs.hand_3d(), world - world[0], atol=1e-12)
    bent = img.copy()
    bent[8] += np.array([0.0, 0.0, 40.0])            # the image answer curls the index tip
    obs = HandObservation("left", bent[:, :2], world, 0.9, 0.9, roi, "pose", bent[:, 2])
    got = obs.hand_3d()
    np.testing.assert_allclose(got[8] - (world[8] - world[0]), [0, 0, 0.5 * 40 / 2000.0],
                               atol=1e-12)
    no_depth = HandObservation("left", img[:, :2], world, 0.9, 0.9, roi, "pose")
    np.testing.assert_allclose(no_depth.hand_3d(), world - world[0])
