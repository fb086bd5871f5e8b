"""Light worker functions for mocap_train.render.shards.run in tests (imported by the
spawned workers, so they live in a module of their own). Each try of a shard appends a
line to ``<out>/<name>.tries``; shard 1 takes its worker down on its first try, shard 2
on every try (as a native crash would: the process ends at once)."""
import os
import time
from pathlib import Path


def no_world() -> None:
    pass


def crashing_job(job):
    spec, out_dir, _keep = job
    tries = Path(out_dir) / f"{spec.name}.tries"
    with open(tries, "a", encoding="utf-8") as f:
        f.write("try\n")
    n = len(tries.read_text().splitlines())
    if spec.index == 2 or (spec.index == 1 and n == 1):
        os._exit(11)
    time.sleep(0.05)
    return {"name": spec.name, "frames": 10 + spec.index, "found": 5}, 0.05
