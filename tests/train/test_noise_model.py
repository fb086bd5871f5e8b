"""Known answers for the detector noise model: the statistics written by
bench/_noise.py (a swapped person counts as a swap, not also as outliers) and the
hidden-joint scaling of camera_sim (the average over the cameras stays the measured one)."""
import sys
from pathlib import Path

import numpy as np

from mocap_app.core.skeleton import J, MIRROR_PERMUTATION, NUM_JOINTS
from mocap_train import camera_sim as cs

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _noise import LSP_NAMES, SWAP, noise_model  # noqa: E402


def _stats(errs, swapped):
    n = errs.shape[0]
    return noise_model(errs, np.full((n, 12), 0.9), np.ones((n, 12), bool), swapped,
                       source="test", images=n, detection_rate=1.0, vis_unannotated=0.5)


def test_swapped_people_count_as_swaps_not_outliers():
    rng = np.random.default_rng(0)
    errs = rng.normal(0, 0.02, (100, 12, 2))           # every joint an inlier (< 0.15)
    errs[:10, :, 0] += 0.4                             # 10 people all wrong by 0.4 box ...
    swapped = np.zeros(100)
    swapped[:10] = 1.0                                 # ... because they were swapped
    swapped[95:] = np.nan                              # 5 people undecidable
    m = _stats(errs, swapped)
    assert m["left_right_swap_rate"] == round(10 / 95, 4)
    assert m["outlier_rate"] == 0.0
    assert all(v["outlier_rate"] == 0.0 for v in m["per_joint"].values())
    # the same gross errors on people *not* swapped are outliers: 10 of 100
    m = _stats(errs, np.zeros(100))
    assert m["outlier_rate"] == 0.1 and m["left_right_swap_rate"] == 0.0
    assert m["outlier_median"] == round(float(np.median(
        np.linalg.norm(errs[:10], axis=-1))), 4)


def test_swap_table_pairs_left_and_right():
    for k, n in enumerate(LSP_NAMES):
        other = LSP_NAMES[SWAP[k]]
        assert other != n and other.split("_")[1] == n.split("_")[1]


def test_hidden_joints_keep_the_measured_average():
    rng = np.random.default_rng(1)
    b = 4000
    # each joint hidden in exactly its HIDDEN_FRACTION of the rows
    hidden = np.zeros((b, NUM_JOINTS), bool)
    for j, f in enumerate(cs.HIDDEN_FRACTION):
        hidden[rng.permutation(b)[:round(f * b)], j] = True
    sigma, outliers = cs.hidden_error_factors(hidden)
    assert np.allclose(outliers.mean(0), 1.0, atol=1e-3)
    # hidden joints get 1.5x the sigma of visible ones and 2x the outliers
    assert np.allclose(sigma.mean(0), 1.0, atol=1e-3)
    j = J["left_wrist"]
    assert np.isclose(sigma[hidden[:, j], j][0] / sigma[~hidden[:, j], j][0], cs.HIDDEN_SIGMA)
    assert np.isclose(outliers[hidden[:, j], j][0] / outliers[~hidden[:, j], j][0],
                      cs.HIDDEN_OUTLIERS)


def test_a_hand_behind_the_back_is_hidden():
    cam = np.zeros((1, NUM_JOINTS, 3))
    cam[..., 2] = 3.0                                  # everything 3 m from the camera
    cam[0, J["left_hand"], 2] = 3.3                    # the left hand 30 cm behind
    cam[0, J["right_hand"], 2] = 2.7                   # the right one in front
    h = cs.hidden_joints(cam)[0]
    assert h[J["left_hand"]] and not h[J["right_hand"]] and h.sum() == 1


def test_simulated_outlier_rate_is_the_measured_one():
    """Over the training cameras the simulated gross errors come at the measured rate:
    count displacements larger than any inlier could make (> 6 sigma) at noise x1, with
    swaps switched off by comparing against the exact 2D of the same draw."""
    from mocap_train.mocap_data import load_sample_clips
    frames = np.concatenate([c.joints for c in load_sample_clips()])
    frames = np.repeat(frames, 8, axis=0)
    seen = {}

    def errors(kp, cam, sizes, rng, noise_scale, noise_model):
        seen["exact"], seen["hidden"] = kp.copy(), cs.hidden_joints(cam)
        noisy = cs.detector_errors(kp, cam, np.full_like(sizes, 1e6), rng, noise_scale,
                                   noise_model)
        seen["noisy"] = noisy[0]
        return noisy

    cs.make_pairs(frames, np.random.default_rng(2), noise_scale=1.0, mirror_prob=0.0,
                  errors=errors)
    exact, noisy = seen["exact"], seen["noisy"]
    box = np.max(exact.max(1) - exact.min(1), axis=-1)[:, None]
    d = np.linalg.norm(noisy - exact, axis=-1) / box
    d_sw = np.linalg.norm(noisy[:, list(MIRROR_PERMUTATION)] - exact, axis=-1) / box
    kept = np.median(d, 1) <= np.median(d_sw, 1)        # drop the swapped people
    sigma, rate, _, _ = cs.per_joint_noise("lsp")
    big = d > 6 * sigma[None] * cs.HIDDEN_SIGMA
    # an exponential outlier is below that threshold with a known probability
    med = cs.detector_noise("lsp")["outlier_median"]
    p_big = np.exp(-6 * sigma * cs.HIDDEN_SIGMA * np.log(2) / med)
    expected = float(np.mean(rate * p_big))
    valid = np.isfinite(d) & kept[:, None]              # joints pushed off the frame are NaN
    measured = float(big[valid].mean())
    assert abs(measured - expected) < 0.1 * expected, (measured, expected)


def test_visibility_follows_the_video_measurement():
    """With no noise the visibility is exactly the measured mean, the hidden one for hidden
    joints; the torso says ~1 either way, a hidden wrist clearly less than a visible one."""
    v_mean, _, h_mean, _ = cs.per_joint_visibility()
    cam = np.zeros((2, NUM_JOINTS, 3))
    cam[..., 2] = 3.0
    cam[1, [J["left_wrist"], J["left_hip"]], 2] = 3.3     # second sample: both behind
    kp = np.tile(np.linspace(100, 300, NUM_JOINTS)[None, :, None], (2, 1, 2))
    _, vis = cs.detector_errors(kp, cam, np.array([[640.0, 480.0]] * 2),
                                np.random.default_rng(0), noise_scale=0.0)
    assert np.allclose(vis[0], np.clip(v_mean, 0.01, 1.0))
    w, h = J["left_wrist"], J["left_hip"]
    assert np.isclose(vis[1, w], h_mean[w]) and np.isclose(vis[1, h], h_mean[h])
    assert vis[1, w] < vis[0, w] - 0.1
    assert abs(vis[1, h] - vis[0, h]) < 0.01 and vis[0, h] > 0.99


def test_visibility_model_pools_left_and_right_and_needs_enough_hidden():
    from measure_visibility_video import MIN_HIDDEN, visibility_model
    n = 200
    state = np.zeros((n, NUM_JOINTS), np.int8)
    vis = np.ones((n, NUM_JOINTS))
    lw, rw, nk = J["left_wrist"], J["right_wrist"], J["neck"]
    state[:100, lw] = 1                    # left wrist hidden in half the frames ...
    vis[:100, lw] = 0.5                    # ... and then seen at 0.5
    vis[:, rw] = 0.9                       # right wrist always visible at 0.9
    state[:MIN_HIDDEN - 1, nk] = 1         # neck hidden too rarely to measure
    vis[:MIN_HIDDEN - 1, nk] = 0.2
    state[-1, :] = -1                      # a frame without reference is ignored
    vis[-1, :] = 0.0
    m = visibility_model(state, vis)
    assert m["left_wrist"] == m["right_wrist"]
    hid, seen = m["left_wrist"]["hidden"], m["left_wrist"]["visible"]
    assert hid == [0.5, 0.0, 100]
    assert seen[2] == 99 + 199 and np.isclose(seen[0], round((99 * 1.0 + 199 * 0.9) / 298, 3))
    # too few hidden samples: the hidden figures are the visible ones
    assert m["neck"]["hidden"][:2] == m["neck"]["visible"][:2]
    assert m["neck"]["hidden"][2] == MIN_HIDDEN - 1


def test_hidden_fraction_of_the_sample_clips_is_near_the_stored_one():
    """The stored table was measured on 20,000 training frames; the three sample clips
    (walks and an everyday motion) under the same cameras come out close to it: the torso
    is almost never behind itself, feet and hands are about half or a third of the time."""
    from mocap_train.mocap_data import load_sample_clips
    frames = np.concatenate([c.joints for c in load_sample_clips()])
    h = cs.hidden_fraction(frames, np.random.default_rng(0))
    assert h.shape == (NUM_JOINTS,)
    assert h[J["spine"]] < 0.02 and h[J["neck"]] < 0.02
    assert abs(h.mean() - cs.HIDDEN_FRACTION.mean()) < 0.03
    assert np.abs(h - cs.HIDDEN_FRACTION).max() < 0.15
