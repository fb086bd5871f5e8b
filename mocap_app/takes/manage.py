"""Take-folder chores shared by the GUI and the CLI: saving an imported video as a take
(atomically), storing re-processed poses, renaming, deleting."""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
from pathlib import Path

from .take import TakeError, save_sequences

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def unique_take_folder(root: Path, name: str) -> Path:
    """``root/<name>_<date-time>`` that does not exist yet."""
    root = Path(root)
    base = _UNSAFE.sub("_", name).strip("._") or "take"
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = root / f"{base}_{stamp}"
    n = 2
    while folder.exists() or (root / f".{folder.name}.part").exists():
        folder = root / f"{base}_{stamp}_{n}"
        n += 1
    return folder


def save_offline_take(folder: Path, result, parameters: dict) -> Path:
    """Write an OfflineResult as a take. Written into a hidden ``.NAME.part`` folder and
    renamed at the end, so a failure leaves no half take in the list."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.part")
    try:
        tmp.mkdir()
        save_sequences(tmp / "poses.npz", result.raw, result.refined)
        _write_json(tmp / "take.json", {
            "version": 1, "name": folder.name, "created": _now(), "source": result.source,
            "video": str(Path(result.source).resolve()), "kind": "import",
            "fps": result.raw.fps, "image_size": list(result.raw.image_size),
            "frame_count": result.frames, "status": "complete", "parameters": parameters,
            # a stretch of the file: the file's frame the take's first frame is
            "first_frame": int(result.info.get("first_frame", 0))})
        os.replace(tmp, folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TakeError(f"could not save the take in {folder.parent}: "
                        f"{exc.strerror or exc}") from None
    return folder


def store_refined(folder: Path, raw, refined, note: str) -> None:
    """Replace a take's refined poses (raw kept) and note how they were made."""
    folder = Path(folder)
    save_sequences(folder / "poses.npz", raw, refined)
    meta_path = folder / "take.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.setdefault("parameters", {})["refinement"] = note
    meta["reprocessed"] = _now()
    _write_json(meta_path, meta)


def rename_take(folder: Path, new_name: str) -> Path:
    """Rename a take: its display name in take.json and its folder. Returns the new
    folder."""
    folder = Path(folder)
    new_name = new_name.strip()
    if not new_name:
        raise TakeError("a take name cannot be empty")
    target = folder.with_name(_UNSAFE.sub("_", new_name).strip("._") or "take")
    if target != folder and target.exists():
        raise TakeError(f"a take named {target.name!r} already exists")
    meta_path = folder / "take.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["name"] = new_name
    _write_json(meta_path, meta)
    if target != folder:
        os.replace(folder, target)
    return target


def delete_take(folder: Path) -> None:
    folder = Path(folder)
    if not (folder / "take.json").exists():
        raise TakeError(f"not a take folder: {folder}")
    shutil.rmtree(folder)


def take_video(folder: Path, meta: dict) -> tuple[Path, int] | None:
    """The video that goes with a take and the video's frame that is the take's first:
    its recorded video.avi (from its start), or the imported file (from the stretch's
    first frame when only a stretch of it was processed)."""
    folder = Path(folder)
    own = folder / "video.avi"
    if own.exists() and own.stat().st_size > 0:
        return own, 0
    for key in ("video", "source"):
        value = meta.get(key)
        if value and Path(value).is_file():
            try:
                first = max(0, int(meta.get("first_frame") or 0))
            except (TypeError, ValueError):       # a hand-edited take.json
                first = 0
            return Path(value), first
    return None
