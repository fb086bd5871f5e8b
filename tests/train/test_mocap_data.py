"""Each mocap skeleton mapped onto the app joints gives a plausible body."""
import io
import json
import tarfile

import numpy as np
import pytest

from mocap_app.core.bvh import parse_bvh
from mocap_app.core.paths import shared_data_dir
from mocap_app.core.skeleton import J, LIMB_BONES
from mocap_train import mocap_data as md


def _extract(archive: str, member: str) -> str:
    path = shared_data_dir() / "mocap" / archive
    with tarfile.open(path, "r:xz") as tar:
        return tar.extractfile(member).read().decode("utf-8", "replace")


def _clips():
    clips = {c.source: c.joints for c in md.load_sample_clips()}
    text = _extract("cmu.tar.xz", "cmu/iclone_cc_base/All_BVH/subjects/002/002_01.bvh")
    motion = parse_bvh(text)
    clips["cc_base"] = md.resample(md.bvh_to_app(motion, md.detect_skeleton(motion)),
                                   1 / motion.frame_time)
    char = json.loads(_extract("deepmimic.tar.xz", "deepmimic/characters/humanoid3d.txt"))
    frames = np.array(json.loads(_extract("deepmimic.tar.xz",
                                          "deepmimic/motions/humanoid3d_walk.txt"))["Frames"])
    clips["deepmimic"] = md.deepmimic_to_app(frames, char)
    return clips


CLIPS = _clips()


def test_every_skeleton_is_covered():
    assert set(CLIPS) == {"bandai", "daz", "cmu_max", "cc_base", "deepmimic"}


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_bone_lengths_are_human(name):
    x = CLIPS[name]
    lengths = {b: np.median(np.linalg.norm(x[:, c] - x[:, p], axis=-1)) for b, p, c in LIMB_BONES}
    for side in ("left", "right"):
        assert 0.35 <= lengths[f"{side}_thigh"] <= 0.5
        assert 0.33 <= lengths[f"{side}_shin"] <= 0.5
        assert 0.2 <= lengths[f"{side}_upper_arm"] <= 0.35
        assert 0.17 <= lengths[f"{side}_forearm"] <= 0.3
    ears = np.median(np.linalg.norm(x[:, J["left_ear"]] - x[:, J["right_ear"]], axis=-1))
    assert 0.12 <= ears <= 0.18
    hand = np.median(np.linalg.norm(x[:, J["left_hand"]] - x[:, J["left_wrist"]], axis=-1))
    assert 0.05 <= hand <= 0.12


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_y_up_right_handed_and_facing(name):
    x = CLIPS[name]
    assert np.median(x[:, J["head"], 1] - x[:, J["left_ankle"], 1]) > 1.0     # feet below head
    assert np.median(x[:, J["left_heel"], 1] - x[:, J["left_ankle"], 1]) < -0.02
    # facing from the feet (ankle -> toe) and the face (head -> nose) must agree with the
    # facing a right-handed skeleton gives: forward = (left - right) x up
    fwd = np.cross(x[:, J["left_hip"]] - x[:, J["right_hip"]], np.array([0.0, 1.0, 0.0]))
    toe = x[:, J["left_toe"]] - x[:, J["left_ankle"]] + x[:, J["right_toe"]] - x[:, J["right_ankle"]]
    nose = x[:, J["nose"]] - x[:, J["head"]]
    assert np.mean(np.einsum("ti,ti->t", fwd, toe) > 0) > 0.9
    assert np.mean(np.einsum("ti,ti->t", fwd, nose) > 0) > 0.9
    # turned to face +Z, the left hand is towards +X
    f = fwd.mean(0)
    yaw = np.arctan2(f[0], f[2])
    c, s = np.cos(-yaw), np.sin(-yaw)
    lx = c * x[:, J["left_shoulder"], 0] + s * x[:, J["left_shoulder"], 2]
    rx = c * x[:, J["right_shoulder"], 0] + s * x[:, J["right_shoulder"], 2]
    assert np.mean(lx > rx) > 0.9


def test_resampling_to_30_fps():
    x = np.arange(121, dtype=float)[:, None, None] * np.ones((1, 25, 3))   # 1 s at 120 fps
    y = md.resample(x, 120.0)
    assert y.shape[0] == 31 and np.allclose(y[:, 0, 0], np.arange(31) * 4)


def test_split_is_deterministic_and_holds_out_whole_groups():
    assert md.split_of("bandai2", "elderly", "x") == "test"
    assert md.split_of("bandai1", "old", "y") == "test"
    assert md.split_of("cmu", "94", "z") == "test"
    assert md.split_of("bandai2", "normal", "w") == "train"
    names = [f"deepmimic/clip{i}" for i in range(200)]
    a = [md.split_of("deepmimic", n, n) for n in names]
    assert a == [md.split_of("deepmimic", n, n) for n in names]
    assert {"train", "val", "test"} <= set(a)


def test_vary_proportions_scales_only_its_bone_groups_and_keeps_directions():
    from mocap_app.core.skeleton import BONES
    from mocap_train.camera_sim import PROPORTION_GROUPS, vary_proportions
    x = md.load_sample_clips()[0].joints[:5].astype(np.float64)
    same = vary_proportions(x, {g: np.ones(5) for g in PROPORTION_GROUPS})
    np.testing.assert_allclose(same, x, atol=1e-12)
    y = vary_proportions(x, {"shoulder_width": np.full(5, 1.5), "shin": np.full(5, 0.9)})

    def length(z, a, b):
        return np.linalg.norm(z[:, J[a]] - z[:, J[b]], axis=-1)
    np.testing.assert_allclose(length(y, "left_shoulder", "right_shoulder"),
                               1.5 * length(x, "left_shoulder", "right_shoulder"))
    np.testing.assert_allclose(length(y, "left_knee", "left_ankle"),
                               0.9 * length(x, "left_knee", "left_ankle"))
    # the neck stays the shoulder midpoint; other bones keep length and direction
    np.testing.assert_allclose(y[:, J["neck"]],
                               0.5 * (y[:, J["left_shoulder"]] + y[:, J["right_shoulder"]]))
    changed = {(J[a], J[b]) for g in ("shoulder_width", "shin") for a, b in PROPORTION_GROUPS[g]}
    for p, c in BONES:
        if (p, c) not in changed:
            np.testing.assert_allclose(y[:, c] - y[:, p], x[:, c] - x[:, p], atol=1e-12)
