"""The detector's left/right swaps put right (pipeline/side_check.py): found by the
continuity of its labels (side_track.py) with the hand model as a second witness."""
from dataclasses import replace

import numpy as np
import pytest

from mocap_app.core.pose import PoseSequence
from mocap_app.core.skeleton import J, MIRROR_PERMUTATION, NUM_JOINTS
from mocap_app.pipeline.side_check import (SideCheckOptions, find_swaps, fix_swaps,
                                           swap_evidence, swap_sides, swapped_frames)

from .poses import exchange, walking_2d


def _sides(T, swapped=(), p=0.95, presence=0.9):
    """(T, 2, 2) hand evidence: both hands present; the body's left crop holds a left
    hand (P(right) 1 - p) except on ``swapped`` frames (P(right) p); the right crop the
    other way round."""
    x = np.empty((T, 2, 2))
    x[..., 0] = presence
    x[:, 0, 1], x[:, 1, 1] = 1 - p, p
    idx = list(swapped)
    x[idx, 0, 1], x[idx, 1, 1] = p, 1 - p
    return x


def test_evidence_is_the_log_odds_of_both_hands_saying_swapped():
    x = _sides(4, swapped=[1], p=0.9)
    x[2, 1, 0] = 0.2                       # the right hand not present: no evidence
    x[3, 0, 1] = np.nan                    # no pass on the left: none either
    e = swap_evidence(x)
    np.testing.assert_allclose(e, [-2 * np.log(9), 2 * np.log(9), 0.0, 0.0])
    # one frame is never decisive: the probabilities are clipped to 0.05..0.95
    assert swap_evidence(_sides(1, [0], p=1.0))[0] == pytest.approx(2 * np.log(19))


def test_viterbi_keeps_sustained_swaps_only():
    T = 120
    x = _sides(T, swapped=range(40, 75))
    got = swapped_frames(x)
    np.testing.assert_array_equal(np.flatnonzero(got), np.arange(40, 75))
    # a few isolated frames that look swapped (a hand misread) change nothing
    assert not swapped_frames(_sides(T, swapped=[10, 30, 31, 90])).any()
    # weak but steady disagreement (odds 1.5:1 per frame, under the e:1 per-frame cost)
    weak = _sides(T, swapped=range(20, 100), p=0.55)
    assert not swapped_frames(weak).any()
    # no hands present: nothing to go on
    x[..., 0] = 0.1
    assert not swapped_frames(x).any()
    with pytest.raises(ValueError, match="switch_cost must be in"):
        SideCheckOptions(switch_cost=0)
    with pytest.raises(ValueError, match="frame_cost must be in"):
        SideCheckOptions(frame_cost=-1)


def _seq(T=50, swapped=range(10, 30)):
    """A take whose detector exchanged left and right on ``swapped``: its 2D labels flip
    there and both hands say so."""
    rng = np.random.default_rng(2)
    joints = rng.normal(0, 0.3, (T, NUM_JOINTS, 3))
    joints -= joints[:, :1]
    kp, vis = walking_2d(T)
    kp = exchange(kp, list(swapped))
    hands = rng.normal(0, 0.05, (T, 2, 21, 3))
    return PoseSequence(np.arange(T) / 30.0, joints, kp, vis, np.ones(T, bool), 30.0,
                        (640, 480), detector_3d=joints + 0.01,
                        hands_2d=rng.uniform(0, 600, (T, 2, 21, 2)), hands_3d=hands,
                        hand_sides=_sides(T, swapped=swapped))


def test_swap_sides_exchanges_everything_side_indexed_on_those_frames_only():
    seq = _seq()
    m = np.zeros(50, bool)
    m[10:30] = True
    out = swap_sides(seq, m)
    perm = list(MIRROR_PERMUTATION)
    assert perm[J["left_wrist"]] == J["right_wrist"]
    np.testing.assert_array_equal(out.keypoints_2d[m], seq.keypoints_2d[m][:, perm])
    np.testing.assert_array_equal(out.visibility[m], seq.visibility[m][:, perm])
    np.testing.assert_array_equal(out.joints_3d[m], seq.joints_3d[m][:, perm])
    np.testing.assert_array_equal(out.hands_3d[m], seq.hands_3d[m][:, ::-1])
    np.testing.assert_array_equal(out.hand_sides[m], seq.hand_sides[m][:, ::-1])
    assert np.isnan(out.detector_3d[m]).all()                  # the confused body: dropped
    for name in ("keypoints_2d", "visibility", "joints_3d", "detector_3d", "hands_2d"):
        np.testing.assert_array_equal(getattr(out, name)[~m], getattr(seq, name)[~m])
    # twice is the identity (but for the dropped 3D)
    back = swap_sides(out, m)
    np.testing.assert_array_equal(back.keypoints_2d, seq.keypoints_2d)
    np.testing.assert_array_equal(back.hands_2d, seq.hands_2d)


def test_fix_swaps_lifts_the_corrected_frames_again_from_the_2d():
    seq = _seq()

    class Lifter:                        # records what it was given; answers a known pose
        def lift_joints(self, kp, vis, size, world=None):
            self.got = (kp, vis, size, world)
            return np.full((len(kp), NUM_JOINTS, 3), 0.5), np.ones(len(kp), bool)

    lifter = Lifter()
    out, frames = fix_swaps(seq, lifter)
    np.testing.assert_array_equal(np.flatnonzero(frames), np.arange(10, 30))
    kp, vis, size, world = lifter.got
    np.testing.assert_allclose(kp, seq.keypoints_2d[10:30][:, list(MIRROR_PERMUTATION)])
    assert world is None and size == (640, 480)                  # from the 2D alone
    np.testing.assert_array_equal(out.joints_3d[10:30], 0.5)
    np.testing.assert_array_equal(out.joints_3d[:10], seq.joints_3d[:10])
    # without a lifter: the detector's body relabelled and reflected in depth
    plain, _ = fix_swaps(seq)
    want = seq.joints_3d[10:30][:, list(MIRROR_PERMUTATION)] * np.array([1, 1, -1])
    np.testing.assert_allclose(plain.joints_3d[10:30], want)
    # a take whose labels run on and whose hands never disagree is returned as it is
    calm = _seq(swapped=())
    same, none = fix_swaps(calm, lifter)
    assert same is calm and not none.any()
    # the 2D alone finds the same frames; the hands alone (their old Viterbi) too
    np.testing.assert_array_equal(find_swaps(replace(seq, hand_sides=None)), frames)
    np.testing.assert_array_equal(swapped_frames(seq.hand_sides), frames)


def test_pose2sim_cam02_swap_is_put_right_with_and_without_hands(shared_data):
    """Known answer: on the Pose2Sim take the body detector swaps left and right in cam02
    over frames 41-74 (bench/eval_pose2sim.py against the other views' triangulation: its
    3D is swapped on 41-59, 61-63, 65 and 67-74); cam04 has no swap. The offline
    pipeline puts cam02 right from the 2D labels' flips alone, the same with the hands'
    votes, and finds nothing in cam04."""
    from mocap_app.pipeline.estimator import EstimatorConfig
    from mocap_app.pipeline.offline import process_video
    take = shared_data / "video" / "pose2sim"
    as_detected = process_video(take / "cam02.mp4",
                                EstimatorConfig(lifter="none", side_check=False))
    assert "side_swaps_fixed" not in as_detected.info
    frames = find_swaps(as_detected.raw)
    found = set(np.flatnonzero(frames))
    assert set(range(41, 60)) | set(range(61, 64)) | {65} | set(range(67, 75)) <= found
    assert found <= set(range(41, 83)), sorted(found)
    fixed = process_video(take / "cam02.mp4", EstimatorConfig(lifter="none"))
    assert fixed.info["side_swaps_fixed"] == len(found)
    perm = list(MIRROR_PERMUTATION)
    np.testing.assert_allclose(fixed.raw.keypoints_2d[frames],
                               as_detected.raw.keypoints_2d[frames][:, perm])
    np.testing.assert_allclose(fixed.raw.keypoints_2d[~frames],
                               as_detected.raw.keypoints_2d[~frames])
    assert not find_swaps(fixed.raw).any()          # put right, the labels run on
    with_hands = process_video(take / "cam02.mp4", EstimatorConfig(lifter="none", hands=True))
    assert with_hands.info["side_swaps_fixed"] == len(found)
    np.testing.assert_allclose(with_hands.raw.keypoints_2d, fixed.raw.keypoints_2d)
    other = process_video(take / "cam04.mp4", EstimatorConfig(lifter="none"))
    assert other.info["side_swaps_fixed"] == 0


def test_refining_a_take_puts_a_swap_right_first():
    """Refining a take (stage 0) exchanges left and right where the detector flipped them
    (its labels' continuity, and the hands a recorded take keeps) and lifts those frames
    again with the shipped lifter; a take without a flip, or with the stage off, stays."""
    from mocap_app.pipeline.refine import RefineOptions, refine_sequence
    seq = _seq(60)
    off = RefineOptions(temporal=False, image_fit=False, skeleton_fitting=False,
                        root_trajectory=False, foot_contact="never", fingers=False)
    res = refine_sequence(seq, off)
    assert "side_check" in res.stages and res.raw is seq
    # the 2D's flips alone are enough (a take without hands)
    alone = refine_sequence(replace(seq, hand_sides=None), off).stages["side_check"]
    np.testing.assert_array_equal(alone.keypoints_2d, res.stages["side_check"].keypoints_2d)
    fixed = res.stages["side_check"]
    perm = list(MIRROR_PERMUTATION)
    np.testing.assert_array_equal(fixed.keypoints_2d[10:30], seq.keypoints_2d[10:30][:, perm])
    np.testing.assert_array_equal(fixed.keypoints_2d[30:], seq.keypoints_2d[30:])
    # lifted again by the network (not the given joints relabelled): a body-sized pose
    assert np.isfinite(fixed.joints_3d[10:30]).all()
    assert not np.allclose(fixed.joints_3d[10:30], seq.joints_3d[10:30][:, perm])
    torso = np.linalg.norm(fixed.joints_3d[10:30, J["neck"]]
                           - fixed.joints_3d[10:30, J["pelvis"]], axis=-1)
    assert 0.2 < np.median(torso) < 0.8
    np.testing.assert_array_equal(res.refined.joints_3d[:10], seq.joints_3d[:10])
    assert "side_check" not in refine_sequence(seq, replace(off, side_check=False)).stages
    assert "side_check" not in refine_sequence(_seq(60, swapped=()), off).stages
    # a take made without a lifter (its joints are the detector's 3D) is not lifted now:
    # the detector's body is relabelled and reflected in depth
    own = replace(seq, detector_3d=seq.joints_3d.copy())
    got = refine_sequence(own, off).stages["side_check"]
    want = seq.joints_3d[10:30][:, perm] * np.array([1, 1, -1])
    np.testing.assert_allclose(got.joints_3d[10:30], want)


def test_live_estimator_puts_cam02_right_as_it_goes(shared_data):
    """Live capture runs the causal side track in the estimator: on Pose2Sim cam02 it
    exchanges the detector's labels back on the swapped frames (the same as the offline
    check: bench/eval_side_track.py), gives the lifter no detector 3D there, and without a
    lifter relabels and reflects the detector's body; frames before the swap are as
    detected."""
    from types import SimpleNamespace
    from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator, live_config
    from tests.detect.test_blazepose_reference import read_frames
    frames = read_frames(shared_data / "video" / "pose2sim" / "cam02.mp4", range(80))
    frames = [frames[i] for i in range(80)]
    plain = PoseEstimator(EstimatorConfig(lifter="none"))
    raw = [plain.estimate(f, i, i / 60) for i, f in enumerate(frames)]
    plain.close()

    class Lifter:                       # records the detector 3D it is given
        in_features = 9
        worlds = []

        def lift(self, kp, vis, size, world=None):
            self.worlds.append(world[0].copy())
            return SimpleNamespace(joints_3d=np.zeros((1, NUM_JOINTS, 3)),
                                   valid=np.ones(1, bool))

    from mocap_app.pipeline.estimator import make_detector
    live = PoseEstimator(live_config(EstimatorConfig(lifter="none")),
                         detector=make_detector("blazepose"))
    assert live.side_tracker is not None
    got = [live.estimate(f, i, i / 60) for i, f in enumerate(frames)]
    live.close()
    perm = list(MIRROR_PERMUTATION)
    marked = {i for i, (a, b) in enumerate(zip(raw, got))
              if a.has_person and not np.allclose(a.keypoints_2d, b.keypoints_2d)}
    assert set(range(41, 60)) | set(range(61, 64)) | set(range(67, 75)) <= marked
    assert marked <= set(range(41, 80)), sorted(marked)
    assert live.side_fixed == len(marked)             # what the status bar shows
    for i in marked:
        np.testing.assert_allclose(got[i].keypoints_2d, raw[i].keypoints_2d[perm])
        np.testing.assert_allclose(got[i].joints_3d,
                                   raw[i].joints_3d[perm] * np.array([1, 1, -1]))
        assert got[i].detector_3d is None
    for i in range(41):
        np.testing.assert_allclose(got[i].joints_3d, raw[i].joints_3d)
    # with a lifter, the swapped frames are lifted from the 2D alone
    lifter = Lifter()
    lifted = PoseEstimator(live_config(EstimatorConfig()), detector=make_detector("blazepose"),
                           lifter=lifter)
    for i, f in enumerate(frames[:50]):
        lifted.estimate(f, i, i / 60)
    lifted.close()
    assert np.isfinite(lifter.worlds[40]).all() and np.isnan(lifter.worlds[45]).all()


def test_the_side_check_lifts_again_with_the_takes_tilt(monkeypatch):
    """A take lifted from a tilted camera (``RefineOptions.tilt_deg``, from its take.json)
    has its swapped frames lifted again levelled by the same tilt."""
    import mocap_app.pipeline.estimator as estimator
    from mocap_app.pipeline.refine import RefineOptions, refine_sequence
    loaded = []
    real = estimator.load_lifter

    def spy(kind, *args, **kwargs):
        loaded.append(real(kind, *args, **kwargs))
        return loaded[-1]
    monkeypatch.setattr(estimator, "load_lifter", spy)
    seq = _seq(60)
    off = RefineOptions(temporal=False, image_fit=False, skeleton_fitting=False,
                        root_trajectory=False, foot_contact="never", fingers=False,
                        tilt_deg=15.0)
    tilted = refine_sequence(seq, off).stages["side_check"]
    assert loaded and loaded[-1].tilt_deg == 15.0
    level = refine_sequence(seq, replace(off, tilt_deg=0.0)).stages["side_check"]
    assert loaded[-1].tilt_deg == 0.0
    assert np.abs(tilted.joints_3d[10:30] - level.joints_3d[10:30]).max() > 1e-3
