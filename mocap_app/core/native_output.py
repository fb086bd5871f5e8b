"""Keep native libraries' log lines off the user's terminal.

FFmpeg (inside OpenCV) and LiteRT write straight to the process's standard error, file
descriptor 2 ("moov atom not found", "Created TensorFlow Lite XNNPACK delegate for
CPU"), past Python's ``sys.stderr``. ``native_output_to_log`` points descriptor 2 at a
log file and gives Python's ``sys.stderr`` a private copy of the terminal, so our own
messages, progress and errors still reach the user while the libraries' lines are kept
(not lost) in the log. Python warnings raised by third-party code go to the log too.
"""
from __future__ import annotations

import contextlib
import os
import sys
import warnings
from pathlib import Path
from typing import Iterator

#: a log larger than this is started afresh rather than appended to
MAX_LOG_BYTES = 5 * 2**20


def _real_stderr_fd() -> int | None:
    """2 when ``sys.stderr`` writes to descriptor 2 (a terminal, pipe or file), else None
    (a test's capture object, a windowed app's log, no stderr at all)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return fd if fd == 2 else None


@contextlib.contextmanager
def native_output_to_log(log_path: Path) -> Iterator[Path | None]:
    """Within the block, descriptor 2 writes to ``log_path`` (appended) and ``sys.stderr``
    to the original standard error. Yields the log's path, or None when nothing was
    redirected (no real descriptor 2 behind ``sys.stderr``, or the log cannot be opened)."""
    if _real_stderr_fd() is None:
        yield None
        return
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if log_path.exists() and log_path.stat().st_size > MAX_LOG_BYTES:
            log_path.unlink()
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        yield None
        return
    sys.stderr.flush()
    saved_fd = os.dup(2)
    terminal = os.fdopen(saved_fd, "w", buffering=1, encoding=sys.stderr.encoding,
                         errors="backslashreplace")
    os.dup2(log_fd, 2)
    os.close(log_fd)
    old_stderr, old_showwarning = sys.stderr, warnings.showwarning
    sys.stderr = terminal

    def to_log(message, category, filename, lineno, file=None, line=None):
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = to_log
    try:
        yield log_path
    finally:
        warnings.showwarning = old_showwarning
        terminal.flush()
        os.dup2(saved_fd, 2)
        sys.stderr = old_stderr
        terminal.close()
