"""``process_video`` with the camera tilt found from the take (the offline default) lifts
the take once, after finding the tilt: the same poses as lifting every frame level while
reading and the take again at the tilt found, without the per-frame lifts."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from mocap_app.core.paths import sample_clip
from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator
from mocap_app.pipeline.offline import process_video
from tests.conftest import write_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """The sample clip's first 50 frames (a person in every one)."""
    cap = cv2.VideoCapture(str(sample_clip()))
    frames = []
    while len(frames) < 50:
        ok, img = cap.read()
        assert ok
        frames.append(img)
    cap.release()
    return write_video(tmp_path_factory.mktemp("clip") / "walk50.mp4", frames)


class _Counting:
    """The estimator's lifter, counting the frames it lifts."""

    def __init__(self, lifter):
        self._lifter, self.frames = lifter, 0

    def lift(self, keypoints_2d, *a, **k):
        self.frames += 1 if np.ndim(keypoints_2d) == 2 else len(keypoints_2d)
        return self._lifter.lift(keypoints_2d, *a, **k)

    def lift_joints(self, keypoints_2d, *a, **k):
        """The take lifted in pieces: counted once (not again through ``lift``)."""
        self.frames += len(keypoints_2d)
        return self._lifter.lift_joints(keypoints_2d, *a, **k)

    def __getattr__(self, name):
        return getattr(self._lifter, name)

    def __setattr__(self, name, value):
        if name in ("_lifter", "frames"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._lifter, name, value)


class _Eager:
    """An estimator that cannot wait to lift (no ``lifting_later``): every frame is
    lifted level as it is read, the take lifted again at the tilt found."""

    def __init__(self, estimator):
        self._estimator = estimator

    def estimate(self, image, index, timestamp):
        return self._estimator.estimate(image, index, timestamp)

    @property
    def lifter(self):
        return self._estimator.lifter

    @property
    def uses_lifter(self):
        return self._estimator.uses_lifter


def test_the_take_is_lifted_once_at_the_tilt_found(clip):
    config = EstimatorConfig()
    assert config.auto_tilt
    once = PoseEstimator(config)
    once.lifter = _Counting(once.lifter)
    eager = PoseEstimator(config)
    eager.lifter = _Counting(eager.lifter)
    try:
        read = []       # frames lifted so far, at each frame read
        a = process_video(clip, config, estimator=once,
                          progress=lambda p: read.append(once.lifter.frames))
        b = process_video(clip, config, estimator=_Eager(eager))
    finally:
        once.close()
        eager.close()
    assert a.frames == b.frames == 50 and a.frames_with_person == b.frames_with_person
    assert a.info["tilt_found"] == b.info["tilt_found"]
    np.testing.assert_array_equal(a.raw.valid, b.raw.valid)
    np.testing.assert_allclose(a.raw.joints_3d, b.raw.joints_3d, atol=1e-5)
    assert np.isfinite(a.raw.joints_3d[a.raw.valid]).all()
    # one lift of the take (the tilt search judges its frames by ``flip_disagreement``);
    # the eager estimator lifted each frame once more while reading
    assert read == [0] * 50 and once.lifter.frames == a.frames_with_person == 50
    assert eager.lifter.frames >= 50 + once.lifter.frames * (a.info["tilt_deg"] != 0)
    assert once.lift_later is False                 # the estimator is left as it was


def test_a_take_with_its_tilt_given_is_lifted_as_it_is_read(clip):
    config = EstimatorConfig(auto_tilt=False, tilt_deg=-4.0)
    est = PoseEstimator(config)
    est.lifter = _Counting(est.lifter)
    try:
        with est.lifting_later() as later:
            assert later and est.lift_later
        assert not est.lift_later
        res = process_video(clip, config, estimator=est)
    finally:
        est.close()
    assert est.lifter.frames == res.frames_with_person == 50 and "tilt_found" not in res.info
