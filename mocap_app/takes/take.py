"""Takes on disk: streamed while they happen, never only in RAM.

A take is a folder::

    take.json      metadata: name, source, fps, image size, parameters, status
    frames.jsonl   one line per frame, appended and flushed as frames arrive; after a
                   crash (even SIGKILL) every complete line is recovered
    poses.npz      the finished take's arrays (raw and, when made, refined poses)
    video.avi      the recorded camera frames (live takes; MPEG-4 in AVI, readable if cut off)

``load_take`` prefers ``poses.npz`` and falls back to ``frames.jsonl``.
"""
from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core.pose import FramePose, PoseSequence
from ..core.skeleton import NUM_JOINTS

TAKE_VERSION = 1


class TakeError(RuntimeError):
    """A take folder that cannot be written or read. The message is meant for the user."""


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _atomic_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, default=_json_default)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _json_default(obj: Any):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _finite_pose(pose: FramePose) -> bool:
    return all(a is None or bool(np.isfinite(a).all())
               for a in (pose.joints_3d, pose.keypoints_2d, pose.root_position))


def _round(a: np.ndarray | None, nd: int) -> list | None:
    """Flat list of ``a`` rounded to ``nd`` decimals, None for NaN/inf (JSON has none).
    Vectorised: it runs for every recorded frame on the live thread."""
    if a is None:
        return None
    a = np.asarray(a, dtype=np.float64).ravel()
    finite = np.isfinite(a)
    out = np.round(np.where(finite, a, 0.0), nd).tolist()
    if not finite.all():
        out = [v if ok else None for v, ok in zip(out, finite.tolist())]
    return out


class TakeWriter:
    """Appends frames to a take folder as they arrive.

    Every frame is written and flushed at once; the file is fsynced about once a second,
    so a crash loses at most the last second. A write error (full disk, folder removed)
    raises TakeError once; everything written before stays readable.
    """

    def __init__(self, folder: str | os.PathLike, *, name: str | None = None,
                 source: str = "", fps: float = 30.0, image_size: tuple[int, int] = (0, 0),
                 parameters: dict | None = None, sync_interval: float = 1.0):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise TakeError(f"take folder already exists: {self.folder}") from None
        except OSError as exc:
            raise TakeError(f"cannot create take folder {self.folder}: {exc.strerror}") from None
        self.meta = {
            "version": TAKE_VERSION, "name": name or self.folder.name, "created": _now(),
            "source": str(source), "fps": float(fps), "image_size": list(image_size),
            "parameters": parameters or {}, "status": "recording", "frame_count": 0,
        }
        self._sync_interval = sync_interval
        self._last_sync = time.monotonic()
        self.frame_count = 0
        self.failed: str | None = None
        try:
            _atomic_json(self.folder / "take.json", self.meta)
            self._fh = open(self.folder / "frames.jsonl", "a", encoding="utf-8")
        except OSError as exc:
            raise TakeError(f"cannot write take in {self.folder}: {exc.strerror}") from None

    def append(self, pose: FramePose) -> None:
        if self._fh is None:
            raise TakeError("take is closed" if self.failed is None else self.failed)
        rec = {"i": pose.index, "t": round(float(pose.timestamp), 6),
               "size": list(pose.image_size), "valid": bool(pose.has_person)}
        if pose.has_person and not _finite_pose(pose):
            # a NaN/inf pose is never stored as a valid frame: kept as "nobody", saying why
            rec.update(valid=False, dropped="non-finite pose")
        elif pose.has_person:
            rec["j3"] = _round(pose.joints_3d, 5)
            rec["kp"] = _round(pose.keypoints_2d, 2)
            rec["vis"] = _round(pose.visibility, 3)
            if pose.box is not None:
                rec["box"] = _round(pose.box, 1)
            if pose.root_position is not None:
                rec["root"] = _round(pose.root_position, 5)
            if pose.detector_3d is not None:
                rec["w3"] = _round(pose.detector_3d, 4)
            if pose.hands_3d is not None:       # left, right; null where a hand is unseen
                rec["h3"] = _round(pose.hands_3d, 4)
                if pose.hands_2d is not None:
                    rec["h2"] = _round(pose.hands_2d, 2)
                if pose.hands_held is not None and pose.hands_held.any():
                    rec["hh"] = [int(x) for x in pose.hands_held]   # held, not seen
            if pose.hand_sides is not None:     # what the hand model says of the sides
                rec["hs"] = _round(pose.hand_sides, 3)
        line = json.dumps(rec, separators=(",", ":")) + "\n"
        try:
            self._fh.write(line)
            self._fh.flush()
            now = time.monotonic()
            if now - self._last_sync >= self._sync_interval:
                os.fsync(self._fh.fileno())
                self._last_sync = now
        except OSError as exc:
            self._fail(exc)
        self.frame_count += 1

    def _fail(self, exc: OSError) -> None:
        why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        self.failed = f"recording stopped: {why} ({self.folder})"
        try:
            self._fh.close()
        except OSError:
            pass
        self._fh = None
        raise TakeError(self.failed) from None

    def close(self, refined: PoseSequence | None = None, status: str = "complete") -> Path:
        """Finish the take: write poses.npz (raw, and refined when given) and take.json.
        Safe to call after a write failure: it then keeps what frames.jsonl holds."""
        if self._fh is not None:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except OSError:
                pass
            self._fh.close()
            self._fh = None
        try:
            raw = _sequence_from_jsonl(self.folder / "frames.jsonl", self.meta["fps"],
                                       tuple(self.meta["image_size"]))
            save_sequences(self.folder / "poses.npz", raw, refined)
            self.meta.update(status=status if self.failed is None else "stopped",
                             frame_count=len(raw), closed=_now())
            if self.failed:
                self.meta["error"] = self.failed
            _atomic_json(self.folder / "take.json", self.meta)
        except OSError as exc:
            # frames.jsonl is still there: load_take recovers from it
            raise TakeError(f"take kept as frames only, could not finish it: {exc.strerror}") \
                from None
        return self.folder


def save_sequences(path: Path, raw: PoseSequence, refined: PoseSequence | None = None) -> None:
    arrays = {}
    for prefix, seq in (("raw_", raw), ("refined_", refined)):
        if seq is None:
            continue
        arrays.update({prefix + "timestamps": seq.timestamps, prefix + "joints_3d": seq.joints_3d,
                       prefix + "keypoints_2d": seq.keypoints_2d,
                       prefix + "visibility": seq.visibility, prefix + "valid": seq.valid})
        if seq.root_positions is not None:
            arrays[prefix + "root_positions"] = seq.root_positions
        if seq.detector_3d is not None:
            arrays[prefix + "detector_3d"] = seq.detector_3d
        for name in ("hands_2d", "hands_3d", "finger_angles", "hands_held", "hand_sides"):
            if getattr(seq, name) is not None:
                arrays[prefix + name] = getattr(seq, name)
    arrays["fps"] = np.array(raw.fps)
    arrays["image_size"] = np.array(raw.image_size)
    tmp = path.with_name(path.name + ".part.npz")
    try:
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)      # a full disk gets its space back
        raise


def _sequence_from_npz(path: Path, prefix: str) -> PoseSequence | None:
    with np.load(path, allow_pickle=False) as z:
        if prefix + "timestamps" not in z:
            return None
        roots = z[prefix + "root_positions"] if prefix + "root_positions" in z else None
        det3 = z[prefix + "detector_3d"] if prefix + "detector_3d" in z else None
        hands = {n: z[prefix + n] for n in ("hands_2d", "hands_3d", "finger_angles",
                                            "hands_held", "hand_sides")
                 if prefix + n in z}          # takes before hands have none of these
        if "hands_held" in hands:
            hands["hands_held"] = hands["hands_held"].astype(bool)
        return PoseSequence(z[prefix + "timestamps"], z[prefix + "joints_3d"],
                            z[prefix + "keypoints_2d"], z[prefix + "visibility"],
                            z[prefix + "valid"].astype(bool), float(z["fps"]),
                            tuple(int(v) for v in z["image_size"]), roots, det3, **hands)


def _sequence_from_jsonl(path: Path, fps: float, image_size: tuple[int, int]) -> PoseSequence:
    frames = []
    if path.exists():
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    frames.append(_frame_from_record(json.loads(line), image_size))
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue  # a line cut off by a crash, zero-filled or otherwise damaged
    return PoseSequence.from_frames(frames, fps)


def _arr(values, shape) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], float).reshape(shape)


def _frame_from_record(rec: dict, image_size) -> FramePose:
    size = tuple(rec.get("size") or image_size)
    if not rec.get("valid"):
        return FramePose(int(rec["i"]), float(rec["t"]), size)
    root = _arr(rec["root"], (3,)) if rec.get("root") else None
    box = _arr(rec["box"], (4,)) if rec.get("box") else None
    det3 = _arr(rec["w3"], (NUM_JOINTS, 3)) if rec.get("w3") else None
    h3 = _arr(rec["h3"], (2, 21, 3)) if rec.get("h3") else None
    h2 = _arr(rec["h2"], (2, 21, 2)) if rec.get("h2") and h3 is not None else None
    held = (np.array(rec["hh"], bool).reshape(2) if rec.get("hh") and h3 is not None
            else None)
    sides = _arr(rec["hs"], (2, 2)) if rec.get("hs") else None
    return FramePose(int(rec["i"]), float(rec["t"]), size, box,
                     _arr(rec["kp"], (NUM_JOINTS, 2)), _arr(rec["vis"], (NUM_JOINTS,)),
                     _arr(rec["j3"], (NUM_JOINTS, 3)), root, detector_3d=det3,
                     hands_2d=h2, hands_3d=h3, hands_held=held, hand_sides=sides)


def load_take(path: str | os.PathLike, which: str = "best") -> tuple[PoseSequence, dict]:
    """Read a take folder (or a bare poses.npz). ``which``: "raw", "refined", or "best"
    (refined when the take has it). A take cut off by a crash is recovered from its
    frames.jsonl and marked ``status: recovered``."""
    path = Path(path)
    if path.is_file() and path.suffix == ".npz":
        folder, npz, meta = path.parent, path, {"name": path.stem, "status": "complete"}
    elif path.is_dir():
        folder, npz = path, path / "poses.npz"
        meta = _read_meta(folder)
        if meta is None:
            raise TakeError(f"not a take folder (no take.json): {folder}")
    else:
        raise TakeError(f"take not found: {path}")
    if npz.exists():
        try:
            raw = _sequence_from_npz(npz, "raw_")
            refined = _sequence_from_npz(npz, "refined_")
        except Exception as exc:  # zip/npz damage of any kind
            if not (folder / "frames.jsonl").exists():
                raise TakeError(f"take data is damaged and cannot be recovered: {npz} ({exc})") \
                    from None
            raw, refined = None, None
        if raw is not None:
            if which == "raw" or refined is None:
                return raw, meta
            return refined, meta
    jsonl = folder / "frames.jsonl"
    if not jsonl.exists():
        raise TakeError(f"take has no poses: {folder}")
    seq = _sequence_from_jsonl(jsonl, meta["fps"], tuple(meta["image_size"]))
    if meta.get("status") == "recording":
        meta = dict(meta, status="recovered")
    return seq, meta


def _read_meta(folder: Path) -> dict | None:
    """take.json as a dict; a take whose take.json is missing or damaged (but which holds
    poses) gets ``status: damaged metadata``; None for a folder that is not a take."""
    damaged = {"name": folder.name, "status": "damaged metadata"}
    try:
        meta = json.loads((folder / "take.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        has_poses = (folder / "frames.jsonl").exists() or (folder / "poses.npz").exists()
        meta = damaged if has_poses else None
    except (OSError, ValueError):    # JSON or UTF-8 damage
        meta = damaged
    if meta is None:
        return None
    if not isinstance(meta, dict):
        meta = damaged
    meta = dict(meta)
    try:
        meta["fps"] = float(meta.get("fps", 30.0))
        size = tuple(int(v) for v in meta.get("image_size", (0, 0)))
        meta["image_size"] = list(size) if len(size) == 2 else [0, 0]
    except (TypeError, ValueError):
        meta.update(damaged, fps=30.0, image_size=[0, 0])
    if not np.isfinite(meta["fps"]) or meta["fps"] <= 0:
        meta["fps"] = 30.0
    return meta


def recover_take(folder: str | os.PathLike) -> Path:
    """Finish a take left in "recording" state by a crash: rebuild poses.npz from
    frames.jsonl and mark it recovered."""
    folder = Path(folder)
    seq, meta = load_take(folder)
    save_sequences(folder / "poses.npz", seq)
    meta.update(status="recovered", frame_count=len(seq), recovered=_now())
    _atomic_json(folder / "take.json", meta)
    return folder


def find_takes(root: str | os.PathLike) -> list[dict]:
    """Takes under ``root`` (one level), newest first, with their metadata and folder.
    Damaged folders are listed with a status saying so rather than hidden."""
    out = []
    root = Path(root)
    if not root.is_dir():
        return out
    for folder in root.iterdir():
        meta = _read_meta(folder) if folder.is_dir() else None
        if meta is None:
            continue
        meta["folder"] = str(folder)
        out.append(meta)
    out.sort(key=lambda m: str(m.get("created", "")), reverse=True)
    return out
