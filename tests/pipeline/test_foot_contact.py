"""Foot contacts: detection from height and speed, pinning with a two-bone leg IK."""
import numpy as np
import pytest

from mocap_app.core.skeleton import J
from mocap_app.pipeline.foot_contact import (ContactOptions, LEGS, detect_contacts, pin_feet,
                                             two_bone_ik)
from tests.pipeline.poses import rest_pose


def test_two_bone_ik_reaches_a_reachable_target_with_the_bone_lengths():
    hip = np.array([[0.0, 1.0, 0.0]])
    knee = np.array([[0.0, 0.55, 0.1]])
    target = np.array([[0.1, 0.25, -0.05]])
    k, a = two_bone_ik(hip, knee, target, np.array([0.45]), np.array([0.42]))
    np.testing.assert_allclose(a, target, atol=1e-12)
    assert np.linalg.norm(k - hip) == pytest.approx(0.45)
    assert np.linalg.norm(a - k) == pytest.approx(0.42)
    assert k[0, 2] > 0      # the knee stays on its side (forwards)


def _walk(t=60, fps=30.0, seed=0):
    """World joints: the body moves forwards at 0.25 m/s; the left foot is planted (with
    small per-frame wobble and a slow 2 cm slide, as a per-frame estimate gives) while
    the right foot is held 12+ cm above the ground."""
    rng = np.random.default_rng(seed)
    base = rest_pose()
    base[:, 1] += 0.82                     # pelvis 0.82 m up: knees bend, the leg reaches
    world = np.repeat(base[None], t, axis=0)
    world[:, :, 2] += (np.arange(t) * 0.25 / fps - 0.25)[:, None]
    hip, knee, ankle, heel, toe = LEGS[0]
    plant = np.array([0.1, 0.06, -0.02])   # ankle 6 cm above the floor
    slide = np.linspace(0, 0.02, t)[:, None] * np.array([1.0, 0.0, 0.0])
    want = plant + slide + rng.normal(0, 0.003, (t, 3))
    l1 = np.linalg.norm(base[knee] - base[hip])
    l2 = np.linalg.norm(base[ankle] - base[knee])
    k, a = two_bone_ik(world[:, hip], world[:, knee], want, np.full(t, l1), np.full(t, l2))
    shift = a - world[:, ankle]
    world[:, knee], world[:, ankle] = k, a
    world[:, heel] += shift
    world[:, toe] += shift
    rh, rk, ra, rhe, rt = LEGS[1]
    world[:, [rk, ra, rhe, rt], 1] += 0.18                   # swing foot in the air
    return world


def test_planted_foot_stays_within_1cm_during_a_detected_contact():
    world = _walk()
    contacts = detect_contacts(world, 30.0)
    left = contacts[:, 0]
    assert left.sum() >= 40 and not contacts[:, 1].any()
    ankle = LEGS[0][2]
    before = world[left, ankle]
    assert np.ptp(before[:, 0]) > 0.015                      # it did slide before pinning
    pinned = pin_feet(world, contacts)
    during = pinned[left, ankle]
    assert np.linalg.norm(during - during[0], axis=-1).max() < 0.01
    # leg bones keep their lengths, the foot moves rigidly with the ankle
    for a, b in ((LEGS[0][0], LEGS[0][1]), (LEGS[0][1], ankle), (ankle, LEGS[0][3]),
                 (ankle, LEGS[0][4])):
        np.testing.assert_allclose(np.linalg.norm(pinned[:, a] - pinned[:, b], axis=-1),
                                   np.linalg.norm(world[:, a] - world[:, b], axis=-1), atol=1e-9)
    # the hip and everything above it are not touched
    np.testing.assert_array_equal(pinned[:, J["left_hip"]], world[:, J["left_hip"]])


def test_blend_windows_ease_in_and_out():
    world = _walk(80)
    contacts = np.zeros((80, 2), bool)
    contacts[30:50, 0] = True
    pinned = pin_feet(world, contacts, ContactOptions(blend_frames=4))
    ankle = LEGS[0][2]
    moved = np.linalg.norm(pinned[:, ankle] - world[:, ankle], axis=-1)
    assert (moved[:25] == 0).all() and (moved[55:] == 0).all()
    assert (moved[26:30] > 0).any()


def test_modes_always_and_never():
    world = _walk()
    assert detect_contacts(world, 30.0, options=ContactOptions(mode="always")).all()
    assert not detect_contacts(world, 30.0, options=ContactOptions(mode="never")).any()


def test_pinned_knee_keeps_bending_the_legal_way():
    """Pinning a foot that the per-frame pose had placed ahead of a straight-ish leg must
    not leave the knee bent backwards (Dabral et al.'s test)."""
    from mocap_app.pipeline.quality import illegal_angles_pct
    world = _walk()
    contacts = np.zeros((len(world), 2), bool)
    contacts[:, 0] = True
    # the pelvis passes over the planted foot: the knee must stay in front
    pinned = pin_feet(world, contacts)
    assert illegal_angles_pct(pinned - pinned[:, :1]) == 0.0
    # a knee that starts on the wrong side is brought to the legal solution
    bad = world.copy()
    hip, knee, ankle = LEGS[0][:3]
    bad[:, knee, 2] -= 0.15
    assert illegal_angles_pct(bad - bad[:, :1]) > 0
    fixed = pin_feet(bad, contacts)
    assert illegal_angles_pct(fixed - fixed[:, :1]) == 0.0
