"""The refiner's training kit: augmentation and the batches it trains on."""
import numpy as np
import pytest


def test_limb_scaling_augmentation_changes_only_the_chosen_bone_lengths():
    from mocap_app.core.skeleton import BONES, J
    from mocap_train.train_refiner import LIMB_SEGMENTS, scale_limbs
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 25, 3))                       # (B, 3, W, J, 3)
    factors = np.ones((2, len(LIMB_SEGMENTS)))
    factors[0, 1] = 1.2          # left forearm of sample 0
    factors[1, 6] = 0.8          # right thigh of sample 1
    y = scale_limbs(x, factors)

    def lengths(z):
        return {(p, c): np.linalg.norm(z[..., c, :] - z[..., p, :], axis=-1) for p, c in BONES}
    before, after = lengths(x), lengths(y)
    for bone in before:
        ratio = after[bone] / before[bone]
        expect = np.ones((2, 1, 1))
        if bone == (J["left_elbow"], J["left_wrist"]):
            expect[0] = 1.2
        if bone == (J["right_hip"], J["right_knee"]):
            expect[1] = 0.8
        np.testing.assert_allclose(ratio, np.broadcast_to(expect, ratio.shape), rtol=1e-9)
    # the bone keeps its direction, and joints above it do not move
    d0 = x[0, ..., J["left_wrist"], :] - x[0, ..., J["left_elbow"], :]
    d1 = y[0, ..., J["left_wrist"], :] - y[0, ..., J["left_elbow"], :]
    np.testing.assert_allclose(d1, 1.2 * d0)
    np.testing.assert_array_equal(y[0, ..., J["left_elbow"], :], x[0, ..., J["left_elbow"], :])
    np.testing.assert_array_equal(y[:, ..., J["pelvis"], :], x[:, ..., J["pelvis"], :])


@pytest.mark.parametrize("clean_extra", [0.0, 1.0, 0.5])
def test_clean_extra_windows_carry_the_ground_truth(clean_extra):
    from mocap_train.train_refiner import _batches
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(40, 25, 3)).astype(np.float32)
    pairs = [(gt + 1.0, gt)]                         # every prepared input is off by 1 m
    x, y = next(_batches(pairs, window=5, past=4, batch=400, rng=rng,
                         clean_extra=clean_extra))
    # the newest frame of each window is the target frame (causal window, past = 4)
    clean = np.isclose(x[:, :, -1].numpy(), y.numpy(), atol=1e-5).all(axis=(1, 2, 3))
    if clean_extra == 0.0:
        assert not clean.any()
    elif clean_extra == 1.0:
        assert clean.all()
    else:
        assert 0.4 < clean.mean() < 0.6
