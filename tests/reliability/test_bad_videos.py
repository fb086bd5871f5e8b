"""Bad video files at the capture layer: a clear CaptureError or correct frames, never a
crash. (Missing, zero-byte, text-renamed, folder and half-truncated files are in
tests/capture/test_video.py and tests/e2e/test_cli_errors.py.)"""
import os
import wave

import cv2
import numpy as np
import pytest

from mocap_app.capture.base import CaptureError
from mocap_app.capture.video import VideoFileSource
from mocap_app.core.paths import sample_clip

from ..conftest import write_video
from .media import write_audio_only, write_rotated, write_unknown_codec, write_vfr


def _refused(path, *words):
    with pytest.raises(CaptureError) as info:
        src = VideoFileSource(path)
        list(src)
    msg = str(info.value)
    assert str(path.name) in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


def test_header_only_mp4_is_refused(tmp_path):
    p = tmp_path / "cut_header.mp4"
    p.write_bytes(sample_clip().read_bytes()[:2048])
    _refused(p)


def test_random_bytes_named_mp4_are_refused(tmp_path):
    p = tmp_path / "noise.mp4"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 200_000, np.uint8).tobytes())
    _refused(p)


def test_png_renamed_mp4_reads_as_one_still_frame(tmp_path):
    img = np.zeros((90, 120, 3), np.uint8)
    img[:, 60:] = (0, 200, 0)
    p = tmp_path / "picture.mp4"
    ok, png = cv2.imencode(".png", img)
    p.write_bytes(png.tobytes())
    frames = list(VideoFileSource(p))
    # FFmpeg's image demuxer opens a lone picture: exactly one upright frame, same pixels
    assert len(frames) == 1 and frames[0].timestamp == 0.0
    np.testing.assert_array_equal(frames[0].image, img)


def test_wav_renamed_mp4_is_refused(tmp_path):
    p = tmp_path / "voice.mp4"
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(np.zeros(8000, np.int16).tobytes())
    _refused(p, "no video")


def test_audio_only_mp4_is_refused(tmp_path):
    _refused(write_audio_only(tmp_path / "song.m4a"), "no video")


def test_unsupported_codec_is_refused(tmp_path):
    _refused(write_unknown_codec(tmp_path / "alien.avi"), "codec")


def test_corrupt_middle_decodes_without_crash(tmp_path):
    """Bit rot in the middle of the stream: every frame that comes out is whole."""
    data = bytearray(sample_clip().read_bytes())
    rng = np.random.default_rng(1)
    mid = len(data) * 2 // 5
    data[mid:mid + 65536] = rng.integers(0, 256, 65536, np.uint8).tobytes()
    p = tmp_path / "bitrot.mp4"
    p.write_bytes(bytes(data))
    src = VideoFileSource(p)
    n = 0
    for f in src:
        assert f.image.shape == (994, 1768, 3) and f.image.dtype == np.uint8
        n += 1
    assert 0 < n <= 230


@pytest.mark.parametrize("codec", ["XVID", "MJPG"])
def test_take_video_cut_mid_frame_reads_the_whole_frames(tmp_path, codec):
    """What a crash leaves of a live take's video.avi (MPEG-4, or the MJPG fallback): no
    index, the last frame cut."""
    frames = [np.full((120, 160, 3), 8 * i, np.uint8) for i in range(30)]
    full = write_video(tmp_path / "full.avi", frames, 30.0, codec).read_bytes()
    p = tmp_path / "cut.avi"
    p.write_bytes(full[: int(len(full) * 0.6)])
    got = list(VideoFileSource(p))
    assert 10 <= len(got) < 30
    for f in got:   # each frame decodes nearest to its own grey level (steps of 8)
        nearest = int(np.argmin([abs(float(f.image.mean()) - 8 * k) for k in range(30)]))
        assert nearest == f.index


def test_tiny_160x120_video(tmp_path):
    frames = [np.full((120, 160, 3), 5 * i, np.uint8) for i in range(6)]
    src = VideoFileSource(write_video(tmp_path / "tiny.mp4", frames))
    got = list(src)
    assert (src.info.width, src.info.height) == (160, 120) and len(got) == 6
    assert all(f.image.shape == (120, 160, 3) for f in got)


def test_4k_video(tmp_path):
    frames = [np.full((2160, 3840, 3), 60 * i, np.uint8) for i in range(3)]
    src = VideoFileSource(write_video(tmp_path / "uhd.mp4", frames))
    got = list(src)
    assert (src.info.width, src.info.height) == (3840, 2160) and len(got) == 3
    assert abs(float(got[2].image.mean()) - 120) < 4


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotation_metadata_gives_upright_frames(tmp_path, degrees):
    upright = np.zeros((160, 120, 3), np.uint8)       # portrait, 120 wide
    upright[:40, :30] = (0, 0, 255)                    # red top-left corner
    upright[-40:, -30:] = (255, 0, 0)                  # blue bottom-right corner
    p = write_rotated(tmp_path / f"phone_{degrees}.mp4", [upright] * 4, degrees)
    src = VideoFileSource(p)
    assert src.rotation == degrees
    assert (src.info.width, src.info.height) == (120, 160)
    got = list(src)
    assert len(got) == 4
    for f in got:
        assert f.image.shape == (160, 120, 3)
        assert f.image[5:35, 5:25].mean(axis=(0, 1)) == pytest.approx([0, 0, 255], abs=30)
        assert f.image[-35:-5, -25:-5].mean(axis=(0, 1)) == pytest.approx([255, 0, 0], abs=30)


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_variable_frame_rate_timestamps_follow_presentation_times(tmp_path, container):
    times = [0.0, 0.033, 0.1, 0.15, 0.4, 0.45, 1.0, 1.02, 1.5]
    src = VideoFileSource(write_vfr(tmp_path / f"vfr.{container}", times))
    got = [f.timestamp for f in src]
    np.testing.assert_allclose(got, times, atol=2e-3)


def test_one_frame_video(tmp_path):
    img = np.full((120, 160, 3), 77, np.uint8)
    src = VideoFileSource(write_video(tmp_path / "single.mp4", [img]))
    got = list(src)
    assert len(got) == 1 and got[0].index == 0 and got[0].timestamp == 0.0
    assert abs(float(got[0].image.mean()) - 77) < 3
    assert src.info.frame_count in (1, None)


def test_path_with_spaces_and_non_ascii_letters(tmp_path):
    folder = tmp_path / "Vidéos de Zoë — 動画"
    folder.mkdir()
    frames = [np.full((120, 160, 3), 30, np.uint8)] * 3
    p = write_video(folder / "prise n°1 été.avi", frames, 30.0, "MJPG")
    assert len(list(VideoFileSource(p))) == 3


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_long_file_is_streamed_with_flat_memory(tmp_path):
    """2400 frames of 640x480 (2.2 GB if held in RAM): resident memory stays flat."""
    rng = np.random.default_rng(2)
    tiles = [rng.integers(0, 255, (480, 640, 3), np.uint8) for _ in range(4)]
    path = tmp_path / "long.avi"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (640, 480))
    for i in range(2400):
        vw.write(tiles[i % 4])
    vw.release()
    src = VideoFileSource(path)
    base, peak, n, last_ts = None, 0.0, 0, -1.0
    for f in src:
        assert f.timestamp > last_ts
        last_ts = f.timestamp
        n += 1
        if n == 100:
            base = _rss_mb()
        if n % 100 == 0:
            peak = max(peak, _rss_mb())
    assert n == 2400 and last_ts == pytest.approx(2399 / 30, abs=1e-3)
    assert peak - base < 60, f"RSS grew {peak - base:.0f} MB while streaming"
