"""``mocap batch IN... -o OUT_DIR``: every video under some files and folders, one output
each at the same relative path, on every core (or on a Ray cluster with ``--ray``).

Exit statuses: 0 every file done; 5 none failed but some ended early (what decoded was
written); 6 some files failed (the others were written; ``OUT_DIR/batch.json`` says which
and why); 130 cancelled (finished files are kept and recorded, a rerun goes on from there).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..core.errors import (EXIT_BATCH_FAILED, EXIT_CANCELLED, EXIT_SHORT_INPUT, EXIT_USAGE,
                           UserError, check_range)
from .export import options_from_args
from .process import add_processing_arguments, tilt_option


def add_batch_command(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``mocap batch`` on the CLI's subparsers."""
    p = sub.add_parser("batch", parents=parents,
                       help="process every video under files and folders, on all cores")
    p.add_argument("inputs", nargs="+", metavar="IN",
                   help="video files and folders (searched recursively by extension)")
    p.add_argument("-o", "--output-dir", dest="out_dir", required=True,
                   help="output folder: one file per input at the same relative path, and "
                        "the manifest batch.json")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: one per core; 1..4 per core)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run the files as Ray tasks: 'auto' or an address joins an existing "
                        "cluster, no value starts a local one (needs mocap_app[ray])")
    p.add_argument("--hands", action="store_true",
                   help="track both hands too: finger bones in the exports, and the body's "
                        "left/right checked by the hands (docs/HANDS.md)")
    add_processing_arguments(p)
    p.set_defaults(func=cmd_batch)


def settings_from_args(args):
    """BatchSettings from the arguments, every value checked before any work starts."""
    from ..batch import BatchSettings, check_workers
    from ..detect import DETECTORS
    if args.detector not in DETECTORS:
        raise UserError(f"unknown --detector {args.detector!r}; choose one of "
                        f"{', '.join(DETECTORS)}", EXIT_USAGE)
    if args.lifter not in ("auto", "none") and not Path(args.lifter).is_file():
        raise UserError(f"--lifter must be auto, none or a checkpoint file; not found: "
                        f"{args.lifter}", EXIT_USAGE)
    check_range("--hfov", args.hfov, 1.0, 179.0)
    tilt = tilt_option(args.tilt)
    if args.ray is not None:
        if args.workers is not None:
            raise UserError("--workers is for the local pool; with --ray the cluster runs "
                            "one file per CPU", EXIT_USAGE)
        from ..batch.ray_tasks import check_available
        check_available()
    else:
        check_workers(args.workers)
    try:
        return BatchSettings(detector=args.detector, lifter=args.lifter,
                             refine=not args.no_refine, foot_lock=args.foot_lock,
                             hfov=args.hfov, export=options_from_args(args),
                             hands=bool(getattr(args, "hands", False)), tilt=tilt)
    except ValueError as exc:
        raise UserError(str(exc), EXIT_USAGE) from None


def cmd_batch(args) -> int:
    from ..batch import run_batch
    settings = settings_from_args(args)
    show_bar = (sys.stderr.isatty() or args.progress) and not args.quiet
    show = _progress_printer(sys.stderr) if show_bar else None
    try:
        summary = run_batch(args.inputs, args.out_dir, settings, workers=args.workers,
                            ray=args.ray, progress=show)
    finally:
        if show_bar:
            sys.stderr.write("\n")
    for key, error in summary.failures:
        print(f"mocap: failed: {key}: {error}", file=sys.stderr)
    print(summary.line())
    if summary.cancelled:
        print("mocap: cancelled; run the same command again to go on", file=sys.stderr)
        return EXIT_CANCELLED
    if summary.failed:
        return EXIT_BATCH_FAILED
    if summary.short:
        return EXIT_SHORT_INPUT
    return 0


def _progress_printer(stream):
    def show(p) -> None:
        eta = p.remaining
        eta_s = f" ETA {time.strftime('%H:%M:%S', time.gmtime(eta))}" if eta is not None else ""
        rate = p.frames_done / p.elapsed if p.elapsed > 0 else 0.0
        failed = f", {p.files_failed} failed" if p.files_failed else ""
        stream.write(f"\rfiles {p.files_finished}/{p.files_total}{failed}  frames "
                     f"{p.frames_done}/{p.frames_total} ({rate:.1f}/s){eta_s}   ")
        stream.flush()
    return show
