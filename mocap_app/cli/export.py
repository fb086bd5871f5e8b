"""Export options on the command line, shared by ``mocap export`` and ``mocap process``,
and the ``mocap export TAKE`` subcommand itself."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..core.errors import EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE, UserError
from ..core.pose import PoseSequence
from ..export.options import FORMATS, PRESETS, ROOT_MODES, UNITS, ExportOptions


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """--format --preset --root --fps --unit --tpose --no-fingers."""
    g = parser.add_argument_group("export")
    g.add_argument("--format", choices=FORMATS, default=None,
                   help="animation file format (default: from the output file's "
                        "extension, else bvh); fbx and glb need bpy (Blender)")
    g.add_argument("--preset", choices=PRESETS, default="mixamo",
                   help="bone names (default: %(default)s)")
    g.add_argument("--root", choices=ROOT_MODES, default="world", dest="root_motion",
                   help="root motion: world (as captured), inplace (no horizontal "
                        "travel) or ground (lowest foot on the floor every frame) "
                        "(default: %(default)s)")
    g.add_argument("--fps", type=float, default=None,
                   help="resample to this frame rate (default: the take's real rate)")
    g.add_argument("--unit", choices=tuple(UNITS), default="cm",
                   help="BVH length unit (default: %(default)s)")
    g.add_argument("--tpose", action="store_true", help="prepend a T-pose frame")
    g.add_argument("--no-fingers", action="store_true",
                   help="leave the finger bones out (a take with hands has them)")


def add_range_arguments(parser: argparse.ArgumentParser) -> None:
    """--start --end: the stretch of a saved take to write (``mocap export``)."""
    g = parser.add_argument_group("stretch")
    g.add_argument("--start", type=float, default=None, metavar="SECONDS",
                   help="write from this time, seconds from the take's first frame "
                        "(default: its start)")
    g.add_argument("--end", type=float, default=None, metavar="SECONDS",
                   help="write up to this time (default: the take's end); the rig and "
                        "the root are the whole take's either way")


def options_from_args(args: argparse.Namespace) -> ExportOptions:
    """ExportOptions from parsed arguments; the format defaults to the output's suffix."""
    fmt = getattr(args, "format", None)
    if fmt is None:
        suffix = Path(getattr(args, "output", "") or "").suffix.lower().lstrip(".")
        fmt = suffix if suffix in FORMATS else "bvh"
    fps = getattr(args, "fps", None)
    if fps is not None and not fps > 0:
        raise ValueError(f"--fps must be positive, got {fps}")
    return ExportOptions(format=fmt, preset=getattr(args, "preset", "mixamo"),
                         unit=getattr(args, "unit", "cm"), fps=fps,
                         root_motion=getattr(args, "root_motion", "world"),
                         tpose_frame=bool(getattr(args, "tpose", False)),
                         fingers=not getattr(args, "no_fingers", False),
                         start=getattr(args, "start", None), end=getattr(args, "end", None))


def load_take_sequence(path: Path) -> PoseSequence:
    """A take folder or a ``.npz`` saved by ``mocap_app.takes``, or an npz holding the
    ``PoseSequence`` fields under their own names."""
    from ..takes import TakeError, load_take
    try:
        seq, _meta = load_take(path)
        return seq
    except TakeError:
        if not (path.is_file() and path.suffix == ".npz"):
            raise
    with np.load(path) as z:
        if "joints_3d" not in z:
            raise ValueError(f"not a take: {path}")
        n = len(z["joints_3d"])
        get = lambda k, default: z[k] if k in z else default  # noqa: E731
        return PoseSequence(
            np.asarray(get("timestamps", np.arange(n) / float(get("fps", 30.0)))),
            np.asarray(z["joints_3d"]),
            np.asarray(get("keypoints_2d", np.full(z["joints_3d"].shape[:2] + (2,), np.nan))),
            np.asarray(get("visibility", np.ones(z["joints_3d"].shape[:2]))),
            np.asarray(get("valid", np.all(np.isfinite(z["joints_3d"]), axis=(1, 2)))),
            float(get("fps", 30.0)), tuple(int(v) for v in get("image_size", (0, 0))),
            np.asarray(z["root_positions"]) if "root_positions" in z else None)


def cmd_export(args: argparse.Namespace) -> int:
    """``mocap export``: a user's mistake (missing take, bad option, no bpy) raises a
    ``UserError``, which the CLI prints as one line with its exit status."""
    out = _export_take(args)
    if not getattr(args, "quiet", False):
        print(f"{Path(args.take).name}: -> {out}")
    return 0


def _export_take(args: argparse.Namespace) -> Path:
    from ..export import export_sequence
    from ..export.blender import BlenderError

    take = Path(args.take)
    if not take.exists():
        raise UserError(f"take not found: {take}", EXIT_INPUT)
    try:
        options = options_from_args(args)
    except ValueError as exc:
        raise UserError(str(exc), EXIT_USAGE) from None
    if args.output:
        out = Path(args.output)
    elif take.is_file():
        out = take.with_suffix("." + options.format)
    else:
        out = take / f"{take.name}.{options.format}"
    if not out.resolve().parent.is_dir():
        raise UserError(f"output folder does not exist: {out.resolve().parent}", EXIT_OUTPUT)
    try:
        seq = load_take_sequence(take)
    except Exception as exc:  # any unreadable take: one line, no traceback
        raise UserError(f"cannot read take {take}: {exc}", EXIT_INPUT) from None
    if len(seq):
        from ..export.timing import kept_frames, output_times
        try:            # a stretch outside the take: refused before the finger stage
            kept_frames(seq, output_times(seq, options.fps)[0], options.start, options.end)
        except ValueError as exc:
            raise UserError(str(exc), EXIT_USAGE) from None
    if options.fingers and seq.hands_3d is not None and seq.finger_angles is None:
        from ..pipeline.fingers import add_finger_angles   # limits, smoothing, hold
        seq = add_finger_angles(seq)
    try:
        return export_sequence(seq, out, options)
    except ValueError as exc:
        raise UserError(str(exc), EXIT_INPUT) from None
    except BlenderError as exc:
        raise UserError(str(exc), EXIT_OUTPUT) from None
    except OSError as exc:
        raise UserError(f"could not write output: {exc.strerror or exc} ({out})",
                        EXIT_OUTPUT) from None


def add_export_command(subparsers, parents: list[argparse.ArgumentParser]
                       ) -> argparse.ArgumentParser:
    """Register ``mocap export TAKE ... -o OUT``."""
    p = subparsers.add_parser("export", parents=parents,
                              help="export a saved take to BVH, FBX or GLB")
    p.add_argument("take", help="take folder or .npz saved by the app")
    p.add_argument("-o", "--output", help="output file (default: beside the take)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    add_export_arguments(p)
    add_range_arguments(p)
    p.set_defaults(func=cmd_export)
    return p
