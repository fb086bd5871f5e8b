"""Synthetic and derived test videos for the reliability tests (written on the fly, small).

OpenCV writes the plain clips; PyAV (test extra ``av``) writes what OpenCV cannot: real
variable frame rate and audio-only files. Rotation metadata is set by patching the MP4
track header's display matrix, exactly what a phone writes.
"""
from __future__ import annotations

import fractions
import struct
from pathlib import Path

import cv2
import numpy as np

from mocap_app.capture.video import VideoFileSource
from mocap_app.core.paths import sample_clip

from ..conftest import write_video

# tkhd display matrices (16.16 a b u / c d v / 2.30 x y w) for a clockwise display rotation
_MATRIX = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}


def sample_frames(n: int, start: int = 0, size: tuple[int, int] | None = None) -> list:
    """``n`` frames of the bundled walk clip from ``start``, resized to ``size`` (w, h)."""
    out = []
    with VideoFileSource(sample_clip()) as src:
        for f in src:
            if f.index < start:
                continue
            img = f.image if size is None else cv2.resize(f.image, size,
                                                          interpolation=cv2.INTER_AREA)
            out.append(img)
            if len(out) == n:
                break
    return out


def set_rotation(mp4: Path, degrees: int, out: Path) -> Path:
    """Copy of ``mp4`` whose video track says: display turned ``degrees`` clockwise."""
    data = bytearray(mp4.read_bytes())
    k = data.find(b"tkhd")
    assert k > 0, "no track header"
    version = data[k + 4]
    off = k + 8 + (20 if version == 0 else 32) + 16     # times, ids, duration, layer...
    a, b, c, d = _MATRIX[degrees]
    data[off:off + 36] = struct.pack(">9i", a << 16, b << 16, 0, c << 16, d << 16, 0,
                                     0, 0, 1 << 30)
    out.write_bytes(bytes(data))
    return out


def write_rotated(path: Path, upright_frames, degrees: int, fps: float = 30.0) -> Path:
    """A phone-style clip: frames stored turned so that the player's rotation by
    ``degrees`` clockwise shows ``upright_frames``."""
    undo = {0: None, 90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180,
            270: cv2.ROTATE_90_CLOCKWISE}[degrees]
    stored = [f if undo is None else cv2.rotate(f, undo) for f in upright_frames]
    plain = write_video(path.with_name(path.stem + "_plain.mp4"), stored, fps)
    return set_rotation(plain, degrees, path)


def write_vfr(path: Path, timestamps, size=(160, 120)) -> Path:
    """H.264 with the given presentation times (seconds): a real variable frame rate."""
    import av
    w, h = size
    tb = fractions.Fraction(1, 1000)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.time_base = tb
        for i, t in enumerate(timestamps):
            img = np.full((h, w, 3), (20 * i) % 250, np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts, frame.time_base = int(round(t * 1000)), tb
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def write_audio_only(path: Path, seconds: float = 1.0) -> Path:
    """An MP4/M4A container holding one AAC audio track and no video."""
    import av
    rate = 44100
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=rate)
        tone = np.sin(np.arange(int(rate * seconds)) * 2 * np.pi * 440 / rate) * 0.2
        for k in range(0, len(tone) - 1024, 1024):
            frame = av.AudioFrame.from_ndarray(tone[None, k:k + 1024].astype(np.float32),
                                               format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, k
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def write_unknown_codec(path: Path) -> Path:
    """An AVI whose video codec tag names a codec nobody decodes ("ZZZZ")."""
    frames = [np.full((120, 160, 3), 40 * i, np.uint8) for i in range(5)]
    mj = write_video(path.with_name(path.stem + "_mjpg.avi"), frames, 30.0, "MJPG")
    data = mj.read_bytes()
    assert data.count(b"MJPG") >= 1
    path.write_bytes(data.replace(b"MJPG", b"ZZZZ"))
    return path
