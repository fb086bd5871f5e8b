"""``batch.json`` in the output folder: one entry per input file, rewritten atomically
(temporary file, fsync, rename) each time a file ends, so a crash or Ctrl-C at any moment
leaves the previous complete manifest or the new one, never half of one.

    {"version": 1, "updated": "...",
     "runs": {"<fingerprint>": {"settings": {...}, "models": {"lifter.pt": "sha256:..."}}},
     "files": {"sub/a.mp4": {"input": "...", "output": "...", "status": "done",
                             "frames": 230, "frames_with_person": 230, "seconds": 8.1,
                             "error": null, "input_size": ..., "input_mtime_ns": ...,
                             "settings": "<fingerprint>", "worker": "host:pid",
                             "finished": "2026-12-04T23:10:00Z", ...}}}

Statuses: ``done``; ``short`` (the input ended early; what decoded was written);
``failed`` (no output; ``error`` says why).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .jobs import Job

MANIFEST_NAME = "batch.json"
VERSION = 1
FINISHED = ("done", "short")      # kept by a rerun when the input and settings are unchanged
STATUSES = ("done", "short", "failed")


class Manifest:
    def __init__(self, path: Path, doc: dict | None = None):
        self.path = Path(path)
        self.doc = doc or {"version": VERSION, "runs": {}, "files": {}}

    @classmethod
    def load(cls, out_dir: str | os.PathLike) -> "Manifest":
        """The manifest in ``out_dir``, or an empty one. An unreadable manifest (another
        program's file of the same name) is set aside as ``batch.json.unreadable``."""
        path = Path(out_dir) / MANIFEST_NAME
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or doc.get("version") != VERSION:
                raise ValueError("not a batch manifest of this version")
        except FileNotFoundError:
            return cls(path)
        except (ValueError, OSError):
            os.replace(path, path.with_name(MANIFEST_NAME + ".unreadable"))
            return cls(path)
        return cls(path, doc)

    @property
    def files(self) -> dict[str, dict]:
        return self.doc["files"]

    def add_run(self, key: str, settings: dict, models: dict) -> None:
        self.doc["runs"][key] = {"settings": settings, "models": models}

    def is_finished(self, job: Job, settings_key: str) -> bool:
        """True when ``job`` was finished (done or short) from this very input (size and
        modification time) under these settings and models, and its output is still there."""
        entry = self.files.get(job.key)
        if not entry or entry.get("status") not in FINISHED:
            return False
        if entry.get("settings") != settings_key or entry.get("output") != job.output:
            return False
        try:
            st = os.stat(job.input)
        except OSError:
            return False
        return (entry.get("input_size") == st.st_size
                and entry.get("input_mtime_ns") == st.st_mtime_ns
                and os.path.exists(job.output))

    def record(self, job: Job, result: dict, settings_key: str) -> dict:
        """Store one file's result and write the manifest. ``result``: a
        ``worker.FileResult`` as a dict."""
        assert result["status"] in STATUSES, result
        entry = {"input": job.input, "output": job.output, **result,
                 "settings": settings_key,
                 "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if result["status"] == "failed":
            entry["output"] = None
        self.files[job.key] = entry
        self.save()
        return entry

    def save(self) -> None:
        self.doc["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{MANIFEST_NAME}.part-{os.getpid()}")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.doc, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def counts(self, keys=None) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for k, e in self.files.items():
            if keys is None or k in keys:
                out[e["status"]] = out.get(e["status"], 0) + 1
        return out
