"""Choosing and keeping a subject among several people, frame by frame, against
positions checked by eye (torso centre = mean of shoulders and hips, pixels; frames were
saved with the tracked skeleton drawn and looked at, every 4th to 12th frame).

Between two checked frames the expected position is interpolated; a frame where the
tracker returns a pose must lie within the tolerance of it. Gaps in a table are stretches
where the person is hidden or the checks were ambiguous: no position is asserted there.
"""
from pathlib import Path

import cv2
import numpy as np
import pytest

from mocap_app.detect.blazepose import BlazePoseDetector
from mocap_app.detect.subject import TrackStatus

TORSO = [11, 12, 23, 24]

# sports2d_walk.mp4 (1768x994): a man on a box (jumps down at ~165-185, crawls away to the
# right), a woman who walks in from the right at ~48 and leaves on the left at ~200.
WALK_MAN = [[(0, 656, 214), (10, 648, 214), (20, 639, 209), (30, 636, 190), (40, 641, 215),
             (50, 639, 170), (60, 634, 236), (70, 634, 175), (80, 637, 232), (90, 646, 190),
             (100, 651, 205), (110, 671, 208), (120, 726, 208), (130, 754, 204),
             (140, 776, 202), (150, 794, 207), (160, 815, 274), (170, 857, 235)],
            [(190, 1054, 646), (200, 1144, 774), (210, 1306, 692), (220, 1465, 665)]]
WALK_WOMAN = [[(60, 1419, 683), (70, 1317, 669), (80, 1233, 672), (90, 1130, 663),
               (100, 1037, 665), (110, 934, 656), (120, 831, 662), (130, 740, 650),
               (140, 633, 656), (150, 539, 654), (160, 421, 660), (170, 331, 672),
               (180, 218, 670), (190, 116, 671)]]
# multi/mmaction2_basketball.mp4 (426x240): a boy in blue and a girl in white; he runs to
# her at ~140 and is hidden behind her until ~170, then stands right of her.
BALL_BOY = [[(0, 246, 152), (12, 265, 164), (24, 302, 173), (36, 331, 175), (48, 347, 175),
             (60, 344, 171), (72, 336, 157), (84, 334, 158), (96, 327, 156),
             (108, 301, 149), (120, 266, 144), (132, 254, 140), (144, 227, 124)],
            [(228, 290, 134), (240, 311, 135), (252, 314, 128), (264, 310, 133),
             (276, 257, 139)]]
BALL_GIRL = [[(0, 98, 162), (12, 94, 162), (24, 101, 164), (36, 107, 168), (48, 116, 173),
              (60, 139, 160), (72, 172, 149), (84, 203, 155), (96, 211, 142),
              (120, 160, 139), (144, 175, 126), (156, 191, 136), (168, 191, 136),
              (180, 197, 138), (192, 198, 136), (204, 190, 136), (216, 195, 131),
              (228, 187, 136), (240, 195, 142), (252, 195, 129), (264, 168, 140)]]
# multi/mmhuman3d_multi.mp4 (1080x1920, 40 frames): a man on the left (partly out of
# frame), a woman on the right; they shake hands at the end.
MM_WOMAN = [[(0, 934, 745), (4, 921, 734), (8, 876, 734), (12, 823, 726), (16, 813, 714),
             (20, 812, 720), (24, 813, 719), (28, 815, 726), (32, 816, 732), (36, 821, 731)]]
MM_MAN = [[(0, 151, 721), (4, 152, 751), (8, 149, 777), (12, 147, 776), (16, 138, 748),
           (20, 145, 701), (24, 177, 676), (28, 223, 677), (32, 260, 677), (36, 279, 676)]]


def expected(table, i):
    """The interpolated checked position at frame i, or None outside the table's runs."""
    for run in table:
        f = np.array([r[0] for r in run])
        if f[0] <= i <= f[-1]:
            return np.array([np.interp(i, f, [r[1] for r in run]),
                             np.interp(i, f, [r[2] for r in run])])
    return None


def run_clip(video: Path, detector: BlazePoseDetector, select_at: int | None = None,
             choice=None, fps: float = 30.0):
    """(positions, statuses) per frame; position None when no pose was returned."""
    cap = cv2.VideoCapture(str(video))
    assert cap.isOpened(), f"cannot open {video}"
    positions, statuses, i = [], [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i == select_at:
            detector.select_subject(choice)
        d = detector.detect(frame, i / fps)
        positions.append(None if d is None else d.landmarks_2d[TORSO].mean(axis=0))
        statuses.append(detector.status)
        i += 1
    return positions, statuses


def check_track(positions, table, tol, min_found, other=None, start=0, stop=None):
    """Every returned pose near the subject's checked position (and never nearer the
    other person's); at least ``min_found`` of the checked frames found."""
    checked = found = 0
    for i, p in enumerate(positions[:stop]):
        if i < start:
            continue
        want = expected(table, i)
        if want is None:
            continue
        checked += 1
        if p is None:
            continue
        found += 1
        assert np.linalg.norm(p - want) < tol, f"frame {i}: at {p.round()}, subject at {want}"
        if other is not None and (o := expected(other, i)) is not None:
            assert np.linalg.norm(p - want) < np.linalg.norm(p - o), f"frame {i}: switched"
    assert found >= min_found * checked, f"found {found} of {checked} checked frames"


@pytest.fixture(scope="module")
def walk(shared_data):
    path = shared_data / "video" / "sports2d_walk.mp4"
    assert path.is_file(), path
    return path


def test_walk_keeps_the_man_while_the_woman_walks_past(walk):
    det = BlazePoseDetector(subject="largest")
    positions, statuses = run_clip(walk, det)
    check_track(positions, WALK_MAN, tol=120, min_found=0.9, other=WALK_WOMAN)
    assert statuses[0] == TrackStatus.ACQUIRED
    assert TrackStatus.REACQUIRED in statuses       # lost in the jump, found again
    assert positions[229] is None                   # he has crawled out of the frame


def test_walk_follows_the_woman_when_she_is_clicked(walk):
    det = BlazePoseDetector(subject="largest")
    positions, statuses = run_clip(walk, det, select_at=60, choice=(1400.0, 730.0))
    check_track(positions, WALK_MAN, tol=120, min_found=0.95, other=WALK_WOMAN, stop=60)
    check_track(positions, WALK_WOMAN, tol=120, min_found=0.95, other=WALK_MAN, start=60)
    assert statuses[60] == TrackStatus.ACQUIRED
    # she leaves on the left: lost, and the man is not taken instead
    assert all(p is None for p in positions[205:])
    assert statuses[-1] == TrackStatus.LOST


def test_basketball_keeps_the_boy_through_the_occlusion(shared_data):
    det = BlazePoseDetector()
    positions, statuses = run_clip(shared_data / "video" / "multi" / "mmaction2_basketball.mp4",
                                   det, select_at=0, choice=(200.0, 150.0))
    check_track(positions, BALL_BOY, tol=30, min_found=0.85, other=BALL_GIRL)
    assert TrackStatus.LOST in statuses[145:228] and TrackStatus.REACQUIRED in statuses[145:230]


def test_basketball_follows_the_girl_when_she_is_clicked(shared_data):
    det = BlazePoseDetector()
    positions, _ = run_clip(shared_data / "video" / "multi" / "mmaction2_basketball.mp4",
                            det, select_at=0, choice=(99.0, 171.0))
    check_track(positions, BALL_GIRL, tol=30, min_found=0.85, other=BALL_BOY)


@pytest.mark.parametrize("choice, table, other", [((930.0, 880.0), MM_WOMAN, MM_MAN),
                                                  ((143.0, 891.0), MM_MAN, MM_WOMAN)])
def test_two_people_either_one_can_be_chosen(shared_data, choice, table, other):
    det = BlazePoseDetector(subject=choice)
    positions, statuses = run_clip(shared_data / "video" / "multi" / "mmhuman3d_multi.mp4",
                                   det, fps=12.0)
    check_track(positions, table, tol=100, min_found=1.0, other=other)
    assert det.detector_runs <= 2        # tracking mode: the detector ran only to choose


def test_detect_people_lists_everyone_once(shared_data):
    video = shared_data / "video" / "multi" / "mmhuman3d_multi.mp4"
    cap = cv2.VideoCapture(str(video))
    ok, frame = cap.read()
    assert ok
    det = BlazePoseDetector()
    people = det.detect_people(frame)
    assert len(people) == 2, [(p.center, p.radius) for p in people]
    xs = sorted(p.center[0] for p in people)
    assert xs[0] < 400 < 700 < xs[1]
    # the click picks the person under it, whatever the rule
    det.select_subject(people[1] if people[1].center[0] < 400 else people[0])
    d = det.detect(frame)
    assert d is not None and d.landmarks_2d[TORSO].mean(axis=0)[0] < 400


def test_central_and_largest_rules(shared_data):
    cap = cv2.VideoCapture(str(shared_data / "video" / "multi" / "mmaction2_basketball.mp4"))
    ok, frame = cap.read()
    assert ok
    central = BlazePoseDetector(subject="central").detect(frame)
    largest = BlazePoseDetector(subject="largest").detect(frame)
    # frame 0: the girl (left, nearer the camera) is larger; the boy is nearer the centre
    assert np.linalg.norm(central.landmarks_2d[TORSO].mean(0) - [246, 152]) < 30
    assert np.linalg.norm(largest.landmarks_2d[TORSO].mean(0) - [98, 162]) < 30


def test_tiles_find_the_small_man_the_whole_frame_misses(walk):
    """sports2d frame 0: the man on the box (~330 px of 994) is missed by the whole-frame
    pass (as by the legacy solution, which finds nobody until frame ~50 in static mode);
    the tiles find him. Frame 229 is empty: the detector's false alarm there (score 0.68)
    is dropped by the landmark check. Frame 100: both people, once each."""
    frames = {}
    cap = cv2.VideoCapture(str(walk))
    for i in range(230):
        ok, frame = cap.read()
        assert ok
        if i in (0, 100, 229):
            frames[i] = frame
    det = BlazePoseDetector()
    assert det.detect_people(frames[0], tiles=False) == []
    people = det.detect_people(frames[0])
    assert len(people) == 1 and np.linalg.norm(people[0].center - [649, 297]) < 60
    assert det.detect_people(frames[229]) == []
    assert len(det.detect_people(frames[229], verify=False)) == 1
    centres = sorted(p.center[0] for p in det.detect_people(frames[100]))
    assert len(centres) == 2 and abs(centres[0] - 649) < 60 and abs(centres[1] - 1035) < 60
