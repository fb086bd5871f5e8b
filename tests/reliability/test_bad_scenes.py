"""Hard scenes through the real detector: each gives poses in upright pixels, or a clear
"no person", never a crash or a non-finite number."""
import cv2
import numpy as np
import pytest

from mocap_app.pipeline.offline import NoPersonError, process_video

from ..conftest import write_video
from .media import sample_frames, write_rotated


@pytest.fixture(scope="module")
def walk():
    """Frames 10..69 of the bundled walk, 880x496 (the person is found in all of them)."""
    return sample_frames(60, start=10, size=(880, 496))


def _finite_where_valid(seq):
    v = seq.valid
    assert np.isfinite(seq.joints_3d[v]).all() and np.isfinite(seq.keypoints_2d[v]).all()
    assert np.isnan(seq.joints_3d[~v]).all()


def _median_kp_diff(a, b, scale_b=1.0):
    both = a.valid & b.valid
    assert both.sum() >= len(a) // 2, (a.valid, b.valid)
    seen = (a.visibility[both] > 0.5) & (b.visibility[both] > 0.5)
    return float(np.median(np.abs(a.keypoints_2d[both] - b.keypoints_2d[both] * scale_b)[seen]))


def test_portrait_phone_video_keypoints_in_upright_pixels(tmp_path, walk):
    plain = process_video(write_video(tmp_path / "plain.mp4", walk[:20]))
    phone = process_video(write_rotated(tmp_path / "phone.mp4", walk[:20], 90))
    assert phone.raw.image_size == plain.raw.image_size == (880, 496)
    # stored sideways, read upright: the same person in the same pixels (codec noise only)
    assert _median_kp_diff(plain.raw, phone.raw) < 6.0


@pytest.mark.parametrize("size,crop", [((3840, 2160), None), ((160, 120), (0, 240, 200, 520))],
                         ids=["4k", "160x120"])
def test_extreme_resolutions_scale_the_keypoints(tmp_path, walk, size, crop):
    """A 4K clip and a 160x120 clip (the person filling it) give the keypoints of a
    mid-size copy of the same frames, scaled."""
    frames = walk[:8] if crop is None else [f[crop[0]:crop[1], crop[2]:crop[3]] for f in walk[:20]]
    h0, w0 = frames[0].shape[:2]
    ref = process_video(write_video(tmp_path / "ref.mp4", frames))
    big = [cv2.resize(f, size, interpolation=cv2.INTER_AREA if size[0] < w0 else
                      cv2.INTER_LINEAR) for f in frames]
    got = process_video(write_video(tmp_path / "scaled.mp4", big))
    assert got.raw.image_size == size
    _finite_where_valid(got.raw)
    factor = size[0] / w0
    assert _median_kp_diff(ref.raw, got.raw, 1 / factor) < 4.0


def test_tiny_person_in_160x120_is_a_clear_no_person(tmp_path, walk):
    """The whole walk shrunk to 160x120: the person is a few pixels tall; the answer is
    the NoPersonError that the CLI turns into one line, not a crash or a guess."""
    tiny = [cv2.resize(f, (160, 120), interpolation=cv2.INTER_AREA) for f in walk[:20]]
    with pytest.raises(NoPersonError, match="no person found in 20 frames"):
        process_video(write_video(tmp_path / "tiny.mp4", tiny))


def test_person_leaving_and_coming_back(tmp_path, walk):
    frames = [np.zeros_like(f) if 20 <= i < 40 else f for i, f in enumerate(walk)]
    res = process_video(write_video(tmp_path / "gap.mp4", frames))
    v = res.raw.valid
    assert res.frames == 60 and v[:20].sum() >= 18
    assert not v[20:40].any(), "a pose was invented for empty frames"
    back = 40 + int(np.argmax(v[40:]))
    assert v[40:].any() and back <= 50, "the person was not found again within 1/3 s"
    assert v[back:].all(), "the person was lost again"
    _finite_where_valid(res.raw)
    np.testing.assert_allclose(np.diff(res.raw.timestamps), 1 / 30, atol=2e-3)


@pytest.mark.parametrize("clip", ["mmhuman3d_multi.mp4", "mmaction2_basketball.mp4"])
def test_several_people_give_one_subject(shared_data, clip):
    res = process_video(shared_data / "video" / "multi" / clip)
    seq = res.raw
    _finite_where_valid(seq)
    assert seq.valid.mean() >= 0.8
    # one subject: the tracked body does not teleport between consecutive frames
    w = seq.image_size[0]
    centre = np.array([np.median(k[:, 0]) if ok else np.nan
                       for k, ok in zip(seq.keypoints_2d, seq.valid)])
    steps = np.abs(np.diff(centre))
    steps = steps[np.isfinite(steps)] / w
    assert np.mean(steps > 0.2) < 0.02, np.sort(steps)[-5:]


@pytest.mark.parametrize("turn", [cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE],
                         ids=["upside_down", "lying"])
def test_extreme_poses_stay_finite(tmp_path, walk, turn):
    frames = [cv2.rotate(f, turn) for f in walk[:40]]
    res = process_video(write_video(tmp_path / "turned.mp4", frames))
    seq = res.raw
    _finite_where_valid(seq)
    assert res.frames == 40 and seq.valid.sum() >= 10   # found, not guessed, on most
    h, w = frames[0].shape[:2]
    kp = seq.keypoints_2d[seq.valid]
    assert (kp[..., 0] > -0.5 * w).all() and (kp[..., 0] < 1.5 * w).all()
    # 3D joints of a human size: nothing more than 2 m from the pelvis
    assert np.abs(seq.joints_3d[seq.valid]).max() < 2.0
