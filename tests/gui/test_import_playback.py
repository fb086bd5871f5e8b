"""Open the bundled clip, process it through the real pipeline, play the take back: the
frame view, the 3D skeleton and the heatmaps hold the pipeline's data for the shown
frame; cancelling half-way leaves nothing behind."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mocap_app.core.paths import sample_clip
from mocap_app.takes import load_take

IMPORT_TIMEOUT_MS = 150_000


def _import_sample(qtbot, window, **kw):
    seen = []
    window.open_video(sample_clip(), **kw)
    job = window.import_runner.job
    job.progress.connect(lambda p: seen.append(p))
    assert window.progress.isVisible() and window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: window.mode != "import", timeout=IMPORT_TIMEOUT_MS)
    assert window.errors == []
    return seen


def test_open_process_and_play_back_sample_clip(qtbot, lifter_models, window, takes_root,
                                                screenshot):
    # refinement off: the untrained lifter's skeletons are degenerate (all joints within a
    # few cm) and the foot-contact stage turns them into NaN; the refiner is exercised by
    # the re-process step below
    seen = _import_sample(qtbot, window, refine=False)
    result = window.last_import
    assert result is not None and result.frames == 230
    # progress reached the end, with a time-remaining estimate on the way
    assert seen[-1].done == seen[-1].total == 230
    assert any(p.remaining is not None for p in seen)
    # the take exists and is in the list, selected
    folder = result.take_folder
    assert folder.parent == takes_root and (folder / "poses.npz").exists()
    assert window.take_list.folders() == [folder]
    assert window.take_list.selected() == folder
    seq, meta = load_take(folder)
    raw, _ = load_take(folder, which="raw")
    assert meta["status"] == "complete" and len(seq) == 230

    # scrub to a frame with the person and check each view holds that frame's data
    k = 150
    assert seq.valid[k] and raw.valid[k]
    window.timeline.seek(k)
    assert window.frame_view.frame_index == k
    np.testing.assert_allclose(window.frame_view.keypoints, raw.keypoints_2d[k])
    expected = seq.joints_3d[k] + (seq.root_positions[k] if seq.root_positions is not None
                                   else 0.0)
    if seq.root_positions is None:
        expected = expected - np.array([0, expected[:, 1].min(), 0])
    np.testing.assert_allclose(window.view3d.shown_joints, expected, atol=1e-5)
    from mocap_app.gui.view3d import skeleton_segments
    np.testing.assert_allclose(window.view3d.bones.pos, skeleton_segments(expected),
                               atol=1e-5)
    assert window.view3d.bones.visible

    # heatmaps: the lifter's output for the shown frame, from the take's own keypoints
    from mocap_app.pipeline.estimator import load_lifter
    lifter = load_lifter("auto")
    assert lifter is not None
    assert meta["parameters"]["lifter"] == "auto" and meta["parameters"]["lifter_loaded"]
    panel = window.heatmap_panel
    qtbot.waitUntil(lambda: panel.frame_index == k and panel.heatmaps is not None,
                    timeout=60_000)
    # the import found the camera's tilt from the take (with this untrained lifter, any
    # angle) and lifted the picture levelled by it; the take records it
    from mocap_app.lift.tilt import AUTO_FRAMES
    found = meta["parameters"]["tilt_found"]
    assert meta["parameters"]["tilt_deg"] == found["tilt_deg"] and abs(found["tilt_deg"]) <= 45
    assert found["frames"] == min(int(raw.valid.sum()), AUTO_FRAMES)
    assert found["gap"] <= found["level_gap"]
    lifter.tilt_deg = meta["parameters"]["tilt_deg"]
    res = lifter.lift(raw.keypoints_2d[k][None], raw.visibility[k][None],
                      tuple(raw.image_size))
    # the raw take's 3D is that same lifter's output for those keypoints
    np.testing.assert_allclose(raw.joints_3d[k], res.joints_3d[0], atol=1e-5)
    for plane in ("xy", "zy", "xz"):
        want = np.asarray(res.heatmaps[plane][0])                    # (J, H, W)
        np.testing.assert_allclose(panel.heatmaps[plane], want, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(panel.shown[plane], want.max(axis=0), rtol=1e-4,
                                   atol=1e-7)
        assert panel.images[plane].image.shape == want.shape[1:]
        assert len(panel.markers[plane].data) == want.shape[0]      # one mark per joint
    panel.set_joint(9)   # left wrist: that joint's map and its decoded point
    for plane in ("xy", "zy", "xz"):
        want = np.asarray(res.heatmaps[plane][0][9])
        np.testing.assert_allclose(panel.shown[plane], want, rtol=1e-4, atol=1e-7)
        assert len(panel.markers[plane].data) == 1
    panel.set_joint(None)
    qtbot.wait(300)
    screenshot(window, "main_window_playback")

    # playing advances the timeline in step with the views
    window.timeline.seek(10)
    window.timeline.set_playing(True)
    qtbot.waitUntil(lambda: window.timeline.frame >= 20, timeout=5000)
    window.timeline.set_playing(False)
    assert window.frame_view.frame_index == window.timeline.frame

    # re-process the take offline with the bidirectional refiner (raw poses kept)
    window.reprocess_take(folder)
    qtbot.waitUntil(lambda: getattr(window, "reprocessed", None) == folder, timeout=60_000)
    meta2 = json.loads((folder / "take.json").read_text())
    assert "reprocessed" in meta2 and meta2["parameters"]["refinement"]
    raw2, _ = load_take(folder, which="raw")
    np.testing.assert_array_equal(raw2.keypoints_2d, raw.keypoints_2d)
    assert window.errors == []


def test_cancel_import_half_way_leaves_no_take(qtbot, window, takes_root, screenshot):
    window.open_video(sample_clip())
    qtbot.waitUntil(lambda: window.progress.value() >= 115, timeout=IMPORT_TIMEOUT_MS)
    qtbot.wait(200)
    screenshot(window, "main_window_importing")
    window.cancel_button.click()
    qtbot.waitUntil(lambda: window.mode == "idle", timeout=30_000)
    assert window.last_import is None
    assert window.errors == []
    assert "cancelled" in window.statusBar().currentMessage()
    assert not window.progress.isVisible()
    # nothing on disk, not even a hidden half-written folder
    assert not takes_root.exists() or list(takes_root.iterdir()) == []
    assert window.take_list.folders() == []


def test_heatmap_panel_says_when_there_is_no_lifter(qtbot, no_lifter_models, window):
    window._ensure_heatmap_job()
    panel = window.heatmap_panel
    qtbot.waitUntil(lambda: not panel.available, timeout=60_000)
    assert "no lifter" in panel.status.text()
    assert panel.shown == {} and panel.heatmaps is None


def test_unreadable_file_is_a_message_not_a_crash(qtbot, window, tmp_path):
    bad = tmp_path / "holiday.mp4"
    bad.write_text("this is not a video")
    assert window.open_video(bad) is False
    assert window.mode == "idle"
    assert window.errors and window.errors[-1][0] == "Cannot open the video"
    assert "holiday.mp4" in window.errors[-1][1]
    # the window still works: the message box is not modal to the app
    window.timeline.seek(0)
    assert window.isVisible()


def test_a_cut_off_video_is_imported_as_far_as_it_decodes_and_says_so(qtbot, window,
                                                                      takes_root, tmp_path):
    from tests.conftest import cut_sample_clip, decodable_frames
    clip = cut_sample_clip(tmp_path, 2_000_000)
    decoded = decodable_frames(clip)
    assert window.open_video(clip, refine=False) is True
    qtbot.waitUntil(lambda: window.mode != "import", timeout=IMPORT_TIMEOUT_MS)
    result = window.last_import
    assert result is not None and result.frames == decoded < 230
    # the take is kept with every decoded frame, and the animator is told, not stopped
    seq, meta = load_take(result.take_folder)
    assert len(seq) == decoded
    assert meta["parameters"]["short_input"]["frames_declared"] == 230
    title, text = window.errors[-1]
    assert title == "The video ended early"
    assert text == (f"{clip.name} ended early: {decoded} of 230 frames decoded, decoding "
                    f"stopped at {decoded / 30:.2f} s; the frames that decoded were kept")


@pytest.mark.parametrize("joint", [None, 9])
def test_heatmap_panel_marks_the_decoded_point(qtbot, joint):
    """Known answer: Gaussian maps drawn at known cells are shown and their decoded
    point is marked on them."""
    from mocap_app.core.skeleton import NUM_JOINTS
    from mocap_app.gui.heatmap_panel import HeatmapPanel
    panel = HeatmapPanel()
    qtbot.addWidget(panel)
    h = w = 32
    rows, cols = np.indices((h, w))
    rng = np.random.default_rng(0)
    centres = rng.uniform(6, 26, size=(3, NUM_JOINTS, 2))
    maps = {}
    for p, plane in enumerate(("xy", "zy", "xz")):
        cx, cy = centres[p, :, 0, None, None], centres[p, :, 1, None, None]
        maps[plane] = np.exp(-((cols - cx) ** 2 + (rows - cy) ** 2) / (2 * 1.5 ** 2))
    panel.set_joint(joint)
    panel.show_heatmaps(maps, 7)
    for p, plane in enumerate(("xy", "zy", "xz")):
        marks = panel.markers[plane].data
        if joint is None:
            np.testing.assert_allclose(panel.shown[plane], maps[plane].max(axis=0))
            assert len(marks) == NUM_JOINTS
            np.testing.assert_allclose(marks["x"] - 0.5, centres[p, :, 0], atol=0.05)
            np.testing.assert_allclose(marks["y"] - 0.5, centres[p, :, 1], atol=0.05)
        else:
            np.testing.assert_allclose(panel.shown[plane], maps[plane][joint])
            np.testing.assert_allclose(panel.decoded[plane], centres[p, joint], atol=0.05)


def test_playback_heatmaps_and_reprocessing_use_the_takes_tilt(tmp_path):
    """A take lifted from a tilted camera (take.json ``parameters.tilt_deg``) shows the
    heatmaps of its levelled picture, as the lifter made them; takes from before the
    setting read 0."""
    import threading
    import time
    from mocap_app.gui.heatmap_job import HeatmapJob
    from mocap_app.gui.offline_jobs import take_tilt
    from mocap_app.gui.worker import LatestBox
    from mocap_app.pipeline.estimator import load_lifter
    assert take_tilt({"parameters": {"tilt_deg": -8.5}}) == -8.5
    assert take_tilt({"parameters": {}}) == 0.0 and take_tilt({}) == 0.0
    assert take_tilt({"parameters": {"tilt_deg": "bad"}}) == 0.0
    assert take_tilt({"parameters": {"tilt_deg": 400}}) == 0.0
    rng = np.random.default_rng(1)
    kp = np.array([640.0, 360.0]) + rng.normal(0, 120, (25, 2))
    vis = np.ones(25)
    requests, answers = LatestBox(), LatestBox()
    job = HeatmapJob(requests, answers)
    thread = threading.Thread(target=job.work)
    thread.start()
    try:
        job.request(3, kp, vis, (1280, 720), None, 20.0)
        deadline = time.time() + 60
        got = None
        while got is None and time.time() < deadline:
            got = answers.take()
            time.sleep(0.05)
    finally:
        job.stop_event.set()
        thread.join(30)
    assert got is not None and got[0] == 3
    lifter = load_lifter("auto")
    lifter.tilt_deg = 20.0
    want = lifter.lift(kp[None], vis[None], (1280, 720))
    np.testing.assert_allclose(got[2], want.joints_3d[0], atol=1e-5)
    np.testing.assert_allclose(got[1]["xy"], want.heatmaps["xy"][0], rtol=1e-4, atol=1e-7)
