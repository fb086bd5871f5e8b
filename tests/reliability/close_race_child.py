"""Stops live sources while their capture thread decodes, many times over, the way a
live session stops them. Exits 0 if the process survives (FFmpeg used to abort it)."""
import random
import sys
import threading
import time

from mocap_app.capture.fake_camera import PacedVideoSource
from mocap_app.capture.video import VideoFileSource
from mocap_app.core.paths import sample_clip


def drain(source, counts):
    n = 0
    for _ in source:
        n += 1
    counts.append(n)


def main(rounds: int) -> None:
    rng = random.Random(0)
    counts: list[int] = []
    for k in range(rounds):
        source = (PacedVideoSource(sample_clip(), loop=True, speed=20.0) if k % 2 else
                  VideoFileSource(sample_clip()))
        reader = threading.Thread(target=drain, args=(source, counts))
        reader.start()
        time.sleep(rng.uniform(0.02, 0.3))
        source.close()
        reader.join(10)
        assert not reader.is_alive(), "the reader did not stop after close()"
    print("survived", rounds, "frames per round:", counts, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
