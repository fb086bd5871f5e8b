"""Which lifter settings live and offline estimators get."""
from mocap_app.lift.inference import FLIP_AVERAGE
from mocap_app.pipeline.estimator import (LIVE_FLIP_AVERAGE, EstimatorConfig, PoseEstimator,
                                          live_config)


def test_live_sessions_lift_in_one_pass_and_imports_use_the_lifter_default():
    assert live_config(EstimatorConfig()).flip_average is LIVE_FLIP_AVERAGE is False
    # an explicit choice is kept
    assert live_config(EstimatorConfig(flip_average=True)).flip_average is True
    live = PoseEstimator(live_config(EstimatorConfig()), detector=object())
    offline = PoseEstimator(EstimatorConfig(), detector=object())
    assert live.lifter.flip_average is False
    assert offline.lifter.flip_average is FLIP_AVERAGE is True
