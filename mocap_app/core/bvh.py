"""BVH files: a fast parser for any BVH (ours and the motion-capture datasets'), forward
kinematics, and a writer. Numpy only.

The third-party ``bvh`` package is slow and drops a last frame with no newline; it is
used only in tests, to check our files from the outside.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .rotations import euler_to_matrix


class BVHError(ValueError):
    """A BVH file that cannot be parsed."""


@dataclass
class BVHJoint:
    name: str
    parent: int                      # index into BVHMotion.joints, -1 for the root
    offset: np.ndarray               # (3,) in file units
    channels: list[str] = field(default_factory=list)   # e.g. ["Xposition", ..., "Yrotation"]
    end_site: np.ndarray | None = None  # (3,) offset of an End Site child, if any

    @property
    def rotation_order(self) -> str:
        return "".join(c[0].upper() for c in self.channels if c.endswith("rotation"))


@dataclass
class BVHMotion:
    joints: list[BVHJoint]
    frame_time: float
    motion: np.ndarray               # (T, total channels) as in the file

    @property
    def names(self) -> list[str]:
        return [j.name for j in self.joints]

    @property
    def num_frames(self) -> int:
        return self.motion.shape[0]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def channel_slices(self) -> list[slice]:
        out, k = [], 0
        for j in self.joints:
            out.append(slice(k, k + len(j.channels)))
            k += len(j.channels)
        return out

    def local_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame local rotation (T, N, 3, 3) and translation (T, N, 3) of every joint.

        A joint with position channels uses them as its translation (replacing OFFSET, as
        Blender and most tools do); others use OFFSET.
        """
        t, n = self.num_frames, len(self.joints)
        rot = np.broadcast_to(np.eye(3), (t, n, 3, 3)).copy()
        trans = np.zeros((t, n, 3))
        for ji, (joint, sl) in enumerate(zip(self.joints, self.channel_slices())):
            values = self.motion[:, sl]
            trans[:, ji] = joint.offset
            pos = [c for c in joint.channels if c.endswith("position")]
            if pos:
                for axis in "XYZ":
                    name = axis + "position"
                    if name in joint.channels:
                        trans[:, ji, "XYZ".index(axis)] = values[:, joint.channels.index(name)]
            rot_idx = [k for k, c in enumerate(joint.channels) if c.endswith("rotation")]
            if rot_idx:
                rot[:, ji] = euler_to_matrix(values[:, rot_idx], joint.rotation_order)
        return rot, trans

    def world_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """Global rotation (T, N, 3, 3) and position (T, N, 3) of every joint."""
        rot, trans = self.local_transforms()
        g_rot = np.empty_like(rot)
        g_pos = np.empty_like(trans)
        for ji, joint in enumerate(self.joints):
            if joint.parent < 0:
                g_rot[:, ji] = rot[:, ji]
                g_pos[:, ji] = trans[:, ji]
            else:
                p = joint.parent
                g_rot[:, ji] = g_rot[:, p] @ rot[:, ji]
                g_pos[:, ji] = g_pos[:, p] + np.einsum("tij,tj->ti", g_rot[:, p], trans[:, ji])
        return g_rot, g_pos

    def world_positions(self) -> np.ndarray:
        """(T, N, 3) world positions of every joint, in file units."""
        return self.world_transforms()[1]

    def end_site_positions(self) -> dict[str, np.ndarray]:
        """World positions (T, 3) of each End Site, keyed by its joint's name."""
        g_rot, g_pos = self.world_transforms()
        return {j.name: g_pos[:, i] + g_rot[:, i] @ j.end_site
                for i, j in enumerate(self.joints) if j.end_site is not None}


def parse_bvh(text: str) -> BVHMotion:
    """Parse BVH text. Raises BVHError with a line-free message on malformed input."""
    tokens = text.split()
    pos = 0
    joints: list[BVHJoint] = []
    stack: list[int] = []

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise BVHError("unexpected end of BVH file")
        pos += 1
        return tokens[pos - 1]

    def floats(n: int) -> np.ndarray:
        try:
            return np.array([float(take()) for _ in range(n)])
        except ValueError as exc:
            raise BVHError(f"bad number in BVH file: {exc}") from None

    if take().upper() != "HIERARCHY":
        raise BVHError("not a BVH file (no HIERARCHY)")
    while True:
        tok = take()
        up = tok.upper()
        if up in ("ROOT", "JOINT"):
            name = take()
            if take() != "{":
                raise BVHError(f"expected '{{' after joint {name}")
            parent = stack[-1] if stack else -1
            joints.append(BVHJoint(name, parent, np.zeros(3)))
            stack.append(len(joints) - 1)
        elif up == "END":
            take()  # "Site"
            if take() != "{" or take().upper() != "OFFSET":
                raise BVHError("malformed End Site")
            joints[stack[-1]].end_site = floats(3)
            if take() != "}":
                raise BVHError("malformed End Site")
        elif up == "OFFSET":
            joints[stack[-1]].offset = floats(3)
        elif up == "CHANNELS":
            try:
                n = int(take())
            except ValueError:
                raise BVHError("bad CHANNELS count") from None
            joints[stack[-1]].channels = [take() for _ in range(n)]
        elif tok == "}":
            if not stack:
                raise BVHError("unbalanced braces in BVH hierarchy")
            stack.pop()
        elif up == "MOTION":
            break
        else:
            raise BVHError(f"unexpected token {tok!r} in BVH hierarchy")
    if stack or not joints:
        raise BVHError("unbalanced braces in BVH hierarchy")
    if take().upper() != "FRAMES:":
        raise BVHError("missing 'Frames:' line")
    n_frames = int(take())
    if take().upper() != "FRAME" or take().upper() != "TIME:":
        raise BVHError("missing 'Frame Time:' line")
    frame_time = float(take())
    n_channels = sum(len(j.channels) for j in joints)
    values = tokens[pos:]
    if len(values) < n_frames * n_channels:
        raise BVHError(f"BVH says {n_frames} frames but holds "
                       f"{len(values) // max(n_channels, 1)}")
    motion = np.array(values[: n_frames * n_channels], dtype=np.float64)
    return BVHMotion(joints, frame_time, motion.reshape(n_frames, n_channels))


def read_bvh(path: str | os.PathLike) -> BVHMotion:
    return parse_bvh(Path(path).read_text(encoding="utf-8", errors="replace"))


def format_bvh(m: BVHMotion, decimals: int = 6) -> str:
    """BVH text for a motion. ``Frame Time`` is written with 8 decimals."""
    out = io.StringIO()
    out.write("HIERARCHY\n")
    children: dict[int, list[int]] = {i: [] for i in range(len(m.joints))}
    for i, j in enumerate(m.joints):
        if j.parent >= 0:
            children[j.parent].append(i)

    def vec(v: np.ndarray) -> str:
        return " ".join(f"{x:.{decimals}f}" for x in v)

    order: list[int] = []       # the hierarchy's depth-first order: the MOTION columns'

    def write(i: int, depth: int) -> None:
        order.append(i)
        j = m.joints[i]
        pad = "  " * depth
        out.write(f"{pad}{'ROOT' if j.parent < 0 else 'JOINT'} {j.name}\n{pad}{{\n")
        out.write(f"{pad}  OFFSET {vec(j.offset)}\n")
        out.write(f"{pad}  CHANNELS {len(j.channels)} {' '.join(j.channels)}\n")
        for c in children[i]:
            write(c, depth + 1)
        if j.end_site is not None:
            out.write(f"{pad}  End Site\n{pad}  {{\n{pad}    OFFSET {vec(j.end_site)}\n"
                      f"{pad}  }}\n")
        out.write(f"{pad}}}\n")

    for i, j in enumerate(m.joints):
        if j.parent < 0:
            write(i, 0)
    out.write(f"MOTION\nFrames: {m.num_frames}\nFrame Time: {m.frame_time:.8f}\n")
    # joints listed parents-first but not depth-first (bones added after the body's)
    # have their channels moved to where the hierarchy puts them
    slices = m.channel_slices()
    columns = np.concatenate([np.arange(slices[i].start, slices[i].stop) for i in order]
                             ) if order else np.arange(0)
    for row in m.motion[:, columns]:
        out.write(" ".join(f"{x:.{decimals}f}" for x in row))
        out.write("\n")
    return out.getvalue()


def write_bvh_file(m: BVHMotion, path: str | os.PathLike) -> None:
    """Write atomically: a failure (full disk, no permission) never leaves half a file
    under the final name."""
    path = Path(path)
    text = format_bvh(m)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
