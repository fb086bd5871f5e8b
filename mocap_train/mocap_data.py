"""Real motion capture mapped onto the app's 25 joints, for training and testing lifters.

Sources (``shared_data_dir()/mocap``, licences in its README and in ``models/LIFTER_CARD.md``):

* ``bandai1`` / ``bandai2``: Bandai Namco Research Motion Datasets 1 and 2 (BVH, cm, Y up,
  30 fps, CC BY-NC 4.0). Group = style (``normal``, ``elderly``...).
* ``cmu``: CMU Graphics Lab clips from three public conversions (cgspeed DAZ 43-joint,
  cm, Y up; cgspeed 3dsMax 31-joint, CMU units, Y up; Reallusion CC_Base 100-joint, cm,
  **Z up**). Group = CMU subject number. The MuJoCo position tracks (16 physics-model
  sites, no ears/heels/toes/hands, 10 short clips) are *not* used: their sites do not
  match the detector's landmarks and they would add < 1 % of the frames.
* ``deepmimic``: DeepMimic humanoid clips (root position + quaternions per joint, m, Y up).
  Group = clip name.

Every clip is read with ``mocap_app.core.bvh`` (or the JSON-ish DeepMimic format),
placed by forward kinematics, mapped onto ``core.skeleton.JOINT_NAMES``, converted to
metres with Y up, resampled to 30 fps by linear interpolation and cached as float32 npz.

Mapping (app joint <- dataset joints); "mid(a, b)" is the midpoint:

=============  ===============  ==================  ==================  ================  ===============
app joint      Bandai           CMU DAZ             CMU 3dsMax          CMU CC_Base       DeepMimic
=============  ===============  ==================  ==================  ================  ===============
l/r hip        UpperLeg_L/R     lThigh/rThigh       LeftHip/RightHip    L/R_Thigh         left/right_hip
l/r knee       LowerLeg_L/R     lShin/rShin         LeftKnee            L/R_Calf          *_knee
l/r ankle      Foot_L/R         lFoot/rFoot         LeftAnkle           L/R_Foot          *_ankle
l/r toe        Toes + 5 cm (a)  lFoot End Site      LeftToe End Site    L/R_ToeBase+5 cm  box tip (d)
l/r heel       foot frame (b)   foot frame (b)      foot frame (b)      foot frame (b)    box back (d)
l/r shoulder   UpperArm_L/R     lShldr/rShldr       LeftShoulder        L/R_Upperarm      *_shoulder
l/r elbow      LowerArm_L/R     lForeArm/rForeArm   LeftElbow           L/R_Forearm       *_elbow
l/r wrist      Hand_L/R         lHand/rHand         LeftWrist           L/R_Hand          *_wrist
l/r hand       wrist + 8 cm (c) mid(Index1,Pinky1)  LFingers/RFingers   mid(Index1,Pinky1) wrist + 8 cm (c)
head, nose,    head frame (e)   head frame (e)      head frame (e)      head frame (e)    neck frame (d)
ears
pelvis         mid(hips); spine = mid(pelvis, neck); neck = mid(shoulders) (all sources, as in
               ``core/skeleton.py``)
=============  ===============  ==================  ==================  ================  ===============

(a) The toe landmark of BlazePose is the tip of the foot. Where the dataset stops at the
    ball of the foot, the tip is placed 5 cm further along the toe bone, in the toe
    joint's own frame (the bone direction continued).
(b) Heel = ankle - 5 cm along the foot's level forward axis + 6 cm along its down axis.
    Down = world down expressed in the foot's frame, averaged over the clip's frames (feet
    are mostly flat); level forward = the ankle->ball (or End Site) bone in the foot's
    frame, made orthogonal to down. Calibrated per clip so it works for any rest pose.
(c) Knuckle midpoint 8 cm beyond the wrist, along the forearm bone direction expressed in
    the wrist's own frame (a straight hand at rest).
(d) DeepMimic's character file gives the bodies: the foot box spans x = -4.4..13.4 cm
    (forward), 5 cm deep; toe = ankle + R(13, -4, 0) cm, heel = ankle + R(-4, -4.5, 0) cm;
    the head sphere sits 17.5 cm above the neck joint: ears at that centre +/- 7.5 cm
    sideways, nose 10 cm forward and 2 cm down.
(e) Head frame: up = the head bone's direction (head joint offset from its parent, in the
    head's frame), forward = the torso's forward (cross(left - right shoulder, up)) expressed
    in the head's frame and averaged over the clip, made orthogonal to up. Head centre (ear
    level) = head joint + 4 cm up (BVH head joints sit at the top of the neck); ears =
    centre +/- 7.5 cm sideways, nose = centre + 10 cm forward - 2 cm up.
"""
from __future__ import annotations

import hashlib
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from mocap_app.core.bvh import BVHMotion, read_bvh
from mocap_app.core.paths import cache_dir, shared_data_dir
from mocap_app.core.skeleton import J, NUM_JOINTS

TARGET_FPS = 30.0
CACHE_VERSION = 2
ARCHIVES = ("bandai_namco_1.tar.xz", "bandai_namco_2.tar.xz", "cmu.tar.xz", "deepmimic.tar.xz")
SPLITS = ("train", "val", "test")

#: Held-out groups (whole styles / subjects). Bandai "old" (dataset 1) and "elderly"
#: (dataset 2) are the same idea of a style, so both go to test together.
TEST_GROUPS = {"bandai1": {"old"}, "bandai2": {"elderly"}, "cmu": {"94", "7"}}
VAL_GROUPS = {"bandai1": {"childish"}, "bandai2": {"youthful"}, "cmu": {"131", "61"}}
#: DeepMimic clips are split by a hash of the clip name (deterministic).
DEEPMIMIC_VAL_TEST_PERCENT = (10, 15)


@dataclass(frozen=True)
class Clip:
    """One motion-capture clip on the app's skeleton."""
    name: str            # unique, e.g. "bandai2/dataset-2_walk_normal_001"
    source: str          # "bandai1" | "bandai2" | "cmu" | "deepmimic"
    group: str           # style (Bandai), CMU subject number, or clip name (DeepMimic)
    fps: float           # always TARGET_FPS after loading
    joints: np.ndarray   # (T, 25, 3) float32 metres, Y up, world placement kept

    @property
    def style(self) -> str:
        return self.group

    @property
    def subject(self) -> str:
        return self.group

    def __len__(self) -> int:
        return self.joints.shape[0]


# --------------------------------------------------------------------------- geometry

def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _apply(rot: np.ndarray, v: np.ndarray) -> np.ndarray:
    """rot (T, 3, 3) applied to one local vector (3,) or per-frame vectors (T, 3)."""
    if v.ndim == 1:
        return rot @ v
    return np.einsum("tij,tj->ti", rot, v)


def _calibrated_axis(rot: np.ndarray, world_dirs: np.ndarray, ortho_to: np.ndarray) -> np.ndarray:
    """Average of world directions (T, 3) seen in a joint's frame (T, 3, 3), orthogonal to
    the local unit vector ``ortho_to``."""
    local = np.einsum("tji,tj->i", rot, _unit(world_dirs))      # sum_t R^T d
    local -= ortho_to * (local @ ortho_to)
    return _unit(local)


class _Rig:
    """World transforms of a parsed BVH, in file units and file axes."""

    def __init__(self, motion: BVHMotion):
        self.m = motion
        self.rot, self.pos = motion.world_transforms()     # (T, N, 3, 3), (T, N, 3)
        self.names = motion.names

    def p(self, name: str) -> np.ndarray:
        return self.pos[:, self.names.index(name)]

    def r(self, name: str) -> np.ndarray:
        return self.rot[:, self.names.index(name)]

    def offset(self, name: str) -> np.ndarray:
        return self.m.joints[self.names.index(name)].offset

    def end(self, name: str) -> np.ndarray:
        j = self.names.index(name)
        return self.pos[:, j] + self.rot[:, j] @ self.m.joints[j].end_site

    def along(self, name: str, length: float) -> np.ndarray:
        """Point ``length`` (file units) beyond joint ``name`` along its own bone direction
        (its offset from its parent, expressed in its own frame)."""
        return self.p(name) + length * _apply(self.r(name), _unit(self.offset(name)))


def _finish_body(out: dict[str, np.ndarray]) -> None:
    out["pelvis"] = 0.5 * (out["left_hip"] + out["right_hip"])
    out["neck"] = 0.5 * (out["left_shoulder"] + out["right_shoulder"])
    out["spine"] = 0.5 * (out["pelvis"] + out["neck"])


def _head_points(rig: _Rig, head: str, out: dict, unit: float) -> None:
    """Nose, ears and head centre from the head joint's frame (note (e))."""
    rot = rig.r(head)
    up_l = _unit(rig.offset(head))
    up_w = out["neck"] - out["pelvis"]
    fwd_w = np.cross(out["left_shoulder"] - out["right_shoulder"], up_w)
    fwd_l = _calibrated_axis(rot, fwd_w, up_l)
    left_l = np.cross(up_l, fwd_l)
    base = rig.p(head)
    up, fwd, left = (_apply(rot, a) for a in (up_l, fwd_l, left_l))
    centre = base + 0.04 / unit * up
    out["head"] = centre
    out["nose"] = centre + (0.10 * fwd - 0.02 * up) / unit
    out["left_ear"] = centre + 0.075 / unit * left
    out["right_ear"] = centre - 0.075 / unit * left


def _heel_point(ankle, rot, fwd_l, down_w, unit):
    """ankle - 5 cm along the foot's level forward + 6 cm along its calibrated down."""
    down_l = _unit(np.einsum("tji,tj->i", rot, down_w))
    level_l = _unit(fwd_l - down_l * (fwd_l @ down_l))
    return ankle + (-0.05 * _apply(rot, level_l) + 0.06 * _apply(rot, down_l)) / unit


def _up_axis(rig: _Rig) -> int:
    """1 if the file's motion is Y up, 2 if Z up (measured from the head over the hips)."""
    d = np.mean(rig.pos.max(axis=1) - rig.pos.min(axis=1), axis=0)   # body extent per axis
    return 1 if d[1] >= d[2] else 2


def _heel(rig: _Rig, foot: str, ball: str, up_axis: int, unit: float) -> np.ndarray:
    """Heel from the foot joint's frame (note (b))."""
    rot = rig.r(foot)
    fwd_l = _unit(rig.offset(ball))
    down_w = np.zeros((rot.shape[0], 3))
    down_w[:, up_axis] = -1.0
    return _heel_point(rig.p(foot), rot, fwd_l, down_w, unit)


def _heel_from_end(rig: _Rig, foot: str, up_axis: int, unit: float) -> np.ndarray:
    """Heel for a foot whose only forward cue is its End Site (DAZ)."""
    j = rig.names.index(foot)
    rot = rig.r(foot)
    fwd_l = _unit(rig.m.joints[j].end_site)
    down_w = np.zeros((rot.shape[0], 3))
    down_w[:, up_axis] = -1.0
    return _heel_point(rig.p(foot), rot, fwd_l, down_w, unit)


# --------------------------------------------------------------------------- mappings

def _map_bandai(rig: _Rig) -> dict[str, np.ndarray]:
    u = 0.01
    o: dict[str, np.ndarray] = {}
    for side, s in (("left", "L"), ("right", "R")):
        o[f"{side}_hip"] = rig.p(f"UpperLeg_{s}")
        o[f"{side}_knee"] = rig.p(f"LowerLeg_{s}")
        o[f"{side}_ankle"] = rig.p(f"Foot_{s}")
        o[f"{side}_toe"] = rig.along(f"Toes_{s}", 0.05 / u)
        o[f"{side}_heel"] = _heel(rig, f"Foot_{s}", f"Toes_{s}", 1, u)
        o[f"{side}_shoulder"] = rig.p(f"UpperArm_{s}")
        o[f"{side}_elbow"] = rig.p(f"LowerArm_{s}")
        o[f"{side}_wrist"] = rig.p(f"Hand_{s}")
        o[f"{side}_hand"] = rig.along(f"Hand_{s}", 0.08 / u)
    _finish_body(o)
    _head_points(rig, "Head", o, u)
    return o


def _map_daz(rig: _Rig) -> dict[str, np.ndarray]:
    u = 0.01
    o: dict[str, np.ndarray] = {}
    for side, s in (("left", "l"), ("right", "r")):
        o[f"{side}_hip"] = rig.p(f"{s}Thigh")
        o[f"{side}_knee"] = rig.p(f"{s}Shin")
        o[f"{side}_ankle"] = rig.p(f"{s}Foot")
        o[f"{side}_toe"] = rig.end(f"{s}Foot")
        o[f"{side}_heel"] = _heel_from_end(rig, f"{s}Foot", 1, u)
        o[f"{side}_shoulder"] = rig.p(f"{s}Shldr")
        o[f"{side}_elbow"] = rig.p(f"{s}ForeArm")
        o[f"{side}_wrist"] = rig.p(f"{s}Hand")
        o[f"{side}_hand"] = 0.5 * (rig.p(f"{s}Index1") + rig.p(f"{s}Pinky1"))
    _finish_body(o)
    _head_points(rig, "head", o, u)
    return o


#: CMU's ASF length unit: (1/0.45) inch.
CMU_MAX_UNIT = 0.0254 / 0.45


def _map_cmu_max(rig: _Rig) -> dict[str, np.ndarray]:
    u = CMU_MAX_UNIT
    o: dict[str, np.ndarray] = {}
    for side, s, h in (("left", "Left", "L"), ("right", "Right", "R")):
        o[f"{side}_hip"] = rig.p(f"{s}Hip")
        o[f"{side}_knee"] = rig.p(f"{s}Knee")
        o[f"{side}_ankle"] = rig.p(f"{s}Ankle")
        o[f"{side}_toe"] = rig.end(f"{s}Toe")
        o[f"{side}_heel"] = _heel(rig, f"{s}Ankle", f"{s}Toe", 1, u)
        o[f"{side}_shoulder"] = rig.p(f"{s}Shoulder")
        o[f"{side}_elbow"] = rig.p(f"{s}Elbow")
        o[f"{side}_wrist"] = rig.p(f"{s}Wrist")
        o[f"{side}_hand"] = rig.end(f"{h}Fingers")
    _finish_body(o)
    _head_points(rig, "Head", o, u)
    return o


def _map_cc_base(rig: _Rig) -> dict[str, np.ndarray]:
    u = 0.01
    o: dict[str, np.ndarray] = {}
    for side, s in (("left", "L"), ("right", "R")):
        c = f"CC_Base_{s}_"
        o[f"{side}_hip"] = rig.p(c + "Thigh")
        o[f"{side}_knee"] = rig.p(c + "Calf")
        o[f"{side}_ankle"] = rig.p(c + "Foot")
        o[f"{side}_toe"] = rig.along(c + "ToeBase", 0.05 / u)
        o[f"{side}_heel"] = _heel(rig, c + "Foot", c + "ToeBase", _up_axis(rig), u)
        o[f"{side}_shoulder"] = rig.p(c + "Upperarm")
        o[f"{side}_elbow"] = rig.p(c + "Forearm")
        o[f"{side}_wrist"] = rig.p(c + "Hand")
        o[f"{side}_hand"] = 0.5 * (rig.p(c + "Index1") + rig.p(c + "Pinky1"))
    _finish_body(o)
    _head_points(rig, "CC_Base_Head", o, u)
    return o


def _stack(o: dict[str, np.ndarray], unit: float) -> np.ndarray:
    """Stack in app joint order, scale to metres, and turn Z-up data to Y up.

    The up axis is measured, not assumed: the CC_Base files are Z-up in their rest pose
    but their root rotation already turns the motion Y-up, so a fixed flip would be wrong.
    """
    from mocap_app.core.skeleton import JOINT_NAMES
    x = np.stack([o[n] for n in JOINT_NAMES], axis=1) * unit    # (T, 25, 3) metres
    up = np.mean(x[:, J["neck"]] - x[:, J["pelvis"]], axis=0)
    if abs(up[2]) > abs(up[1]) and up[2] > 0:   # Z up, right-handed -> (x, z, -y)
        x = np.stack([x[..., 0], x[..., 2], -x[..., 1]], axis=-1)
    return x


def bvh_to_app(motion: BVHMotion, skeleton: str) -> np.ndarray:
    """Map a parsed BVH of a known skeleton ("bandai", "daz", "cmu_max", "cc_base") onto
    the app joints: (T, 25, 3) metres, Y up, at the file's frame rate."""
    rig = _Rig(motion)
    if skeleton == "bandai":
        return _stack(_map_bandai(rig), 0.01)
    if skeleton == "daz":
        return _stack(_map_daz(rig), 0.01)
    if skeleton == "cmu_max":
        return _stack(_map_cmu_max(rig), CMU_MAX_UNIT)
    if skeleton == "cc_base":
        return _stack(_map_cc_base(rig), 0.01)
    raise ValueError(f"unknown skeleton {skeleton!r}")


def detect_skeleton(motion: BVHMotion) -> str:
    names = set(motion.names)
    if "UpperLeg_L" in names:
        return "bandai"
    if "lShldr" in names:
        return "daz"
    if "LeftHip" in names and "LFingers" in names:
        return "cmu_max"
    if "CC_Base_L_Thigh" in names:
        return "cc_base"
    raise ValueError("unknown BVH skeleton")


# --------------------------------------------------------------------------- DeepMimic

def _quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """(T, 4) quaternions w, x, y, z -> (T, 3, 3)."""
    q = _unit(q)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], axis=-2)


def _rot_z(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    r = np.zeros((len(angle), 3, 3))
    r[:, 0, 0], r[:, 0, 1], r[:, 1, 0], r[:, 1, 1], r[:, 2, 2] = c, -s, s, c, 1
    return r


def deepmimic_to_app(frames: np.ndarray, character: dict) -> np.ndarray:
    """DeepMimic humanoid frames (T, 44) -> (T, 25, 3) metres, Y up (faces +X, left -Z)."""
    joints = character["Skeleton"]["Joints"]
    t = frames.shape[0]
    rot, pos, k = {}, {}, 4
    rot["root"], pos["root"] = _quat_to_matrix(frames[:, 4:8]), frames[:, 1:4]
    k = 8
    for j in joints[1:]:
        name, parent = j["Name"], joints[j["Parent"]]["Name"]
        if j["Type"] == "spherical":
            local = _quat_to_matrix(frames[:, k:k + 4])
            k += 4
        elif j["Type"] == "revolute":
            local = _rot_z(frames[:, k])
            k += 1
        else:
            local = np.broadcast_to(np.eye(3), (t, 3, 3))
        attach = np.array([j["AttachX"], j["AttachY"], j["AttachZ"]])
        pos[name] = pos[parent] + rot[parent] @ attach
        rot[name] = rot[parent] @ local
    o: dict[str, np.ndarray] = {}
    for side in ("left", "right"):
        for part in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist"):
            o[f"{side}_{part}"] = pos[f"{side}_{part}"]
        ra = rot[f"{side}_ankle"]
        o[f"{side}_toe"] = pos[f"{side}_ankle"] + ra @ np.array([0.13, -0.04, 0.0])
        o[f"{side}_heel"] = pos[f"{side}_ankle"] + ra @ np.array([-0.04, -0.045, 0.0])
        o[f"{side}_hand"] = pos[f"{side}_wrist"] + rot[f"{side}_wrist"] @ np.array([0, -0.08, 0])
    _finish_body(o)
    rn, c = rot["neck"], pos["neck"] + rot["neck"] @ np.array([0, 0.175, 0])
    o["head"] = c
    o["nose"] = c + rn @ np.array([0.10, -0.02, 0.0])
    o["left_ear"] = c + rn @ np.array([0.0, 0.0, -0.075])
    o["right_ear"] = c + rn @ np.array([0.0, 0.0, 0.075])
    return _stack(o, 1.0)


def read_deepmimic(path: Path, character: dict) -> tuple[np.ndarray, float]:
    """(joints (T, 25, 3) metres, fps) of one DeepMimic motion file."""
    data = json.loads(Path(path).read_text())
    frames = np.asarray(data["Frames"], dtype=np.float64)
    if frames.ndim != 2 or frames.shape[1] != 44:
        raise ValueError(f"{path.name}: not a humanoid3d motion")
    dt = float(np.median(frames[:, 0][frames[:, 0] > 0])) if np.any(frames[:, 0] > 0) else 1 / 30
    return deepmimic_to_app(frames, character), 1.0 / dt


# --------------------------------------------------------------------------- resampling

def resample(joints: np.ndarray, fps: float, target: float = TARGET_FPS) -> np.ndarray:
    """Linear interpolation in time to ``target`` fps: (T, J, 3) -> (T', J, 3)."""
    t = joints.shape[0]
    if t < 2 or abs(fps - target) < 1e-3:
        return joints
    duration = (t - 1) / fps
    new_t = np.arange(0.0, duration + 1e-9, 1.0 / target) * fps     # in source frames
    i0 = np.clip(np.floor(new_t).astype(int), 0, t - 1)
    i1 = np.clip(i0 + 1, 0, t - 1)
    w = (new_t - i0)[:, None, None]
    return joints[i0] * (1 - w) + joints[i1] * w


# --------------------------------------------------------------------------- files

def unpack_archives(root: Path | None = None, archives: Iterable[str] = ARCHIVES) -> Path:
    """Unpack the shared archives into ``cache_dir()/mocap/raw`` once (marker file per
    archive). Returns the raw folder."""
    src = shared_data_dir() / "mocap"
    raw = (root or cache_dir() / "mocap") / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in archives:
        archive = src / name
        marker = raw / f".{name}.unpacked"
        if marker.exists():
            continue
        if not archive.exists():
            raise FileNotFoundError(f"missing motion-capture archive {archive}")
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(raw, filter="data")
        marker.write_text("ok\n")
    return raw


@dataclass(frozen=True)
class ClipFile:
    path: Path
    source: str
    group: str
    kind: str           # "bvh" or "deepmimic"
    fps: float | None   # override of the file's frame rate (None: trust the file)


def list_clip_files(raw: Path) -> list[ClipFile]:
    """Every usable clip under an unpacked raw folder, sorted by path."""
    out: list[ClipFile] = []
    for ds, src in (("Bandai-Namco-Research-Motiondataset-1", "bandai1"),
                    ("Bandai-Namco-Research-Motiondataset-2", "bandai2")):
        for p in sorted((raw / ds / "data").glob("*.bvh")):
            m = re.match(r"dataset-\d_(.+)_([a-z-]+)_\d+$", p.stem)
            out.append(ClipFile(p, src, m.group(2) if m else "unknown", "bvh", None))
    cmu = raw / "cmu"
    for p in sorted((cmu / "acrnn_cgspeed_daz" / "train_data_bvh").glob("*/*.bvh")):
        kind, num = p.parent.name, int(p.stem)
        if kind == "salsa":   # files 1-15 are subject 60, 16-30 subject 61; headers say 120
            out.append(ClipFile(p, "cmu", "60" if num <= 15 else "61", "bvh", 60.0))
        else:
            out.append(ClipFile(p, "cmu", {"indian": "94", "martial": "135"}[kind], "bvh", None))
    for p in sorted((cmu / "bvh11_cgspeed_max" / "resources").glob("[0-9]*.bvh")):
        out.append(ClipFile(p, "cmu", p.stem.split("_")[0], "bvh", None))
    for p in sorted((cmu / "iclone_cc_base").rglob("*.bvh")):
        out.append(ClipFile(p, "cmu", str(int(p.parent.name)), "bvh", None))
    for p in sorted((raw / "deepmimic" / "motions").rglob("*humanoid3d_*.txt")):
        out.append(ClipFile(p, "deepmimic", p.stem, "deepmimic", None))
    return out


def split_of(source: str, group: str, name: str) -> str:
    """Deterministic split of a clip: whole held-out styles/subjects for Bandai and CMU,
    a name hash for DeepMimic."""
    if source == "deepmimic":
        h = int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) % 100
        val, test = DEEPMIMIC_VAL_TEST_PERCENT
        return "val" if h < val else "test" if h < val + test else "train"
    if group in TEST_GROUPS.get(source, ()):
        return "test"
    if group in VAL_GROUPS.get(source, ()):
        return "val"
    return "train"


def load_clip_file(cf: ClipFile, character: dict | None = None) -> np.ndarray:
    """(T, 25, 3) float32 metres at TARGET_FPS for one clip file."""
    if cf.kind == "deepmimic":
        joints, fps = read_deepmimic(cf.path, character)
    else:
        motion = read_bvh(cf.path)
        joints = bvh_to_app(motion, detect_skeleton(motion))
        fps = cf.fps or 1.0 / motion.frame_time
    return resample(joints, fps).astype(np.float32)


def _clip_name(cf: ClipFile, raw: Path) -> str:
    rel = cf.path.relative_to(raw).with_suffix("").as_posix()
    return f"{cf.source}/{rel}"


def build_cache(root: Path | None = None, progress: Callable[[str], None] | None = None) -> Path:
    """Read every clip once and write ``clips_v{CACHE_VERSION}.npz`` (concatenated frames
    plus per-clip offsets, names, sources, groups, splits)."""
    root = root or cache_dir() / "mocap"
    out = root / f"clips_v{CACHE_VERSION}.npz"
    if out.exists():
        return out
    raw = unpack_archives(root)
    char_path = raw / "deepmimic" / "characters" / "humanoid3d.txt"
    character = json.loads(char_path.read_text())
    arrays, names, sources, groups = [], [], [], []
    for cf in list_clip_files(raw):
        try:
            joints = load_clip_file(cf, character)
        except (ValueError, KeyError) as exc:   # not a humanoid / unknown rig: say so
            if progress:
                progress(f"skip {cf.path.name}: {exc}")
            continue
        if joints.shape[0] < 2 or not np.isfinite(joints).all():
            continue
        arrays.append(joints)
        names.append(_clip_name(cf, raw))
        sources.append(cf.source)
        groups.append(cf.group)
        if progress and len(arrays) % 200 == 0:
            progress(f"{len(arrays)} clips")
    lengths = np.array([a.shape[0] for a in arrays])
    tmp = out.with_name(out.stem + ".part.npz")
    np.savez(tmp, joints=np.concatenate(arrays), offsets=np.concatenate([[0], np.cumsum(lengths)]),
             names=np.array(names), sources=np.array(sources), groups=np.array(groups))
    tmp.replace(out)
    return out


_CACHE: dict[str, list[Clip]] = {}


def load_all(root: Path | None = None) -> list[Clip]:
    """Every clip (building the cache on first use)."""
    path = build_cache(root)
    key = str(path)
    if key not in _CACHE:
        d = np.load(path)
        joints, off = d["joints"], d["offsets"]      # read each array once
        _CACHE[key] = [Clip(str(n), str(s), str(g), TARGET_FPS, joints[off[i]:off[i + 1]])
                       for i, (n, s, g) in enumerate(zip(d["names"], d["sources"], d["groups"]))]
    return _CACHE[key]


def load_split(name: str, root: Path | None = None,
               sources: Iterable[str] | None = None) -> list[Clip]:
    """Clips of one split ("train", "val" or "test"), optionally of some sources only.
    Sequences keep their world placement and time order (for temporal models)."""
    if name not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {name!r}")
    keep = set(sources) if sources is not None else None
    return [c for c in load_all(root)
            if split_of(c.source, c.group, c.name) == name and (keep is None or c.source in keep)]


def load_sample_clips() -> list[Clip]:
    """The three small BVH files of ``mocap/sample`` (for quick tests; no unpacking)."""
    sample = shared_data_dir() / "mocap" / "sample"
    files = sorted(sample.glob("*.bvh"))
    if not files:
        raise FileNotFoundError(f"no sample BVH files in {sample}")
    out = []
    for p in files:
        motion = read_bvh(p)
        skel = detect_skeleton(motion)
        joints = resample(bvh_to_app(motion, skel), 1.0 / motion.frame_time).astype(np.float32)
        out.append(Clip(f"sample/{p.stem}", skel, p.stem, TARGET_FPS, joints))
    return out
