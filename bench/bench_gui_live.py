"""The live path fed at 30 fps through the GUI worker: does the GUI keep up, and do queues
stay bounded (dropped frames reported, not accumulated)?

Runs the real main window (needs a display: ``xvfb-run -a -s "-screen 0 1600x1000x24"
.venv/bin/python bench/bench_gui_live.py``) with the fake camera (the sample clip played
at its real rate, looped) and, for comparison, the same LiveSession headless. Prints a
table per run:

- capture/processing fps, frames dropped (newest frame wins), GUI redraws;
- latency capture->result, p50/p95, in the first and the last third of the run: a queue
  that grows shows as latency that climbs; a bounded one stays flat;
- results replaced in the GUI's one-slot box before being drawn (the GUI side's drops);
- resident memory after the first third and at the end (flat: nothing accumulates).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import rss_mb  # noqa: E402




def rss_later(seconds: float) -> list:
    """RSS sampled ``seconds`` from now (after warm-up allocations), in a list."""
    out: list = []
    threading.Timer(seconds, lambda: out.append(rss_mb())).start()
    return out


def thirds(values):
    v = np.asarray(values, float) * 1000
    if len(v) < 6:
        return (np.nan,) * 4
    a, c = v[: len(v) // 3], v[-len(v) // 3:]
    return (np.percentile(a, 50), np.percentile(a, 95), np.percentile(c, 50),
            np.percentile(c, 95))


def run_headless(seconds: float, detector: str) -> dict:
    from mocap_app.capture.fake_camera import PacedVideoSource
    from mocap_app.core.paths import sample_clip
    from mocap_app.gui.live_job import ReaderClosedSource
    from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator, live_config
    from mocap_app.pipeline.live import LiveSession
    est = PoseEstimator(live_config(EstimatorConfig(detector=detector)))
    src = ReaderClosedSource(PacedVideoSource(sample_clip(), loop=True))
    session = LiveSession(src, est)
    stop = threading.Event()
    m0 = rss_later(seconds / 3)
    threading.Timer(seconds, stop.set).start()
    t0 = time.monotonic()
    session.run(stop)
    dt = time.monotonic() - t0
    est.close()
    st = session.stats
    return dict(run="headless LiveSession", seconds=dt, captured=st.captured,
                processed=st.processed, dropped=st.dropped, redraws=0, replaced=0,
                lat=thirds(st.latencies), rss=(m0[0], rss_mb()))


def run_gui(seconds: float, detector: str, record: bool) -> dict:
    from PySide6.QtWidgets import QApplication

    from mocap_app.capture.fake_camera import PacedVideoSource
    from mocap_app.core.paths import sample_clip
    tmp = tempfile.mkdtemp(prefix="bench_gui_")
    os.environ["MOCAP_APP_SETTINGS"] = str(Path(tmp) / "settings.ini")
    os.environ["MOCAP_APP_TAKES"] = str(Path(tmp) / "takes")
    app = QApplication.instance() or QApplication([])
    from mocap_app.gui.main_window import MainWindow
    w = MainWindow(detector=detector, probe_cameras=False)
    w.resize(1400, 860)
    w.show()
    m0 = rss_later(seconds / 3)
    w.start_live(lambda: PacedVideoSource(sample_clip(), loop=True), "fake camera 30 fps")
    if record:
        w.toggle_recording(True)
    t0 = time.monotonic()
    gui_stalls = []
    last = time.monotonic()
    while time.monotonic() - t0 < seconds:
        app.processEvents()
        now = time.monotonic()
        gui_stalls.append((now - last, now - t0))
        last = now
        time.sleep(0.002)
    job = w.live_runner.job
    session = job.session
    w.stop_live()
    while w.mode == "live" and time.monotonic() - t0 < seconds + 20:
        app.processEvents()
        time.sleep(0.005)
    dt = time.monotonic() - t0
    st = session.stats
    row = dict(run="GUI worker" + (" + recording" if record else ""), seconds=dt,
               captured=st.captured, processed=st.processed, dropped=st.dropped,
               redraws=w.frames_drawn, replaced=w.live_results.replaced,
               lat=thirds(st.latencies), rss=(m0[0], rss_mb()),
               gui_max_stall_ms=1000 * max(gui_stalls)[0],
               gui_stall_after_2s_ms=1000 * max(d for d, t in gui_stalls if t > 2.0),
               gui_stall_at=max(gui_stalls)[1])
    w.close()
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--detector", default=None, help="detector name (default: the app's)")
    args = ap.parse_args()
    from mocap_app.pipeline.estimator import EstimatorConfig
    detector = args.detector or os.environ.get("MOCAP_DETECTOR") or EstimatorConfig().detector
    rows = [run_headless(args.seconds, detector), run_gui(args.seconds, detector, False),
            run_gui(args.seconds, detector, True)]
    print(f"\nlive path, fake camera at 30 fps (sample clip looped), detector={detector}, "
          f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}")
    head = (f"{'run':26} {'sec':>5} {'capt':>5} {'proc':>5} {'proc fps':>8} {'dropped':>7} "
            f"{'redraws':>7} {'gui repl':>8} {'lat p50/p95 first 1/3':>22} "
            f"{'lat p50/p95 last 1/3':>21} {'RSS MB 1/3->end':>18} {'GUI event-loop max stall':>24}")
    print(head)
    print("-" * len(head))
    for r in rows:
        a50, a95, c50, c95 = r["lat"]
        stall = (f"{r['gui_max_stall_ms']:.0f} ms @{r['gui_stall_at']:.1f}s, "
                 f"{r['gui_stall_after_2s_ms']:.0f} ms after 2 s"
                 if "gui_max_stall_ms" in r else "-")
        print(f"{r['run']:26} {r['seconds']:5.1f} {r['captured']:5d} {r['processed']:5d} "
              f"{r['processed'] / r['seconds']:8.1f} {r['dropped']:7d} {r['redraws']:7d} "
              f"{r['replaced']:8d} {a50:9.0f}/{a95:5.0f} ms {c50:9.0f}/{c95:5.0f} ms "
              f"{r['rss'][0]:8.0f}->{r['rss'][1]:<6.0f} {stall:>24}")
    print("\ncaptured = processed + dropped (+ at most 1 in the slot): frames the pipeline "
          "could not keep up with are dropped and counted, never queued; flat latency "
          "between the first and last third means no queue grows.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
