"""``mocap stream``: the live link from the command line (the GUI's Stream toggle), and
``mocap blender-addon``: the add-on zip that receives it. docs/LINK.md.

    mocap stream --camera N | VIDEO | --take TAKE  --to blender|vmc [--port P]
                 [--host ADDRESS --allow-remote] [--seconds S]
    mocap blender-addon -o mocap_link.zip
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from ..core.errors import EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE, UserError
from ..lift.tilt import AUTO, MAX_TILT_DEG, tilt_setting


def add_stream_commands(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``mocap stream`` and ``mocap blender-addon``."""
    from ..link.settings import DEFAULT_PORTS, TARGETS  # noqa: PLC0415
    p = sub.add_parser("stream", parents=parents,
                       help="stream live poses to the Blender add-on or a VMC receiver")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("video", nargs="?", help="a video file, played at its own frame rate "
                                              "as if it were a camera")
    src.add_argument("--camera", type=int, metavar="N", help="webcam number (0, 1, ...)")
    src.add_argument("--take", metavar="TAKE", help="a recorded take folder, replayed at "
                                                     "its own timing")
    p.add_argument("--to", choices=TARGETS, default="blender", dest="target",
                   help="receiver: the Blender add-on (mocap blender-addon) or any VMC "
                        "receiver (default: %(default)s)")
    p.add_argument("--port", type=int, default=None,
                   help="UDP port 1..65535 (default: " +
                        ", ".join(f"{t} {n}" for t, n in DEFAULT_PORTS.items()) + ")")
    p.add_argument("--host", default="127.0.0.1",
                   help="receiver's address (default: %(default)s, this computer); any "
                        "other needs --allow-remote")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a non-loopback --host (the stream is unauthenticated)")
    p.add_argument("--seconds", type=float, default=None,
                   help="stop after this many seconds (default: until the source ends "
                        "or Ctrl+C)")
    p.add_argument("--detector", default=os.environ.get("MOCAP_DETECTOR", "blazepose"),
                   help="person detector (default: %(default)s)")
    p.add_argument("--lifter", default="auto",
                   help="'auto' (shipped lifter if present), 'none' or a path")
    p.add_argument("--no-refine", action="store_true", help="no causal refiner")
    p.add_argument("--tilt", default="0",
                   help="how far the world's vertical leans in the camera's picture, degrees "
                        "clockwise, -90..90 (a rolled camera: the body is lifted from the "
                        "picture levelled; default: %(default)s). A live stream cannot find "
                        "it by itself: mocap process reports it for a clip from the camera")
    p.set_defaults(func=cmd_stream)

    a = sub.add_parser("blender-addon", parents=parents,
                       help="write the Blender add-on (zip) that receives mocap stream")
    a.add_argument("-o", "--output", default="mocap_link.zip",
                   help="zip to write (default: %(default)s)")
    a.set_defaults(func=cmd_blender_addon)


def cmd_blender_addon(args) -> int:
    from ..link.addon_zip import write_addon_zip  # noqa: PLC0415
    out = Path(args.output)
    if not out.resolve().parent.is_dir():
        raise UserError(f"output folder does not exist: {out.resolve().parent}", EXIT_OUTPUT)
    try:
        write_addon_zip(out)
    except OSError as exc:
        raise UserError(f"could not write {out}: {exc.strerror or exc}", EXIT_OUTPUT) from None
    print(f"wrote {out}: in Blender 4.2+, Edit > Preferences > Get Extensions > Install "
          f"from Disk (or Add-ons > Install), then 3D View > Sidebar > Mocap Link")
    return 0


def stream_settings(args):
    from ..link.settings import StreamSettings  # noqa: PLC0415
    try:
        settings = StreamSettings(args.target, args.port, args.host, args.allow_remote)
    except ValueError as exc:
        raise UserError(str(exc), EXIT_USAGE) from None
    if args.seconds is not None and not args.seconds > 0:
        raise UserError(f"--seconds must be positive, got {args.seconds}", EXIT_USAGE)
    try:
        tilt = tilt_setting(args.tilt)
    except ValueError:
        raise UserError(f"--tilt must be -{MAX_TILT_DEG:g}..{MAX_TILT_DEG:g} degrees, got "
                        f"{args.tilt!r}", EXIT_USAGE) from None
    if tilt == AUTO:
        raise UserError("--tilt auto is for files: a live stream cannot look ahead to find "
                        "the camera's tilt; give it in degrees, -90..90 (mocap process "
                        "reports it for a clip from this camera, the window's View > Find "
                        "the camera tilt now finds it live)", EXIT_USAGE)
    args.tilt = tilt
    return settings


def cmd_stream(args) -> int:
    settings = stream_settings(args)
    if settings.warning:
        print(f"mocap: warning: {settings.warning}", file=sys.stderr)
    host, port = settings.address
    print(f"streaming to {settings.target} at {host}:{port} (Ctrl+C stops)", file=sys.stderr)
    if args.take:
        return _stream_take(args, settings)
    return _stream_live(args, settings)


def _stream_take(args, settings) -> int:
    from ..link import make_sender, stream_frames, take_frames  # noqa: PLC0415
    from ..takes import TakeError, load_take  # noqa: PLC0415
    try:
        seq, _meta = load_take(args.take)
        frames = take_frames(seq)
    except (TakeError, OSError, ValueError) as exc:
        raise UserError(f"cannot stream {args.take}: {exc}", EXIT_INPUT) from None
    if args.seconds is not None:
        frames = [f for f in frames if f.timestamp - frames[0].timestamp <= args.seconds]
    sender = make_sender(settings)
    stop = threading.Event()
    try:
        stream_frames(frames, sender, realtime=True, stop=stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        sender.close()
    print(f"{Path(args.take).name}: {sender.stats.summary()}")
    return 0


def _stream_live(args, settings) -> int:
    from ..capture.base import CaptureError  # noqa: PLC0415
    from ..link import LiveStreamer  # noqa: PLC0415
    from ..pipeline.estimator import EstimatorConfig, PoseEstimator, live_config  # noqa: PLC0415
    from ..pipeline.live import LiveSession  # noqa: PLC0415
    try:
        if args.camera is not None:
            from ..capture.webcam import WebcamSource  # noqa: PLC0415
            source = WebcamSource(args.camera)
        else:
            if not Path(args.video).is_file():
                raise UserError(f"video file not found: {args.video}")
            from ..capture.fake_camera import PacedVideoSource  # noqa: PLC0415
            source = PacedVideoSource(args.video)
    except CaptureError as exc:
        raise UserError(str(exc)) from None
    refiner = None
    if not args.no_refine:
        try:
            from ..pipeline.refine import LiveRefiner  # noqa: PLC0415
            refiner = LiveRefiner()
        except FileNotFoundError as exc:
            print(f"mocap: warning: no causal refiner ({exc}); streaming per-frame poses",
                  file=sys.stderr)
    estimator = PoseEstimator(live_config(EstimatorConfig(detector=args.detector,
                                                          lifter=args.lifter,
                                                          tilt_deg=args.tilt)))
    streamer = LiveStreamer(settings)
    session = LiveSession(source, estimator, on_result=streamer.send_result, refiner=refiner)
    stop = threading.Event()
    timer = None
    if args.seconds is not None:
        timer = threading.Timer(args.seconds, stop.set)
        timer.daemon = True
        timer.start()
    started = time.monotonic()
    try:
        session.run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        if timer is not None:
            timer.cancel()
        streamer.flush()
        streamer.close()
        estimator.close()
    st = session.stats
    print(f"{st.processed} frames in {time.monotonic() - started:.1f} s "
          f"({st.dropped} camera frames dropped), {streamer.no_person} without a person; "
          f"{streamer.stats.summary()}")
    if session.error:
        raise UserError(session.error)
    return 0
