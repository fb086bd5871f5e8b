"""A take made from a stretch of a video plays back that stretch's frames of the file."""
from __future__ import annotations

import numpy as np


def test_a_stretch_take_shows_the_videos_own_frames(qtbot, window, tmp_path):
    from mocap_app.core.paths import sample_clip
    from mocap_app.gui.timeline import VideoFrameReader
    from mocap_app.pipeline.estimator import EstimatorConfig
    from mocap_app.pipeline.offline import process_video
    from mocap_app.takes import load_take, save_offline_take
    from mocap_app.takes.manage import take_video
    result = process_video(sample_clip(), EstimatorConfig(lifter="none"), start=4.0, end=5.0)
    folder = save_offline_take(tmp_path / "takes" / "part", result, {})
    _, meta = load_take(folder)
    assert meta["first_frame"] == 120
    path, first = take_video(folder, meta)
    assert path == sample_clip().resolve() and first == 120
    whole = VideoFrameReader(path)
    part = VideoFrameReader(path, first)
    for k in (0, 7, 30):
        np.testing.assert_array_equal(part.read(k), whole.read(120 + k))
    whole.close()
    part.close()
    assert window.open_take(folder)
    window.timeline.seek(7)
    assert window.frame_view.frame_index == 7
    reader = VideoFrameReader(sample_clip())
    np.testing.assert_array_equal(window.frame_view._buffer, reader.read(127))
    reader.close()
    # a take whose take.json has no first_frame (before the option) starts at the file's
    assert take_video(folder, {**meta, "first_frame": None})[1] == 0
