"""``mocap report TAKE_OR_VIDEO``: the motion-quality report (``pipeline/report.py``)
from the command line."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import EXIT_INPUT, EXIT_SHORT_INPUT, UserError, check_range
from ..lift.tilt import AUTO
from .process import tilt_option


def add_report_command(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``mocap report`` on the CLI's subparsers."""
    from ..pipeline.refine import RefineOptions  # noqa: PLC0415
    p = sub.add_parser("report", parents=parents,
                       help="motion-quality report (JSON + PNG) of a take or video")
    p.add_argument("source", help="take folder, poses.npz, or a video file")
    p.add_argument("-o", "--out-dir", help="output folder (default: SOURCE_report/)")
    p.add_argument("--lifter", default="auto",
                   help="for videos: 'auto' (shipped lifter if present), 'none' (MediaPipe's "
                        "own 3D) or a checkpoint path")
    p.add_argument("--hfov", type=float, default=RefineOptions().hfov_deg,
                   help="camera horizontal field of view, degrees (default: %(default)s)")
    p.add_argument("--tilt", default=AUTO,
                   help="for videos: how far the world's vertical leans in the picture, "
                        "degrees clockwise, -90..90 (a rolled camera), or 'auto': found "
                        "from the take (default: %(default)s)")
    p.add_argument("--foot-lock", choices=["auto", "always", "never"], default="auto")
    p.add_argument("--no-plots", action="store_true", help="JSON only")
    p.add_argument("--hands", action="store_true",
                   help="for videos: track the hands too and add the hand section")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from ..capture.base import CaptureError  # noqa: PLC0415
    from ..pipeline.offline import NoPersonError  # noqa: PLC0415
    from ..pipeline.refine import RefineOptions  # noqa: PLC0415
    from ..pipeline.report import format_table, write_report  # noqa: PLC0415
    from ..takes import TakeError  # noqa: PLC0415
    path = Path(args.source)
    check_range("--hfov", args.hfov, 1.0, 179.0)
    tilt = tilt_option(args.tilt)
    if not path.exists():
        raise UserError(f"not found: {path}", EXIT_INPUT)
    options = RefineOptions(hfov_deg=args.hfov, foot_contact=args.foot_lock,
                            tilt_deg=0.0 if tilt == AUTO else tilt)
    try:
        report = write_report(path, args.out_dir, options, args.lifter, not args.no_plots,
                              hands=args.hands, auto_tilt=tilt == AUTO)
    except (CaptureError, NoPersonError, TakeError, ValueError) as exc:
        raise UserError(str(exc), EXIT_INPUT) from None
    print(f"{path.name}: {report['frames']} frames, {report['frames_with_person']} with a "
          f"person -> {report['output_dir']}")
    print(format_table(report))
    c = report["checks"]
    print(f"jitter all stages / per-frame: {c['jitter_ratio_all_vs_raw']:.2f}; "
          f"L/R asymmetry after fitting: {c['lr_asymmetry_after_fitting_mm']:.3g} mm")
    if report.get("hands"):
        from ..pipeline.hand_quality import format_hand_table  # noqa: PLC0415
        print(format_hand_table(report["hands"]))
    sys.stdout.flush()
    short = report.get("short_input")
    if short:
        print(f"mocap: warning: {short['message']}", file=sys.stderr)
        return EXIT_SHORT_INPUT
    return 0
