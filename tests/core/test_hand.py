"""Finger angles to and from 3D hand landmarks (core/hand.py): known answers."""
import numpy as np
import pytest

from mocap_app.core.hand import (FINGER_CHAINS, LIMITS, NEUTRAL, SIDES, default_layout,
                                 finger_angles, hand_from_angles, hand_layout, palm_frame)


def _rotation(rng) -> np.ndarray:
    q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    return q * np.linalg.det(q)


@pytest.mark.parametrize("side", SIDES)
def test_angles_of_a_hand_built_from_angles_come_back(side):
    rng = np.random.default_rng(1)
    angles = rng.uniform(LIMITS[..., 0], LIMITS[..., 1], size=(20, 5, 4))
    bases, lengths = default_layout(side)
    frame = _rotation(rng)
    hand = hand_from_angles(angles, side, bases, lengths, frame, np.array([0.3, 1.2, -0.4]))
    np.testing.assert_allclose(finger_angles(hand, side), angles, atol=1e-9)
    np.testing.assert_allclose(palm_frame(hand, side), np.broadcast_to(frame, (20, 3, 3)),
                               atol=1e-9)
    # size and place do not matter
    np.testing.assert_allclose(finger_angles(2.5 * hand + 7.0, side), angles, atol=1e-9)


def test_a_straight_flat_hand_has_zero_angles_and_the_fist_bends_towards_the_palm():
    bases, lengths = default_layout("right")
    flat = hand_from_angles(np.zeros((5, 4)), "right", bases, lengths)
    # palm frame coordinates: fingers along +u, the four fingers' tips straight ahead
    for chain in FINGER_CHAINS[1:]:
        d = flat[chain[3]] - flat[chain[0]]
        assert abs(d[0]) < 1e-12 and abs(d[2]) < 1e-12 and d[1] > 0
    fist = np.zeros((5, 4))
    fist[1:, 1:] = np.radians(90.0)
    curled = hand_from_angles(fist, "right", bases, lengths)
    # each tip ends up on the palm side (p > 0) and back towards the wrist
    for f, chain in enumerate(FINGER_CHAINS[1:], start=1):
        tip, mcp = curled[chain[3]], curled[chain[0]]
        assert tip[2] > 0.01 and tip[1] < mcp[1]


def test_spread_towards_the_thumb_is_positive_on_both_hands():
    for side in SIDES:
        bases, lengths = default_layout(side)
        a = np.zeros((5, 4))
        a[1, 0] = np.radians(20.0)                     # index towards the thumb
        x = hand_from_angles(a, side, bases, lengths)
        thumb_side = np.sign(bases[0, 0])              # the thumb's a coordinate
        assert np.sign(x[8, 0] - x[5, 0]) == thumb_side


def test_a_mirrored_hand_gives_the_same_angles_on_the_other_side():
    bases, lengths = default_layout("right")
    rng = np.random.default_rng(2)
    angles = rng.uniform(LIMITS[..., 0], LIMITS[..., 1], size=(5, 5, 4))
    right = hand_from_angles(angles, "right", bases, lengths, _rotation(rng))
    mirrored = right * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(finger_angles(mirrored, "left"), angles, atol=1e-9)


def test_layout_of_a_take_is_its_medians_with_the_palm_flattened():
    bases, lengths = default_layout("left")
    hand = hand_from_angles(np.broadcast_to(NEUTRAL, (3, 5, 4)), "left", bases, lengths)
    hand[1] = np.nan
    got_bases, got_lengths = hand_layout(hand, "left")
    np.testing.assert_allclose(got_bases, bases, atol=1e-12)
    np.testing.assert_allclose(got_lengths, lengths, atol=1e-12)
    with pytest.raises(ValueError, match="no frame"):
        hand_layout(np.full((2, 21, 3), np.nan), "left")


def test_neutral_hand_is_inside_the_limits():
    assert np.all(NEUTRAL >= LIMITS[..., 0]) and np.all(NEUTRAL <= LIMITS[..., 1])
    # backwards bends: 10 degrees at most at the fingers' middle and end joints
    assert np.all(LIMITS[1:, 2:, 0] >= np.radians(-10.0))
