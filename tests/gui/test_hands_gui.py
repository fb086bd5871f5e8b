"""The hands in the window: View > Track hands, the hands drawn over the picture and in
the 3D view, their cost in the status bar (real window under Xvfb)."""
import numpy as np
from PySide6.QtCore import QPointF

from mocap_app.capture.fake_camera import PacedVideoSource
from mocap_app.gui.skeleton_style import LEFT_RGB, RIGHT_RGB
from tests.conftest import write_video
from tests.detect.test_blazepose_reference import read_frames


def test_track_hands_toggle_draws_hands_and_shows_their_cost(qtbot, window, shared_data,
                                                            tmp_path, screenshot):
    frames = read_frames(shared_data / "video" / "hybrik_taiji.mp4", range(30, 45))
    clip = write_video(tmp_path / "hands.mp4", [frames[i] for i in range(30, 45)], fps=24.0)
    assert not window.config.hands and not window.hands_action.isChecked()
    window.hands_action.trigger()
    assert window.config.hands and window.settings.get("capture/hands", False, bool)
    assert window.start_live(lambda: PacedVideoSource(clip, loop=True), "fake camera")

    def both_hands_drawn():
        h = window.frame_view.hands
        return (h is not None and np.isfinite(h).all()
                and window.view3d.shown_hands is not None
                and window.hands_label.text().startswith("hands "))
    qtbot.waitUntil(both_hands_drawn, timeout=60_000)
    assert " ms" in window.hands_label.text()
    # live, on two cores, the hands run on their own thread beside the body
    import os
    assert (", own thread" in window.hands_label.text()) == ((os.cpu_count() or 1) >= 2)
    # the 3D hands hang on the drawn skeleton's wrists
    from mocap_app.core.skeleton import J
    shown = window.view3d.shown_hands
    wrists = window.view3d.shown_joints[[J["left_wrist"], J["right_wrist"]]]
    np.testing.assert_allclose(shown[:, 0], wrists, atol=1e-5)
    # each hand is drawn in its side's colour: sample the middle of its longest bone
    view = window.frame_view
    hands = view.hands.copy()
    image = view.grab().toImage()
    r = view._image_rect()
    s = r.width() / view._image_size[0]
    for hand, rgb in zip(hands, (LEFT_RGB, RIGHT_RGB)):
        bone = np.argmax(np.linalg.norm(hand[1:] - hand[[0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10,
                                                         11, 0, 13, 14, 15, 0, 17, 18, 19]],
                                        axis=-1)) + 1
        parent = [0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 17, 18, 19][bone - 1]
        mid = (hand[bone] + hand[parent]) / 2
        p = QPointF(r.left() + mid[0] * s, r.top() + mid[1] * s)
        dpr = image.devicePixelRatio()
        c = image.pixelColor(int(p.x() * dpr), int(p.y() * dpr))
        got = np.array([c.redF(), c.greenF(), c.blueF()])
        # the line is 1.5 px wide and antialiased: the side's colour dominates
        assert np.argmax(got) == int(np.argmax(rgb)), (got, rgb)
    screenshot(window, "main_window_live_hands")
    window.stop_live()
    qtbot.waitUntil(lambda: window.mode == "idle", timeout=10_000)
    window.hands_action.trigger()
    assert not window.config.hands and window.hands_label.text() == ""


def test_export_dialog_offers_the_fingers_for_a_take_with_hands(qtbot, window, tmp_path):
    """A recorded take with hands but no finger angles (a live take): the dialog's finger
    box is on, the export has finger bones (smoothed angles made on the way); off, none."""


    from mocap_app.core.bvh import read_bvh
    from mocap_app.core.pose import FramePose
    from mocap_app.takes import TakeWriter
    from tests.export.hands import puppet_with_hands
    seq, _ = puppet_with_hands(20)
    folder = tmp_path / "hands_take"
    w = TakeWriter(folder, fps=30, image_size=(640, 480))
    for i in range(20):
        w.append(FramePose(i, float(seq.timestamps[i]), (640, 480), None,
                           seq.keypoints_2d[i], seq.visibility[i], seq.joints_3d[i],
                           seq.root_positions[i], hands_2d=seq.hands_2d[i],
                           hands_3d=seq.hands_3d[i]))
    w.close()
    dialog = window.export_take(folder)
    qtbot.waitExposed(dialog)
    assert dialog.fingers.isEnabled() and dialog.fingers.isChecked()
    dialog.format.setCurrentIndex(dialog.format.findData("bvh"))
    for on, name in ((True, "with.bvh"), (False, "without.bvh")):
        dialog.fingers.setChecked(on)
        assert dialog.options().fingers is on
        dialog.path.setText(str(tmp_path / name))
        dialog.exported = dialog.last_error = None
        dialog.export_button.click()
        qtbot.waitUntil(lambda: dialog.exported is not None or dialog.last_error is not None,
                        timeout=60_000)
        assert dialog.last_error is None, dialog.last_error
        assert ("LeftHandIndex4" in read_bvh(tmp_path / name).names) is on
    assert window.settings.get("export/fingers", True, bool) is False
    dialog.reject()



def test_import_with_hands_puts_a_detector_swap_right_and_says_so(qtbot, window, takes_root,
                                                                  shared_data):
    """Pose2Sim cam02: the body detector has left and right swapped over frames 41-74;
    imported with View > Track hands, the hands catch it, the take is put right and the
    status bar says how many frames (the count is kept in the take's parameters)."""
    from mocap_app.takes import load_take
    window.hands_action.trigger()
    assert window.config.hands
    clip = shared_data / "video" / "pose2sim" / "cam02.mp4"
    assert window.open_video(clip, refine=False) is True
    qtbot.waitUntil(lambda: window.mode != "import", timeout=180_000)
    result = window.last_import
    assert result is not None and result.frames == 100
    _, meta = load_take(result.take_folder)
    fixed = meta["parameters"]["side_swaps_fixed"]
    assert 30 <= fixed <= 40
    assert f"left/right put right on {fixed} frames" in result.refined_with
    window.hands_action.trigger()
