"""Known answers for the motion-quality metrics (definitions of BASELINE.md)."""
import numpy as np
import pytest

from mocap_app.core.skeleton import J, LIMB_JOINTS
from mocap_app.pipeline import quality
from tests.pipeline.poses import rest_pose, rot_y


def _sequence(t=40):
    return np.repeat(rest_pose()[None], t, axis=0)


def test_constant_velocity_motion_has_zero_jitter():
    seq = _sequence()
    seq = seq + (np.arange(len(seq)) * 0.013)[:, None, None] * np.array([1.0, -0.5, 2.0])
    assert quality.jitter_mm(seq) == pytest.approx(0.0, abs=1e-9)


def test_constant_acceleration_gives_its_magnitude():
    seq = _sequence()
    t = np.arange(len(seq), dtype=float)
    seq = seq + (0.5 * 0.002 * t ** 2)[:, None, None] * np.array([0.6, 0.8, 0.0])  # 2 mm/f^2
    assert quality.jitter_mm(seq) == pytest.approx(2.0, rel=1e-9)


def test_jitter_counts_only_triplets_valid_in_all_three_frames():
    seq = _sequence(10)
    seq[5, LIMB_JOINTS] += 0.01          # a 10 mm spike at frame 5 ...
    valid = np.ones(10, bool)
    valid[5] = False                     # ... in a frame without a person
    assert quality.jitter_mm(seq, valid) == pytest.approx(0.0, abs=1e-12)
    spiked = quality.jitter_mm(seq)
    # three triplets see the spike: |1|, |-2|, |1| times |(10,10,10)| mm, over 8 triplets
    assert spiked == pytest.approx(4 * np.sqrt(300) / 8)


def test_bone_length_std_and_left_right_asymmetry():
    seq = _sequence(4)
    le, lw = J["left_elbow"], J["left_wrist"]
    direction = (seq[0, lw] - seq[0, le]) / np.linalg.norm(seq[0, lw] - seq[0, le])
    right = np.linalg.norm(seq[0, J["right_wrist"]] - seq[0, J["right_elbow"]])
    for i, extra in enumerate((0.0, 0.02, 0.0, 0.02)):      # left forearm +0 / +20 mm
        seq[i, lw] = seq[i, le] + direction * (right + extra)
        seq[i, J["left_hand"]] = seq[i, lw]
    # std of (0, 20, 0, 20) mm is 10 mm on one of 8 limb bones
    assert quality.bone_length_std_mm(seq) == pytest.approx(10.0 / 8)
    # |left - right| = 0, 20, 0, 20 -> mean 10 mm on one of 4 pairs
    assert quality.lr_asymmetry_mm(seq) == pytest.approx(10.0 / 4)


def test_illegal_angles_strict_and_with_tolerance():
    pose = rest_pose()
    assert not quality.illegal_joint_angles(pose[None]).any()
    # Knees bent forwards (shins towards +Z past the thigh plane) are illegal; turning
    # the whole person does not change that.
    bad = pose.copy()
    for s in ("left", "right"):
        bad[J[f"{s}_ankle"], 2] = bad[J[f"{s}_knee"], 2] + 0.2
    flags = quality.illegal_joint_angles((bad @ rot_y(70).T)[None])[0]
    assert flags.tolist() == [False, False, True, True]
    # The right elbow bent backwards by 5 degrees: illegal strictly, legal with 10 deg.
    slight = pose.copy()
    e, w = J["right_elbow"], J["right_wrist"]
    length = np.linalg.norm(pose[w] - pose[e])
    a = np.radians(5)
    slight[w] = slight[e] + length * np.array([0, -np.cos(a), -np.sin(a)])
    seq = np.stack([pose, slight])
    assert quality.illegal_angles_pct(seq) == pytest.approx(100 * 1 / 8)
    assert quality.illegal_angles_pct(seq, tolerance_deg=10) == 0.0


def test_foot_skate_is_horizontal_travel_in_contact():
    seq = _sequence(6)
    seq[:, J["left_ankle"], 0] += np.arange(6) * 0.01        # 1 cm/frame sideways
    seq[:, J["left_ankle"], 1] += np.arange(6) * 0.05        # vertical travel not counted
    contacts = np.zeros((6, 2), bool)
    contacts[1:5, 0] = True                                   # 3 consecutive pairs
    contacts[:, 1] = True                                     # right foot still: 5 pairs of 0
    assert quality.foot_skate_cm(seq, contacts) == pytest.approx(3 * 1.0 / 8)


def test_report_on_a_real_clip_reproduces_baseline(shared_data):
    """MediaPipe's own world joints on ntu_drink, measured with these functions, give
    BASELINE.md's row: jitter 1.6, bone std 10.6, L/R 23.2 mm, illegal 0.0 %."""
    from mocap_app.pipeline.report_inputs import detect_video
    seq = detect_video(shared_data / "video" / "ntu_drink.avi")
    r = quality.quality_report(seq.joints_3d, seq.valid)
    assert r.frames == 103
    assert round(r.jitter_mm, 1) == 1.6
    assert round(r.bone_length_std_mm, 1) == 10.6
    assert round(r.lr_asymmetry_mm, 1) == 23.2
    assert round(r.illegal_angles_pct, 1) == 0.0
