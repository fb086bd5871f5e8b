"""A recording app to be killed: records the fake camera (the bundled clip, looped, at its
real rate) through LiveSession into TAKES_ROOT/take, printing "<frame> <monotonic>" for
every frame it has written. Used by test_faults.py, which sends it SIGKILL."""
import sys
import threading
import time
from pathlib import Path

from mocap_app.capture.fake_camera import PacedVideoSource
from mocap_app.core.paths import sample_clip
from mocap_app.pipeline.estimator import PoseEstimator
from mocap_app.pipeline.live import LiveSession


def main(root: Path) -> None:
    source = PacedVideoSource(sample_clip(), loop=True)
    estimator = PoseEstimator()

    def show(result) -> None:
        if result.recording:
            print(result.frame.index, time.monotonic(), flush=True)

    session = LiveSession(source, estimator, on_result=show)
    session.start_recording(root / "take", parameters={"why": "SIGKILL test"})
    print("recording", flush=True)
    session.run(threading.Event())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
