"""What a user is told when a command cannot do what was asked, and the exit status.

The bottom of the house: the CLI, the export and the report raise ``UserError`` and the
CLI turns it into one line (``mocap: error: ...``) and its exit status. The statuses are
documented in the README and in ``mocap --help``.
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 2          # a wrong option or value (argparse uses 2 as well)
EXIT_INPUT = 3          # the input cannot be used: missing, corrupt, nobody in it, ...
EXIT_OUTPUT = 4         # the output cannot be written: folder missing, not writable, ...
EXIT_SHORT_INPUT = 5    # the input ended early: what decoded was written, the rest is missing
EXIT_BATCH_FAILED = 6   # a batch ended with some files failed (the others were written)
EXIT_CANCELLED = 130    # the user cancelled (Ctrl+C), as a shell reports SIGINT

EXIT_STATUSES = {
    EXIT_OK: "done",
    EXIT_USAGE: "wrong option or value",
    EXIT_INPUT: "the input cannot be used",
    EXIT_OUTPUT: "the output cannot be written",
    EXIT_SHORT_INPUT: "the input ended early; the frames that decoded were written",
    EXIT_BATCH_FAILED: "a batch ended with some files failed; the others were written",
    EXIT_CANCELLED: "cancelled",
}


class UserError(Exception):
    """A failure the user can act on; ``str(err)`` is the one line they read."""

    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


def check_range(flag: str, value: float, low: float, high: float, unit: str = "degrees"
                ) -> None:
    """Refuse an option's value outside [low, high] (or NaN) at once, naming the range."""
    if not low <= value <= high:
        raise UserError(f"{flag} must be {low:g}..{high:g} {unit}, got {value}", EXIT_USAGE)
