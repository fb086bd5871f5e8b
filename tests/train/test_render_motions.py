"""Take-like stretches (mocap_train/render/motions.py) with known answers."""
from types import SimpleNamespace

import numpy as np
import pytest

from mocap_app.core.skeleton import J
from mocap_train.render.motions import (ARM_UP_DEG, TakeLike, frame_measures,
                                        take_like_starts)
from tests.pipeline.poses import rest_pose


def _pose(arm_deg: float, feet_apart: float) -> np.ndarray:
    """The rest pose with the left upper arm ``arm_deg`` from hanging (sideways) and the
    ankles ``feet_apart`` hip-to-ankle lengths apart (the legs swung out evenly)."""
    p = rest_pose().copy()
    a = np.radians(arm_deg)
    p[J["left_elbow"]] = p[J["left_shoulder"]] + 0.29 * np.array([np.sin(a), -np.cos(a), 0.0])
    leg = np.mean([np.linalg.norm(p[J[f"{s}_hip"]] - p[J[f"{s}_ankle"]])
                   for s in ("left", "right")])
    mid = 0.5 * (p[J["left_ankle"]] + p[J["right_ankle"]])
    for s, sign in (("left", 1.0), ("right", -1.0)):
        hip = p[J[f"{s}_hip"]]
        # put the ankle on the floor line at +-half the spread, keeping the leg's length
        x = mid[0] + sign * 0.5 * feet_apart * leg
        y = hip[1] - np.sqrt(max(leg ** 2 - (x - hip[0]) ** 2 - (mid[2] - hip[2]) ** 2, 0.0))
        p[J[f"{s}_ankle"]] = [x, y, mid[2]]
    return p


def test_the_frame_measures_read_the_raised_arm_and_the_stance():
    calm, wide = _pose(10.0, 0.2), _pose(70.0, 0.7)
    up, stance = frame_measures(np.stack([calm, wide, _pose(ARM_UP_DEG + 0.5, 0.0)]) * 2.0)
    assert up.tolist() == [False, True, True]
    np.testing.assert_allclose(stance[:2], [0.2, 0.7], atol=1e-6)


def _clip(calm: int, wide: int) -> np.ndarray:
    return np.stack([_pose(10.0, 0.2)] * calm + [_pose(70.0, 0.7)] * wide)


def test_the_take_like_stretches_of_a_clip():
    # 50 calm frames then 100 take-like ones, stretches of 60 frames: an arm is up in at
    # least 80 % of a stretch starting at s when s + 60 - 50 >= 48, i.e. s >= 38; the
    # stance's mean, (0.2 (50 - s) + 0.7 (s + 10)) / 60 >= 0.45, holds from s >= 20;
    # the last stretch starts at 90
    starts = take_like_starts(_clip(50, 100), 60)
    assert starts.tolist() == list(range(38, 91))
    assert take_like_starts(_clip(50, 5), 60).size == 0
    with pytest.raises(ValueError):
        take_like_starts(_clip(5, 5), 0)


def test_draws_come_only_from_take_like_stretches_and_shorten_when_none_is_long_enough():
    clips = [SimpleNamespace(joints=_clip(150, 0)), SimpleNamespace(joints=_clip(50, 100)),
             SimpleNamespace(joints=_clip(0, 40))]
    pick = TakeLike(clips)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        clip, start, n = pick.pick(rng, 60)
        assert clip is clips[1] and 38 <= start <= 90 and n == 60
        seen.add(start)
    assert len(seen) > 30                          # spread over the stretches
    # none of 150 frames (clip 1's only one holds 100 take-like frames: 67 %); halved to
    # 75: an arm up in 80 % of the stretch from s = 35, the last stretch at 75
    clip, start, n = pick.pick(rng, 150)
    assert n == 75 and clip is clips[1] and 35 <= start <= 75
    with pytest.raises(ValueError, match="no take-like"):
        TakeLike([clips[0]]).pick(rng, 30)
