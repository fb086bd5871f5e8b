"""``mocap process VIDEO -o OUT.bvh``: a video file through the whole pipeline to an
animation file (and optionally per-frame JSON and a take folder)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

from ..core.errors import (EXIT_CANCELLED, EXIT_OUTPUT, EXIT_SHORT_INPUT, EXIT_USAGE,
                           UserError, check_range)
from ..lift.tilt import AUTO, MAX_TILT_DEG, tilt_setting
from .export import add_export_arguments, options_from_args


def add_process_command(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``mocap process`` on the CLI's subparsers."""
    p = sub.add_parser("process", parents=parents,
                       help="process a video file to a BVH (and more)")
    p.add_argument("video", help="video file (any format OpenCV reads)")
    p.add_argument("-o", "--output", required=True, help="output animation file (.bvh)")
    p.add_argument("--json", help="also write per-frame joints with confidence as JSON")
    p.add_argument("--take-dir", help="also save the result as a take folder")
    p.add_argument("--hands", action="store_true",
                   help="track both hands too: finger bones in the export (docs/HANDS.md)")
    p.add_argument("--no-side-check", action="store_true",
                   help="do not put right the frames where the body detector exchanged "
                        "left and right (found by the continuity of its labels, and by the "
                        "hands with --hands; pipeline/side_check.py)")
    p.add_argument("--no-image-fit", action="store_true",
                   help="do not turn the limbs towards the directions the 2D keypoints give "
                        "them in the picture after the temporal refiner "
                        "(pipeline/image_fit.py; uses --hfov)")
    p.add_argument("--threads", default=None,
                   help="threads of the body detector, 1..8 (default: every core of this "
                        "machine, less one with --hands; the same result, sooner)")
    # dest apart from ``mocap export``'s --start/--end, which cut the export of a take
    p.add_argument("--start", type=float, default=None, metavar="SECONDS", dest="video_start",
                   help="process from this time of the video (default: its start)")
    p.add_argument("--end", type=float, default=None, metavar="SECONDS", dest="video_end",
                   help="process up to this time (default: its end); the take keeps the "
                        "video's own times")
    add_processing_arguments(p)
    p.set_defaults(func=cmd_process)


def threads_option(value) -> int | None:
    """``--threads`` checked at once: None (every core) or a whole number in range."""
    from ..pipeline.estimator import MAX_DETECTOR_THREADS, check_detector_threads  # noqa: PLC0415
    if value is None:
        return None
    try:
        return check_detector_threads(int(str(value).strip()))
    except ValueError:
        raise UserError(f"--threads must be a whole number 1..{MAX_DETECTOR_THREADS}, "
                        f"got {value!r}", EXIT_USAGE) from None


def add_processing_arguments(p: argparse.ArgumentParser) -> None:
    """The options of processing a video, shared by ``mocap process`` and ``mocap batch``:
    detector, lifter, refinement, progress and the export options."""
    p.add_argument("--detector", default=os.environ.get("MOCAP_DETECTOR", "blazepose"),
                   help="person detector (default: %(default)s)")
    p.add_argument("--lifter", default="auto",
                   help="'auto' (shipped lifter if present), 'none' (detector's 3D) or a path")
    p.add_argument("--no-refine", action="store_true", help="skip the refinement stages")
    p.add_argument("--foot-lock", choices=["auto", "always", "never"], default="auto",
                   help="pin feet during detected contacts (default: %(default)s)")
    p.add_argument("--hfov", type=float, default=70.0,
                   help="camera horizontal field of view in degrees, 1..179, for the root "
                        "trajectory (default: %(default)s, a typical webcam)")
    p.add_argument("--tilt", default=AUTO,
                   help="how far the world's vertical leans in the picture, in degrees, "
                        "clockwise positive, -90..90 (a camera rolled about its axis; the "
                        "body is lifted from the picture levelled), or 'auto': found from "
                        "the take itself (default: %(default)s)")
    p.add_argument("--progress", action="store_true", help="show progress even when not a tty")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_export_arguments(p)


def tilt_option(value) -> float | str:
    """``--tilt`` checked at once: 'auto' or degrees within +-MAX_TILT_DEG."""
    try:
        return tilt_setting(value)
    except ValueError:
        raise UserError(f"--tilt must be '{AUTO}' or -{MAX_TILT_DEG:g}..{MAX_TILT_DEG:g} "
                        f"degrees, got {value!r}", EXIT_USAGE) from None


def cmd_process(args) -> int:
    from ..capture.base import CaptureError
    from ..pipeline.estimator import EstimatorConfig, tilt_config
    from ..pipeline.offline import (Cancelled, NoPersonError, StretchError, check_stretch,
                                    process_video)

    video = Path(args.video)
    if not video.exists():
        raise UserError(f"video file not found: {video}")
    check_range("--hfov", args.hfov, 1.0, 179.0)
    tilt = tilt_option(args.tilt)
    threads = threads_option(getattr(args, "threads", None))
    start, end = getattr(args, "video_start", None), getattr(args, "video_end", None)
    try:                                   # the video's length is checked on opening it
        check_stretch(start, end)
    except ValueError as exc:
        raise UserError(str(exc), EXIT_USAGE) from None
    out = Path(args.output)
    _check_output_path(out)
    if args.json:
        _check_output_path(Path(args.json))
    try:
        options = options_from_args(args)
    except ValueError as exc:
        raise UserError(str(exc), EXIT_USAGE) from None
    config = EstimatorConfig(detector=args.detector, lifter=args.lifter,
                             hands=bool(getattr(args, "hands", False)),
                             side_check=not getattr(args, "no_side_check", False),
                             detector_threads=threads, **tilt_config(tilt))
    refine = _make_refine(args)
    cancel = threading.Event()
    show_bar = (sys.stderr.isatty() or args.progress) and not args.quiet
    show = _progress_printer(sys.stderr, show_bar)
    try:
        result = process_video(video, config, refine=refine, cancel=cancel, progress=show,
                               start=start, end=end)
    except StretchError as exc:            # a stretch past the video's end, before any work
        raise UserError(str(exc), EXIT_USAGE) from None
    except CaptureError as exc:
        raise UserError(str(exc)) from None
    except NoPersonError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        cancel.set()
        raise UserError("cancelled", EXIT_CANCELLED) from None
    except Cancelled:
        raise UserError("cancelled", EXIT_CANCELLED) from None
    finally:
        if show_bar:
            sys.stderr.write("\n")
    from ..export import export_sequence
    from ..export.blender import BlenderError
    from ..takes import TakeError
    try:
        export_sequence(result.refined, out, options)
        if args.json:
            _write_json(result, Path(args.json))
        if args.take_dir:
            _save_take(result, Path(args.take_dir), config)
    except (BlenderError, TakeError) as exc:
        raise UserError(str(exc), EXIT_OUTPUT) from None
    except ValueError as exc:  # the export refuses the take (e.g. no usable frame left)
        raise UserError(f"could not export {video.name}: {exc}") from None
    except OSError as exc:
        raise UserError(f"could not write output: {exc.strerror or exc} ({exc.filename or out})",
                        EXIT_OUTPUT) from None
    print(f"{video.name}: {result.frames} frames, {result.frames_with_person} with a person, "
          f"{result.raw.fps:.2f} fps video, processed at {result.fps_processed:.1f} fps in "
          f"{result.seconds:.1f} s -> {out}")
    if result.info.get("side_swaps_fixed"):
        print(f"{video.name}: left and right put right on {result.info['side_swaps_fixed']} "
              f"frames where the body detector had exchanged them")
    if "tilt_found" in result.info:
        print(f"{video.name}: the camera's tilt found from the take: "
              f"{result.info['tilt_deg']:g} degrees (the picture lifted levelled by it; "
              f"--tilt DEG gives it instead)")
    if result.short_input is not None:
        print(f"mocap: warning: {result.short_input.message(video.name)}", file=sys.stderr)
        return EXIT_SHORT_INPUT
    return 0


def _make_refine(args):
    """The refinement stages (temporal refiner, image fit, skeleton fitting, root
    trajectory, foot contact), unless switched off. A missing refiner model skips that
    stage with a warning rather than failing the whole job."""
    if getattr(args, "no_refine", False):
        return None
    from ..pipeline.refine import RefineOptions, load_refiner, refine_sequence
    fit = not getattr(args, "no_image_fit", False)
    options = RefineOptions(foot_contact=args.foot_lock, hfov_deg=args.hfov, image_fit=fit)
    refiner = None
    try:
        refiner = load_refiner(causal=False)
    except FileNotFoundError as exc:
        print(f"mocap: warning: temporal refiner not available ({exc}); skipping it",
              file=sys.stderr)
        options = RefineOptions(temporal=False, foot_contact=args.foot_lock, hfov_deg=args.hfov,
                                image_fit=fit)

    def run(seq):
        return refine_sequence(seq, options, refiner).refined
    return run


def _write_json(result, path: Path) -> None:
    """Per-frame joints with confidence, for other tools."""
    from ..core.skeleton import JOINT_NAMES
    seq = result.refined
    frames = []
    for i in range(len(seq)):
        rec = {"frame": i, "time": round(float(seq.timestamps[i]), 6),
               "person": bool(seq.valid[i])}
        if seq.valid[i]:
            rec["joints_3d_m"] = [[round(float(v), 5) for v in p] for p in seq.joints_3d[i]]
            rec["keypoints_2d_px"] = [[round(float(v), 2) for v in p] for p in seq.keypoints_2d[i]]
            rec["confidence"] = [round(float(v), 3) for v in seq.visibility[i]]
            if seq.root_positions is not None and bool(
                    np.isfinite(seq.root_positions[i]).all()):
                rec["root_m"] = [round(float(v), 5) for v in seq.root_positions[i]]
        frames.append(rec)
    doc = {"source": result.source, "fps": seq.fps, "image_size": list(seq.image_size),
           "joints": list(JOINT_NAMES), "axes": "metres, Y up, subject faces +Z",
           "frames": frames}
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


def _save_take(result, folder: Path, config) -> None:
    from ..takes import save_offline_take
    save_offline_take(folder, result, {"detector": config.detector, "lifter": config.lifter,
                                       "tilt_deg": config.tilt_deg, **result.info})


def _progress_printer(stream, enabled: bool):
    state = {"last": 0.0}

    def show(p) -> None:
        if not enabled:
            return
        now = time.monotonic()
        if now - state["last"] < 0.2 and not (p.total and p.done >= p.total):
            return
        state["last"] = now
        if p.total:
            width = 30
            filled = int(width * p.fraction)
            eta = p.remaining
            eta_s = f" ETA {eta:4.0f}s" if eta is not None else ""
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {p.done}/{p.total}"
                         f" frames{eta_s} ")
        else:
            stream.write(f"\r{p.done} frames ")
        stream.flush()
    return show


def _check_output_path(path: Path) -> None:
    folder = path.resolve().parent
    if not folder.is_dir():
        raise UserError(f"output folder does not exist: {folder}", EXIT_OUTPUT)
    if not os.access(folder, os.W_OK):
        raise UserError(f"output folder is not writable: {folder}", EXIT_OUTPUT)
