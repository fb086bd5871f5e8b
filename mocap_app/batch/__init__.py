"""Batch processing: every video under some files and folders, one output each, on all
cores of this machine (``pool``) or as tasks on a Ray cluster (``ray_tasks``).

Floor 3: imports ``pipeline/`` and below; ``cli/`` (``mocap batch``) and ``gui/`` start it.
The driver (``runner.run_batch``) is the only writer of the manifest ``batch.json``
(``manifest``); the workers (``worker``) load the models once per process and return one
plain ``FileResult`` per file.
"""
from __future__ import annotations

from .jobs import VIDEO_EXTENSIONS, Job, find_jobs
from .manifest import MANIFEST_NAME, Manifest
from .runner import BatchProgress, BatchSummary, run_batch
from .settings import BatchSettings, check_workers, max_workers

__all__ = ["VIDEO_EXTENSIONS", "Job", "find_jobs", "MANIFEST_NAME", "Manifest",
           "BatchProgress", "BatchSummary", "run_batch", "BatchSettings", "check_workers",
           "max_workers"]
