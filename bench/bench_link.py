"""Latency of the live link (issue 20): from a pose leaving the app to the armature in
Blender updated with it, and what the sending costs the app.

    .venv/bin/python bench/bench_link.py [--frames 300] [--fps 30]

A take is streamed over loopback at its frame rate (``LinkSender``) twice, in the same
run:
- to the add-on in real Blender (bpy in a child process, the same child as
  tests/link/test_blender_addon.py): the add-on's timer is driven as Blender's event loop
  drives it (call, sleep the interval it asks for); a pose's latency is the wall clock
  from its ``sent`` stamp to the armature posed and the depsgraph evaluated
  (``view_layer.update``);
- the reference: the same datagrams read by a plain blocking socket in a Python child
  without Blender, decoded with the same ``wire.decode_pose``. Its median is the floor
  that any receiver pays (process wake-up, loopback, decoding); the ratio column says
  what the add-on adds (mostly the timer's period: a pose waits up to one tick).

Also timed, in this process: the sender's own work per live pose (``LiveRetargeter``
retargeting, encoding, sending) and per VMC bundle, each against the same reference.

``--live S`` (default 8; 0 skips it) adds what streaming costs the live pipeline: the
sample clip played as a camera through ``LiveSession`` (lifter and causal refiner as the
app runs them) for S seconds with the Stream toggle's ``LiveStreamer`` off, on, off, on
(interleaved, so both see the same machine); processing fps, capture-to-pose latency and
the CPU time per processed frame of the live thread and of the whole process (CPU
clocks, so other jobs on the machine do not count), the "on" rows as ratios to the "off"
ones.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFERENCE_CHILD = r"""
import json, socket, sys, time
from mocap_app.link.blender_addon.wire import decode_pose
port, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(20)
print("READY", flush=True)
lat = []
try:
    for _ in range(n):
        data = s.recv(4096)
        lat.append(time.time() - decode_pose(data).sent)
except socket.timeout:
    pass
open(out, "w").write(json.dumps(lat))
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(child: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if "READY" in line:
            return
        if not line and child.poll() is not None:
            raise SystemExit(f"{what} child died: {child.stderr.read()[-2000:]}")
    raise SystemExit(f"{what} child never became ready")


def _stream(frames, port: int) -> None:
    from mocap_app.link import LinkSender, StreamSettings
    sender = LinkSender(StreamSettings(port=port))
    t0 = time.monotonic()
    for f in frames:
        delay = t0 + f.timestamp - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sender.send(f)
    sender.close()


def _ms(values) -> tuple[float, float, float]:
    a = np.asarray(values) * 1000.0
    return float(np.median(a)), float(np.percentile(a, 95)), float(a.max())


def _median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frames", type=int, default=300, help="poses streamed (default 300)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--live", type=float, default=8.0,
                   help="seconds per live run, streaming off/on/off/on (0: skip)")
    args = p.parse_args(argv)
    from mocap_app.export import export_sequence
    from mocap_app.link import LiveRetargeter, LinkSender, StreamSettings, take_frames
    from mocap_app.link.addon_zip import write_addon_zip
    from tests.export.puppet import puppet_sequence

    take = puppet_sequence(args.frames, fps=args.fps, turns=1.0)
    frames = take_frames(take)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench_link_") as tmp:
        tmp = Path(tmp)
        # -- the reference: a plain blocking socket, no Blender
        port = _free_port()
        child = subprocess.Popen([sys.executable, "-c", REFERENCE_CHILD, str(port),
                                  str(len(frames)), str(tmp / "ref.json")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env)
        _wait_ready(child, "reference")
        _stream(frames, port)
        child.wait(timeout=60)
        ref = json.loads((tmp / "ref.json").read_text())
        # -- the add-on in Blender
        bvh = export_sequence(take, tmp / "take.bvh")
        port = _free_port()
        request = {"zip": str(write_addon_zip(tmp / "mocap_link.zip")), "bvh": str(bvh),
                   "port": port, "scene_fps": int(round(args.fps)), "expect": len(frames),
                   "timeout": 60 + len(frames) / args.fps, "frames": [1],
                   "aposed_scale": 1.0, "aposed_arm_down": 0.0,
                   "result": str(tmp / "result.json")}
        (tmp / "request.json").write_text(json.dumps(request))
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "link" / "blender_link_child.py"),
             str(tmp / "request.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=dict(env, BLENDER_USER_RESOURCES=str(tmp / "blender_user")),
            cwd=tmp)
        _wait_ready(child, "Blender")
        _stream(frames, port)
        child.wait(timeout=120)
        result = json.loads((tmp / "result.json").read_text())

    # -- the sender's own work per pose, in this process
    lr = LiveRetargeter()
    for k in range(60):
        lr.frame(take.joints_3d[k], take.timestamps[k])
    tx = LinkSender(StreamSettings(port=_free_port()))
    k = [60]

    def live_pose():
        i = k[0] % len(take)
        k[0] += 1
        tx.send(lr.frame(take.joints_3d[i], 1000.0 + k[0]))
    send_ms = _median_ms(live_pose, 200)
    tx.close()
    from mocap_app.link.vmc import VmcSender
    vx = VmcSender(StreamSettings(target="vmc", port=_free_port()))
    j = [0]

    def vmc_pose():
        j[0] += 1
        f = frames[j[0] % len(frames)]
        vx._last_timestamp = None
        vx.send(f)
    vmc_ms = _median_ms(vmc_pose, 200)
    vx.close()

    ref_med, ref_p95, ref_max = _ms(ref)
    lat_med, lat_p95, lat_max = _ms(result["latencies"])
    st = result["stats"]
    print(f"# bench_link  ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load "
          f"average {os.getloadavg()[0]:.2f} at the end; {len(frames)} poses at "
          f"{args.fps:g} fps over loopback)\n")
    print(f"Blender received {st['accepted']} of {len(frames)} poses ({st['dropped']} "
          f"dropped); the reference {len(ref)}. Longest add-on tick "
          f"{result['longest_tick'] * 1000:.2f} ms; timer period "
          f"{1000 / 120:.1f} ms.\n")
    print("| measure | median ms | p95 ms | max ms | median / reference |")
    print("|---|---|---|---|---|")
    print(f"| reference: datagram sent -> decoded by a blocking Python socket (no Blender) | "
          f"{ref_med:.3f} | {ref_p95:.3f} | {ref_max:.3f} | 1.00 |")
    print(f"| pose sent -> armature posed and evaluated in Blender (add-on timer) | "
          f"{lat_med:.3f} | {lat_p95:.3f} | {lat_max:.3f} | {lat_med / ref_med:.1f} |")
    ap_med, ap_p95, ap_max = _ms(result["apply_seconds"])
    print(f"| of which: posing the armature and evaluating it (add-on, per tick) | "
          f"{ap_med:.3f} | {ap_p95:.3f} | {ap_max:.3f} | {ap_med / ref_med:.1f} |")
    print(f"| app: one live pose retargeted, encoded and sent (LiveRetargeter, link thread) | "
          f"{send_ms:.3f} | | | {send_ms / ref_med:.1f} |")
    print(f"| app: one VMC bundle built and sent (python-osc) | {vmc_ms:.3f} | | | "
          f"{vmc_ms / ref_med:.1f} |")
    if args.live > 0:
        _live_table(args.live)
    return 0


def _live_run(seconds: float, stream: bool) -> dict:
    import threading
    from mocap_app.capture.fake_camera import PacedVideoSource
    from mocap_app.core.paths import sample_clip
    from mocap_app.link import LiveStreamer, StreamSettings
    from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator, live_config
    from mocap_app.pipeline.live import LiveSession
    from mocap_app.pipeline.refine import LiveRefiner
    est = PoseEstimator(live_config(EstimatorConfig()))
    streamer = LiveStreamer(StreamSettings(port=_free_port())) if stream else None
    work: list[float] = []      # the live thread's CPU seconds per frame (its own clock,
    #                             so other jobs on the machine do not count)

    class Timed(LiveSession):
        def _process(self, frame, arrived):
            t = time.thread_time()
            super()._process(frame, arrived)
            work.append(time.thread_time() - t)
    session = Timed(PacedVideoSource(sample_clip(), loop=True), est,
                    on_result=streamer.send_result if streamer else None,
                    refiner=LiveRefiner())
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    t0, cpu0 = time.monotonic(), time.process_time()
    session.run(stop)
    wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    est.close()
    sent = 0
    if streamer is not None:
        streamer.flush()
        streamer.close()
        sent = streamer.stats.sent
    st = session.stats
    lat = np.asarray(st.latencies[10:]) * 1000.0
    return {"fps": st.processed / wall, "dropped": st.dropped, "sent": sent,
            "cpu": 1000.0 * cpu / max(st.processed, 1),
            "lat_med": float(np.median(lat)), "lat_p95": float(np.percentile(lat, 95)),
            "work": 1000.0 * float(np.mean(work[10:]))}


def _live_table(seconds: float) -> None:
    runs = {False: [], True: []}
    order = []
    for stream in (False, True, False, True):
        runs[stream].append(_live_run(seconds, stream))
        order.append(f"{'on' if stream else 'off'} {runs[stream][-1]['work']:.1f}")

    def mean(stream, key):
        return float(np.mean([r[key] for r in runs[stream]]))
    print(f"\n### Streaming's cost to the live pipeline (sample clip as a camera, "
          f"{seconds:g} s x 2 per row, interleaved)\n")
    print("| streaming | processing fps | camera frames dropped | poses sent | latency "
          "median ms | latency p95 ms | live thread CPU ms per frame | / off | process CPU "
          "ms per frame | / off |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    off_work, off_cpu = mean(False, "work"), mean(False, "cpu")
    for stream in (False, True):
        print(f"| {'on' if stream else 'off'} | {mean(stream, 'fps'):.1f} | "
              f"{sum(r['dropped'] for r in runs[stream])} | "
              f"{sum(r['sent'] for r in runs[stream])} | {mean(stream, 'lat_med'):.1f} | "
              f"{mean(stream, 'lat_p95'):.1f} | {mean(stream, 'work'):.2f} | "
              f"{mean(stream, 'work') / off_work:.2f} | {mean(stream, 'cpu'):.2f} | "
              f"{mean(stream, 'cpu') / off_cpu:.2f} |")
    print(f"\nLive thread CPU ms per frame, run by run in order: {', '.join(order)}. "
          f"Process CPU includes the capture thread's decoding and the link thread.")


if __name__ == "__main__":
    sys.exit(main())
