"""Command line: every GUI action has a headless twin here.

    mocap process VIDEO -o OUT.bvh [--json OUT.json] [--take-dir DIR]
    mocap export TAKE --format bvh|fbx|glb ...
    mocap report TAKE_OR_VIDEO
    mocap batch IN... -o OUT_DIR [--workers N | --ray [ADDRESS]]
    mocap stream --camera N | VIDEO | --take TAKE --to blender|vmc [--port P]
    mocap blender-addon -o mocap_link.zip

Errors the user can cause (missing file, not a video, nobody in the video, unwritable
output) print one line and exit non-zero, never a traceback. The log lines of the native
libraries (FFmpeg, LiteRT) go to a log file unless ``--verbose`` asks for them.

Exit statuses: 0 done; 2 wrong option or value; 3 the input cannot be used; 4 the output
cannot be written; 5 the input ended early (the frames that decoded were written, with a
warning naming how many of how many and where decoding stopped); 6 a batch ended with
some files failed (the others were written); 130 cancelled.
"""
from __future__ import annotations

import argparse
import sys
import time

from ..core.errors import (EXIT_BATCH_FAILED, EXIT_CANCELLED, EXIT_INPUT, EXIT_OUTPUT,
                           EXIT_SHORT_INPUT, EXIT_USAGE, UserError)
from .batch import add_batch_command
from .export import add_export_command
from .process import add_process_command
from .report import add_report_command
from .stream import add_stream_commands

__all__ = ["main", "build_parser", "UserError", "EXIT_USAGE", "EXIT_INPUT", "EXIT_OUTPUT",
           "EXIT_SHORT_INPUT", "EXIT_BATCH_FAILED", "EXIT_CANCELLED"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mocap", description=__doc__.split("\n")[0],
        epilog="exit statuses: 0 done, 2 wrong option, 3 unusable input, 4 output not "
               "written, 5 input ended early (what decoded was written), 6 some files of a "
               "batch failed, 130 cancelled")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true",
                        help="let FFmpeg's and LiteRT's own log lines through to the "
                             "terminal (by default they go to a log file)")
    sub = parser.add_subparsers(dest="command", required=True)
    add_process_command(sub, [common])
    add_export_command(sub, [common])
    add_report_command(sub, [common])
    add_batch_command(sub, [common])
    add_stream_commands(sub, [common])
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "verbose", False):
        return _run(args)
    from ..core.native_output import native_output_to_log  # noqa: PLC0415
    from ..core.paths import cache_dir  # noqa: PLC0415
    try:
        log = cache_dir() / "logs" / "mocap-native.log"
    except OSError:       # no writable cache: the libraries' lines stay on the terminal
        return _run(args)
    with native_output_to_log(log):
        return _run(args)


def _run(args) -> int:
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"mocap: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("mocap: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except MemoryError:
        print("mocap: error: out of memory", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line for the user, the traceback to a log file
        log = _write_crash_log()
        print(f"mocap: error: internal error: {type(exc).__name__}: {exc} (details in {log})",
              file=sys.stderr)
        return 1


def _write_crash_log() -> str:
    import traceback  # noqa: PLC0415
    try:
        from ..core.paths import cache_dir  # noqa: PLC0415
        folder = cache_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"mocap-{time.strftime('%Y%m%d-%H%M%S')}.log"
        path.write_text(traceback.format_exc(), encoding="utf-8")
        return str(path)
    except OSError:
        return "<could not write a log>"
