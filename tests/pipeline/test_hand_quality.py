"""The motion report's hand section (pipeline/hand_quality.py): known answers."""
from dataclasses import replace

import numpy as np

from mocap_app.core.hand import NEUTRAL, TIPS, default_layout, hand_from_angles
from mocap_app.pipeline.hand_quality import format_hand_table, hand_report
from mocap_app.pipeline.report import motion_report
from tests.export.hands import puppet_with_hands

SIGMA = 0.001      # 1 mm


def _still_hands(n=60, noise=0.0, seed=0):
    """Both hands held still at NEUTRAL (palm-frame coordinates), optional noise on the
    five finger tips only (the palm frame stays exact)."""
    seq, _ = puppet_with_hands(n)
    hands = np.empty((n, 2, 21, 3))
    for k, side in enumerate(("left", "right")):
        bases, lengths = default_layout(side)
        hands[:, k] = hand_from_angles(np.broadcast_to(NEUTRAL, (n, 5, 4)), side, bases,
                                       lengths)
    rng = np.random.default_rng(seed)
    hands[:, :, list(TIPS)] += rng.normal(0, noise, (n, 2, 5, 3))
    return replace(seq, hands_3d=hands), hands


def test_detection_rate_jitter_and_angle_error_known_answers():
    seq, hands = _still_hands(noise=SIGMA)
    hands[20:30, 1] = np.nan                       # the right hand unseen for 10 frames
    seq = replace(seq, hands_3d=hands)
    rep = hand_report(seq)
    assert rep["left"]["detection_rate"] == 1.0
    assert rep["right"]["detection_rate"] == 50 / 60
    # iid noise of sigma per coordinate: |second difference| of a 3D point has mean
    # sqrt(6) sigma * 2 sqrt(2/pi) = 3.91 sigma
    assert abs(rep["left"]["tip_jitter_raw_mm"] - 3.91) < 0.35
    assert rep["left"]["tip_jitter_fingers_mm"] < 0.6 * rep["left"]["tip_jitter_raw_mm"]
    assert rep["left"]["at_limit_frames_pct"] == 0.0


def test_angle_error_is_zero_for_clean_hands_and_limits_are_counted():
    seq, angles = puppet_with_hands(40)
    rep = hand_report(seq, true_angles=angles)
    for side in ("left", "right"):
        assert rep[side]["angle_error_raw_deg"] < 1e-6
        assert rep[side]["angle_error_fingers_deg"] < 3.0          # smoothing only
    bent = angles.copy()
    bent[5, 0, 2, 2] = np.radians(-50.0)                          # a backwards PIP
    x = seq.hands_3d.copy()
    for k, side in enumerate(("left", "right")):
        bases, lengths = default_layout(side)
        x[5, k] = hand_from_angles(bent[5, k], side, bases, lengths)
    rep = hand_report(replace(seq, hands_3d=x))
    assert rep["left"]["at_limit_frames_pct"] == 100 / 40
    assert rep["left"]["at_limit_angles_pct"] == 100 / (40 * 20)
    assert "| left |" in format_hand_table(rep)
    assert hand_report(replace(seq, hands_3d=None)) is None


def test_motion_report_has_the_hand_section_for_a_take_with_hands():
    seq, _ = puppet_with_hands(40)
    report, _ = motion_report(seq, refiners={"bidir": None, "causal": None})
    assert set(report["hands"]) == {"left", "right"}
    assert report["hands"]["left"]["detection_rate"] == 1.0
