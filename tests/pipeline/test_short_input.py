"""When is a file short: known answers of the threshold, and the message's figures."""
from mocap_app.pipeline.offline import ShortInput, short_input


def test_a_few_missing_frames_are_not_short_but_clearly_fewer_are():
    assert short_input(230, 230, 7.6) is None
    assert short_input(224, 230, 7.5) is None          # 6 of 230 = 2.6 % missing
    assert short_input(223, 230, 7.4) == ShortInput(223, 230, 7.4)   # 7 = 3.04 %
    assert short_input(7, 10, 0.3) == ShortInput(7, 10, 0.3)         # 3 > 2 frames
    assert short_input(8, 10, 0.3) is None             # 2 frames: container estimates
    assert short_input(5, None, 0.2) is None           # no declared count: nothing to say
    assert short_input(5, 0, 0.2) is None


def test_the_message_names_frames_and_time():
    assert ShortInput(120, 230, 4.0).message("a.mp4") == (
        "a.mp4 ended early: 120 of 230 frames decoded, decoding stopped at 4.00 s; the "
        "frames that decoded were kept")
    assert "1:23.25 (83.25 s)" in ShortInput(2497, 9000, 83.25).message("b.mov")
    assert ShortInput(1, 230, 0.0333).as_dict() == {
        "frames_read": 1, "frames_declared": 230, "stopped_at_s": 0.033}
