"""Finger bones in the export: names per preset, T-pose rest with straight fingers, the
option to leave them out, and finger tips where forward kinematics of the angles puts
them (through our BVH reader and the third-party ``bvh`` package)."""
from dataclasses import replace

import numpy as np
import pytest

from mocap_app.core.bvh import read_bvh
from mocap_app.core.hand import SIDES, TIPS, default_layout, hand_from_angles
from mocap_app.export import ExportOptions, export_sequence
from mocap_app.export.fingers import REST_PALM
from mocap_app.export.retarget import BONES, B, retarget

from .hands import puppet_with_hands
from .helpers import fk_with_bvh_package
from .puppet import puppet_sequence

FINGER_TIPS = {"left": [f"LeftHand{f}4" for f in ("Thumb", "Index", "Middle", "Ring", "Pinky")],
               "right": [f"RightHand{f}4" for f in ("Thumb", "Index", "Middle", "Ring", "Pinky")]}


def _expected_tips(r, seq_angles, side):
    """Tips (T, 5, 3) in output units by core.hand's forward kinematics, placed on the
    exported hand bone: the hand's world rotation times its rest palm frame."""
    k = SIDES.index(side)
    hand = r.names.index("LeftHand" if side == "left" else "RightHand")
    middle = r.names.index("LeftHandMiddle1" if side == "left" else "RightHandMiddle1")
    bases, lengths = default_layout(side)
    scale = np.linalg.norm(r.offsets[middle]) / bases[2, 1]
    frame = r.world_rotations[:, hand] @ REST_PALM[side]
    x = hand_from_angles(seq_angles[:, k], side, bases * scale, lengths * scale, frame,
                         r.positions[:, hand])
    return x[:, list(TIPS)]


def test_finger_tips_follow_forward_kinematics_of_the_angles(tmp_path):
    seq, angles = puppet_with_hands(60)
    r = retarget(seq)
    assert len(r.names) == len(BONES) + 2 * 19            # 5 x 4 per hand, Middle1 shared
    for side in SIDES:
        tips = r.positions[:, [r.names.index(n) for n in FINGER_TIPS[side]]]
        np.testing.assert_allclose(tips, _expected_tips(r, angles, side), atol=1e-6)
    # the written file, read back two ways, gives the same tips (centimetres)
    path = export_sequence(seq, tmp_path / "hands.bvh")
    m = read_bvh(path)
    world = m.world_positions()
    names, outside = fk_with_bvh_package(path, [0, 17, 59])
    for side in SIDES:
        idx = [m.index(n) for n in FINGER_TIPS[side]]
        want = r.positions[:, [r.names.index(n) for n in FINGER_TIPS[side]]]
        assert np.abs(world[:, idx] - want).max() < 1e-3            # 0.01 mm
        idx2 = [names.index(n) for n in FINGER_TIPS[side]]
        assert np.abs(outside[:, idx2] - want[[0, 17, 59]]).max() < 1e-3


def test_body_joints_are_unchanged_by_the_fingers():
    seq, _ = puppet_with_hands(30)
    with_fingers = retarget(seq)
    body = retarget(puppet_sequence(30, turns=0.25))
    n = len(BONES)
    np.testing.assert_allclose(with_fingers.positions[:, :n], body.positions, atol=1e-9)
    assert with_fingers.names[:n] == body.names


def test_leaving_the_fingers_out_and_old_takes_give_the_body_rig(tmp_path):
    seq, _ = puppet_with_hands(20)
    off = retarget(seq, ExportOptions(fingers=False))
    old = retarget(puppet_sequence(20, turns=0.25))
    assert off.names == old.names == BONES
    np.testing.assert_allclose(off.positions, old.positions)
    m = read_bvh(export_sequence(seq, tmp_path / "off.bvh", ExportOptions(fingers=False)))
    assert m.joints[m.index("LeftHandMiddle1")].end_site is not None
    with pytest.raises(ValueError, match="fingers must be True or False"):
        ExportOptions(fingers="no")


def test_tpose_rest_has_straight_fingers_and_the_thumb_splayed(tmp_path):
    seq, _ = puppet_with_hands(20)
    r = retarget(seq, ExportOptions(tpose_frame=True))
    p = r.positions[0]
    for side, sign in (("left", 1.0), ("right", -1.0)):
        s = "Left" if side == "left" else "Right"
        for f in ("Index", "Middle", "Ring", "Pinky"):
            d = p[r.names.index(f"{s}Hand{f}4")] - p[r.names.index(f"{s}Hand{f}1")]
            d = d / np.linalg.norm(d)
            np.testing.assert_allclose(d, [sign, 0, 0], atol=1e-9)   # along the arm
        d = p[r.names.index(f"{s}HandThumb4")] - p[r.names.index(f"{s}HandThumb1")]
        assert d[2] > 0.5 * np.linalg.norm(d)                         # thumbs forward
        # the BVH's rest offsets are that pose: every finger offset along the arm
        off = r.offsets[r.names.index(f"{s}HandIndex3")]
        np.testing.assert_allclose(off / np.linalg.norm(off), [sign, 0, 0], atol=1e-9)


@pytest.mark.parametrize("preset, names", [
    ("mixamo", ["LeftHandThumb1", "LeftHandIndex4", "RightHandPinky2", "LeftHandMiddle1"]),
    ("unreal", ["thumb_01_l", "index_04_leaf_l", "pinky_02_r", "middle_01_l"]),
    ("rigify", ["thumb.01.L", "f_index.tip.L", "f_pinky.02.R", "f_middle.01.L"]),
])
def test_finger_bone_names_per_preset(tmp_path, preset, names):
    seq, _ = puppet_with_hands(5)
    m = read_bvh(export_sequence(seq, tmp_path / f"{preset}.bvh",
                                 ExportOptions(preset=preset)))
    for n in names:
        assert n in m.names, (preset, n)
    assert len(set(m.names)) == len(m.names)


def test_unseen_hand_gets_the_relaxed_pose_when_angles_were_not_made():
    seq, angles = puppet_with_hands(30, unseen=slice(10, 20))
    r = retarget(seq)
    tips = r.positions[:, [r.names.index(n) for n in FINGER_TIPS["right"]]]
    np.testing.assert_allclose(tips, _expected_tips(r, angles, "right"), atol=1e-6)


def test_cli_export_has_fingers_and_no_fingers_leaves_them_out(tmp_path, capsys):
    from mocap_app.cli import main
    from mocap_app.takes import save_sequences
    seq, _ = puppet_with_hands(20)
    take = tmp_path / "take.npz"
    save_sequences(take, seq)
    assert main(["export", str(take), "-q", "-o", str(tmp_path / "a.bvh")]) == 0
    assert main(["export", str(take), "-q", "--no-fingers", "-o", str(tmp_path / "b.bvh")]) == 0
    with_fingers, without = read_bvh(tmp_path / "a.bvh"), read_bvh(tmp_path / "b.bvh")
    assert "LeftHandIndex4" in with_fingers.names and "RightHandThumb1" in with_fingers.names
    assert without.names == list(BONES)
    # the CLI made the smoothed angles (pipeline.fingers) before export: within a few
    # mm of the unsmoothed truth (the puppet curls a finger in 1.3 s), not equal to it
    r = retarget(seq)
    tip = with_fingers.index("LeftHandIndex4")
    d = np.abs(with_fingers.world_positions()[:, tip]
               - r.positions[:, r.names.index("LeftHandIndex4")])
    assert 0.01 < d.max() < 0.6                                  # centimetres


def _palm_hands(seq, normal_world, unseen=None):
    """The take's hands re-built so that each palm faces ``normal_world`` (3,), keeping
    the known angles (landmarks in any frame give the same angles)."""
    from mocap_app.core.hand import palm_frame as pf
    from mocap_app.core.rotations import frame_from_axes
    x = seq.hands_3d.copy()
    out = np.empty_like(x)
    for k, side in enumerate(SIDES):
        h = pf(x[:, k], side)                                     # current palm frames
        u = np.array([0.3, -1.0, 0.1])                            # any aim not along n
        want = frame_from_axes(u, normal_world, 1, 2)             # columns a, u, p
        want = np.broadcast_to(want, h.shape)
        out[:, k] = np.einsum("tij,tkj->tki", want @ np.swapaxes(h, -1, -2), x[:, k])
    if unseen is not None:
        out[unseen, 1] = np.nan
    return replace(seq, hands_3d=out)


def test_the_hand_bone_turns_to_face_the_palm_the_hand_model_sees():
    seq, _ = puppet_with_hands(60)
    n = np.array([0.0, 0.0, 1.0])                                  # palms to the front
    seq = _palm_hands(seq, n, unseen=slice(20, 41))
    r = retarget(seq)
    body = retarget(puppet_sequence(60, turns=0.25))
    for k, side in enumerate(SIDES):
        hand = r.names.index("LeftHand" if side == "left" else "RightHand")
        mid = r.names.index("LeftHandMiddle1" if side == "left" else "RightHandMiddle1")
        aim = r.positions[:, mid] - r.positions[:, hand]
        aim /= np.linalg.norm(aim, axis=-1, keepdims=True)
        from mocap_app.core.hand import palm_frame as pf
        seen_n = pf(seq.hands_3d[0, k], side)[:, 2]                  # the palm's normal
        assert seen_n @ n > 0.99
        want = seen_n - (aim @ seen_n)[:, None] * aim
        want /= np.linalg.norm(want, axis=-1, keepdims=True)
        got = r.world_rotations[:, hand] @ REST_PALM[side][:, 2]      # the rig's palm
        seen = np.ones(60, bool) if side == "left" else np.r_[np.ones(20, bool),
                                                              np.zeros(21, bool),
                                                              np.ones(19, bool)]
        # seen frames (beyond the blend from the gap): the palm faces where it was seen
        steady = seen.copy()
        if side == "right":
            steady[11:50] = False
        np.testing.assert_allclose(got[steady], want[steady], atol=1e-6)
        if side == "right":
            # mid-gap (> 0.3 s from a seen frame): the forearm's twist, as without hands
            np.testing.assert_allclose(r.world_rotations[30, hand],
                                       body.world_rotations[30, hand], atol=1e-9)
            # and no snap on the way: the palm turns at most 1/4 of its total in a frame
            turn = np.degrees(np.arccos(np.clip(np.sum(got[1:] * got[:-1], -1), -1, 1)))
            total = np.degrees(np.arccos(np.clip(got[19] @ got[30], -1, 1)))
            assert total > 20 and turn.max() < 0.25 * total + 1e-6, (turn.max(), total)
    # the body's joints are where they were: the hand turned about its own aim
    np.testing.assert_allclose(r.positions[:, :len(BONES)], body.positions, atol=1e-9)
