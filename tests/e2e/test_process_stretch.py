"""`mocap process --start --end`: only that stretch of the video is processed; the take
keeps the video's own times and knows which of its frames it starts at."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mocap_app.core.bvh import read_bvh
from mocap_app.core.paths import sample_clip
from mocap_app.pipeline.estimator import EstimatorConfig
from mocap_app.pipeline.offline import StretchError, check_stretch, process_video
from mocap_app.takes import load_take

from .test_cli_errors import assert_one_line_error, run_cli


def test_process_video_reads_only_the_stretch():
    from mocap_app.capture.base import SourceInfo
    from mocap_app.capture.video import VideoFileSource
    with VideoFileSource(sample_clip()) as src:
        assert abs(src.info.duration - 230 / 30.0) < 1e-9     # what the stretch is checked on
    assert SourceInfo(640, 480, 30.0, None, "live").duration is None
    seen = []
    result = process_video(sample_clip(), EstimatorConfig(lifter="none"), start=2.0, end=3.0,
                           progress=seen.append)
    ts = result.raw.timestamps
    # the clip is 30 fps: frames 60 .. 90, their own times
    assert result.frames == len(ts) == 31
    np.testing.assert_allclose(ts, np.arange(60, 91) / 30.0, atol=2e-3)
    assert result.info["first_frame"] == 60 and result.info["stretch"] == [2.0, 3.0]
    assert result.short_input is None                 # stopped at the end asked for
    assert seen[-1].done == seen[-1].total == 31      # progress counts the stretch
    # open ends
    tail = process_video(sample_clip(), EstimatorConfig(lifter="none"), start=7.0)
    assert tail.frames == 20 and tail.info["first_frame"] == 210 and tail.short_input is None


@pytest.mark.parametrize("start, end, words", [
    (-1.0, None, "0 s or more"), (None, float("inf"), "0 s or more"),
    (3.0, 2.0, "must come after"), (2.0, 2.0, "must come after"),
    (8.0, None, "within 0-7.67 s")])
def test_a_wrong_stretch_is_refused_before_any_work(start, end, words):
    with pytest.raises(StretchError, match=words):
        process_video(sample_clip(), EstimatorConfig(lifter="none"), start=start, end=end)
    with pytest.raises(StretchError):
        check_stretch(start, end, 230 / 30.0)


def test_process_command_writes_the_stretch_as_bvh_and_take(tmp_path):
    out, take = tmp_path / "part.bvh", tmp_path / "take"
    proc = run_cli("process", sample_clip(), "-o", out, "--start", "1", "--end", "2",
                   "--take-dir", take, "--json", tmp_path / "part.json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "31 frames" in proc.stdout
    assert read_bvh(out).num_frames == 31
    seq, meta = load_take(take)
    assert meta["first_frame"] == 30 and len(seq) == 31
    assert abs(seq.timestamps[0] - 1.0) < 2e-3
    doc = json.loads((tmp_path / "part.json").read_text())
    assert abs(doc["frames"][0]["time"] - 1.0) < 2e-3     # the video's own time


@pytest.mark.parametrize("args, words", [
    (("--start", "3", "--end", "1"), "must come after"),
    (("--start", "100"), "within 0-7.67 s"),
    (("--end", "nan"), "0 s or more")])
def test_process_command_refuses_a_wrong_stretch_at_once(tmp_path, args, words):
    out = tmp_path / "o.bvh"
    proc = run_cli("process", sample_clip(), "-o", out, *args)
    assert proc.returncode == 2
    assert_one_line_error(proc, words)
    assert not out.exists()
