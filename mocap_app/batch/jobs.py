"""The job list: every video under the given files and folders, and where its output goes.

A folder is walked recursively and each video keeps its path relative to that folder under
the output folder (``in/a/b.mp4`` -> ``OUT/a/b.bvh``); a file named directly lands at the
top of the output folder. Files are matched by extension (case-insensitive); hidden files
and anything inside the output folder are left out.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import EXIT_INPUT, EXIT_USAGE, UserError

#: what a folder walk picks up (the GUI's import dialog offers the same list)
VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


@dataclass(frozen=True)
class Job:
    """One input file and its output. Paths are absolute so that a worker on another
    machine with the same shared storage finds them."""
    key: str          # the input's path relative to its root (posix): the manifest's key
    input: str        # absolute input path
    output: str       # absolute output path (the final name; workers write a temporary one)

    @property
    def temp_prefix(self) -> str:
        """Temporary outputs are ``.<name>.part-<pid>.<ext>`` beside the final file, so a
        crash never leaves anything that looks like a finished output."""
        return "." + Path(self.output).name + ".part-"


def temp_output(job: Job, tag: str) -> Path:
    out = Path(job.output)
    return out.with_name(f"{job.temp_prefix}{tag}{out.suffix}")


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS and not path.name.startswith(".")


def find_jobs(inputs: list[str | os.PathLike], out_dir: str | os.PathLike,
              fmt: str = "bvh") -> list[Job]:
    """The jobs for ``inputs`` (files and folders) writing ``<relative path>.<fmt>`` under
    ``out_dir``, sorted by key. Raises ``UserError`` for a missing input, a folder holding
    no video, and two inputs that would write the same output."""
    out_root = Path(out_dir).resolve()
    jobs: dict[str, Job] = {}
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise UserError(f"input not found: {path}", EXIT_INPUT)
        path = path.resolve()
        if path.is_dir():
            found = [p for p in _walk(path) if not _inside(p, out_root)]
            if not found:
                raise UserError(f"no video files ({' '.join(VIDEO_EXTENSIONS)}) under {path}",
                                EXIT_INPUT)
            pairs = [(p, p.relative_to(path)) for p in found]
        else:
            pairs = [(path, Path(path.name))]
        for src, rel in pairs:
            key = rel.as_posix()
            out = (out_root / rel).with_suffix("." + fmt)
            if key in jobs and jobs[key].input != str(src):
                raise UserError(f"two inputs would write the same output {out}: "
                                f"{jobs[key].input} and {src}", EXIT_USAGE)
            jobs[key] = Job(key, str(src), str(out))
    return [jobs[k] for k in sorted(jobs)]


def _walk(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(folder) / f for f in sorted(files) if is_video(Path(f))]
    return found


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
