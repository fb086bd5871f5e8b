"""The detector's left/right flips, found by the continuity of its 2D labels
(pipeline/side_track.py)."""
import numpy as np
import pytest

from mocap_app.core.skeleton import J, MIRROR_PERMUTATION, NUM_JOINTS
from mocap_app.pipeline.side_track import (SideTracker, SideTrackOptions, exchanged_frames,
                                           links, motion_scale)

from .poses import exchange, walking_2d

PERM = list(MIRROR_PERMUTATION)


def test_links_measure_how_far_each_labelling_moves():
    kp, vis = walking_2d(10)
    flipped = exchange(kp, [5])
    l1 = links(flipped, vis)
    assert np.isnan(l1[0]).all()
    # kept labels move a few px; at the flip the kept labels jump across the body
    assert (l1[1:5, 0] < 0.02).all() and (l1[1:5, 1] > 0.1).all()
    assert l1[5, 1] < 0.02 < 0.1 < l1[5, 0]
    assert l1[6, 1] < 0.02 < 0.1 < l1[6, 0]
    # a frame with too few joints seen gives no link
    vis2 = vis.copy()
    vis2[3, :20] = 0.0
    assert np.isnan(links(kp, vis2)[3:5]).all()
    assert motion_scale(links(kp, vis)) == pytest.approx(np.nanmedian(links(kp, vis)[:, 0]),
                                                         rel=0.2)


def test_a_swapped_stretch_is_found_offline_and_live():
    kp, vis = walking_2d(120)
    flipped = exchange(kp, np.arange(41, 75))
    got = exchanged_frames(flipped, vis)
    np.testing.assert_array_equal(np.flatnonzero(got), np.arange(41, 75))
    tracker = SideTracker()
    live = np.array([tracker.update(k, v) for k, v in zip(flipped, vis)])
    np.testing.assert_array_equal(np.flatnonzero(live), np.arange(41, 75))
    # a single flipped frame, and two stretches
    two = exchange(kp, [20] + list(range(60, 90)))
    np.testing.assert_array_equal(np.flatnonzero(exchanged_frames(two, vis)),
                                  [20] + list(range(60, 90)))
    # put right, nothing is left to find; a clean take gives nothing
    fixed = exchange(flipped, np.flatnonzero(got))
    assert not exchanged_frames(fixed, vis).any()
    assert not exchanged_frames(kp, vis).any()


def test_a_garbled_frame_or_a_missing_one_does_not_break_the_chain():
    kp, vis = walking_2d(120)
    flipped = exchange(kp, np.arange(41, 75))
    # frame 60: only the legs exchanged (half a flip): the chain links over it
    half = flipped.copy()
    legs = [J[f"{s}_{p}"] for s in ("left", "right")
            for p in ("hip", "knee", "ankle", "heel", "toe")]
    half[60, legs] = flipped[60][PERM][legs]
    got = np.flatnonzero(exchanged_frames(half, vis))
    assert set(range(41, 60)) | set(range(61, 75)) <= set(got) <= set(range(41, 75))
    # frames with no person: the labels on both sides of the gap are compared with a
    # flip cost only, so a stretch that starts in a gap is not placed, but one that
    # starts and ends in view is
    gap = flipped.copy()
    gap[20:23] = np.nan
    np.testing.assert_array_equal(np.flatnonzero(exchanged_frames(gap, vis)),
                                  np.arange(41, 75))


def test_the_hands_votes_choose_the_side_of_a_take_that_starts_exchanged():
    kp, vis = walking_2d(100)
    flipped = exchange(kp, np.arange(0, 30))       # swapped from the first frame
    # the continuity alone sees one flip at 30 and keeps the detector (the longer part)
    np.testing.assert_array_equal(np.flatnonzero(exchanged_frames(flipped, vis)), [])
    votes = np.zeros(100)
    votes[5:25] = 3.0                               # the hands say "exchanged" there
    got = exchanged_frames(flipped, vis, hand_evidence=votes)
    np.testing.assert_array_equal(np.flatnonzero(got), np.arange(0, 30))
    # hands that say "exchanged" where the labels run on smoothly do not flip a stretch
    calm = np.zeros(100)
    calm[50:53] = 3.0
    assert not exchanged_frames(kp, vis, hand_evidence=calm).any()


def test_options_are_checked():
    with pytest.raises(ValueError, match=r"flip_cost must be in \(0, 1000\]"):
        SideTrackOptions(flip_cost=0)
    with pytest.raises(ValueError, match=r"frame_cost must be in \[0, 100\]"):
        SideTrackOptions(frame_cost=-1)
    with pytest.raises(ValueError, match=r"min_visibility must be in \[0, 1\]"):
        SideTrackOptions(min_visibility=2)
    assert exchanged_frames(np.zeros((0, NUM_JOINTS, 2)), np.zeros((0, NUM_JOINTS))).shape == (0,)


def test_the_live_tracker_takes_hand_votes_and_shrugs_off_bad_input():
    kp, vis = walking_2d(100)
    flipped = exchange(kp, np.arange(0, 30))       # swapped from the first frame
    tracker = SideTracker()
    # with the hands saying "exchanged" from the start, the live tracker takes that side
    got = [tracker.update(k, v, 3.0 if i < 25 else 0.0)
           for i, (k, v) in enumerate(zip(flipped, vis))]
    assert all(got[12:30]) and not any(got[30:])
    # NaN votes, NaN keypoints and no visibility are "no evidence", not an error
    tracker.reset()
    assert tracker.update(kp[0], vis[0], float("nan")) is False
    assert tracker.update(np.full_like(kp[1], np.nan), vis[1]) is False
    assert tracker.update(kp[2], np.zeros_like(vis[2])) is False


def test_the_live_link_is_the_offline_link_and_put_right_relabels_one_frame():
    from mocap_app.pipeline.side_track import _link
    kp, vis = walking_2d(6)
    kp = exchange(kp, [3])
    kp[2, :4] = np.nan                                      # some joints unseen
    l1, l2 = links(kp, vis, 1), links(kp, vis, 2)
    seen = np.isfinite(kp).all(-1) & (vis >= 0.5)
    frames = [(np.where(np.isfinite(k), k, 0.0), s) for k, s in zip(kp, seen)]
    for t in range(2, 6):
        np.testing.assert_allclose(_link(frames[t - 1], frames[t]), l1[t])
        np.testing.assert_allclose(_link(frames[t - 2], frames[t]), l2[t])
    # put_right: an exchanged frame comes back relabelled, its 3D not given to the lifter
    # and the detector's body relabelled and reflected; others as they were
    kp, vis = walking_2d(60)
    flipped = exchange(kp, np.arange(30, 45))
    world = np.random.default_rng(1).normal(0, 0.3, (60, NUM_JOINTS, 3))
    tracker = SideTracker()
    for t in range(60):
        k, v, w, own, ex = tracker.put_right(flipped[t], vis[t], world[t])
        assert ex == (30 <= t < 45)
        np.testing.assert_allclose(k, kp[t])
        if ex:
            assert np.isnan(w).all()
            np.testing.assert_allclose(own, world[t][PERM] * [1, 1, -1])
        else:
            np.testing.assert_array_equal(w, world[t])
            np.testing.assert_array_equal(own, world[t])
