"""Which lifter and detector settings live and offline estimators get."""
import os

import numpy as np
import pytest

from mocap_app.lift.inference import FLIP_AVERAGE
from mocap_app.pipeline.estimator import (LIVE_FLIP_AVERAGE, MAX_DETECTOR_THREADS,
                                          EstimatorConfig, PoseEstimator, live_config,
                                          offline_config, offline_detector_threads)


def test_live_sessions_lift_in_one_pass_and_imports_use_the_lifter_default():
    assert live_config(EstimatorConfig()).flip_average is LIVE_FLIP_AVERAGE is False
    # an explicit choice is kept
    assert live_config(EstimatorConfig(flip_average=True)).flip_average is True
    live = PoseEstimator(live_config(EstimatorConfig()), detector=object())
    offline = PoseEstimator(EstimatorConfig(), detector=object())
    assert live.lifter.flip_average is False
    assert offline.lifter.flip_average is FLIP_AVERAGE is True


# -- the body detector's threads -------------------------------------------------------


@pytest.mark.parametrize("cores, hands, want", [(1, False, 1), (2, False, 2), (2, True, 1),
                                                (4, True, 3), (64, False, MAX_DETECTOR_THREADS)])
def test_a_whole_file_gets_the_cores_the_hands_thread_leaves(monkeypatch, cores, hands, want):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert offline_detector_threads(hand_thread=hands) == want
    cfg = offline_config(EstimatorConfig(hands=hands))
    assert bool(cfg.hand_thread) is (hands and cores >= 2)
    assert cfg.detector_threads == offline_detector_threads(bool(cfg.hand_thread))


def test_live_and_chosen_thread_counts_are_kept(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert live_config(EstimatorConfig()).detector_threads is None      # live: 1, shared
    assert offline_config(EstimatorConfig(detector_threads=1)).detector_threads == 1
    assert offline_config(EstimatorConfig(detector_threads=3)).detector_threads == 3


@pytest.mark.parametrize("bad", [0, -1, MAX_DETECTOR_THREADS + 1, 1.5, True, "2"])
def test_a_wrong_thread_count_is_refused_naming_the_range(bad):
    with pytest.raises(ValueError, match=f"1..{MAX_DETECTOR_THREADS}"):
        EstimatorConfig(detector_threads=bad)


def test_the_estimator_builds_its_detector_with_the_threads_asked(monkeypatch):
    made = []

    def factory(kind, **opts):
        made.append((kind, opts))
        return object()
    monkeypatch.setattr("mocap_app.detect.make_detector", factory)
    PoseEstimator(EstimatorConfig(lifter="none", detector_threads=2))
    PoseEstimator(EstimatorConfig(lifter="none"))
    PoseEstimator(EstimatorConfig(lifter="none", detector="mediapipe", detector_threads=2))
    assert made == [("blazepose", {"num_threads": 2}), ("blazepose", {}), ("mediapipe", {})]


def test_more_detector_threads_give_the_same_poses():
    """LiteRT splits each layer's work between the threads: the landmarks and the world
    landmarks of real frames are the same as with one thread."""
    from mocap_app.capture.video import VideoFileSource
    from mocap_app.core.paths import sample_clip
    from mocap_app.detect.blazepose import BlazePoseDetector
    src = VideoFileSource(sample_clip())
    frames = [f.image for _, f in zip(range(24), src)]
    src.close()
    runs = []
    for threads in (1, 2):
        det = BlazePoseDetector(num_threads=threads)
        found = [det.detect(im, i / 30.0) for i, im in enumerate(frames)]
        assert all(d is not None for d in found)
        runs.append((np.array([d.landmarks_2d for d in found]),
                     np.array([d.app_world_joints() for d in found])))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
