"""The frame-source protocol: every camera, video file or fake camera yields ``Frame``s."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np


class CaptureError(RuntimeError):
    """A source that cannot be opened or stopped delivering (unplugged camera, corrupt
    or unreadable file). The message is meant for the user."""


@dataclass(frozen=True)
class Frame:
    index: int            # 0-based frame number from this source
    timestamp: float      # seconds since the source started (file: presentation time)
    image: np.ndarray     # (H, W, 3) BGR uint8, already turned upright


@dataclass(frozen=True)
class SourceInfo:
    """What a source actually delivers (not what was asked for)."""
    width: int
    height: int
    fps: float
    frame_count: int | None      # None for live sources
    description: str

    @property
    def duration(self) -> float | None:
        """Seconds the source declares (frames over rate); None where it does not say."""
        return self.frame_count / self.fps if self.frame_count and self.fps > 0 else None


class FrameSource(Protocol):
    info: SourceInfo

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...
