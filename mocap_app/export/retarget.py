"""Retargeting the app's 3D joints onto an animation rig: bone lengths, a T-pose rest,
full local rotations per bone and the root trajectory. Numpy only.

The rig (Mixamo names; see ``presets.py`` for the others) is chosen so that every bone's
head is an app joint or a fixed function of them, so forward kinematics of the exported
file gives back the app's joints exactly whenever the take's bone lengths are constant:

    Hips (pelvis) -> Spine (pelvis) -> Spine1 (spine) -> Spine2 (mid spine-neck)
      -> Neck (neck) -> Head (ear midpoint) -> HeadTop_End (above the head, head frame)
      Spine2 -> LeftShoulder (neck) -> LeftArm (shoulder) -> LeftForeArm (elbow)
        -> LeftHand (wrist) -> LeftHandMiddle1 (knuckle midpoint)
      Hips -> LeftUpLeg (hip) -> LeftLeg (knee) -> LeftFoot (ankle) -> LeftToeBase (toe)

``Spine`` starts at the pelvis because the angle between the hip line and the spine is a
free degree of freedom of the app's skeleton: a single rigid Hips bone cannot carry both.

Rotations: each bone's world frame is built from an aim (towards its child) and a twist
reference, and its world rotation is ``F(t) @ F(rest).T`` with the same construction on
the rest pose, so it maps every rest offset onto the current bone direction. Twist
references: pelvis from the hip line, chest from the shoulder line (Spine1 halfway),
neck halfway to the ear line, head from the ears and nose, upper arms and thighs from the
elbow/knee bend plane (blending into a minimal-twist swing from the parent when the limb
is straight, so a straight arm never flips), forearms, shins and hands from the elbow/knee
hinge, feet from heel and toe.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.pose import PoseSequence
from ..core.rotations import frame_from_axes, matrix_to_euler, normalize, rotation_between
from ..core.skeleton import J, NUM_JOINTS
from .fingers import (finger_rig, finger_world_rotations, palm_normals,
                      twist_hands_to_palms)
from .options import ExportOptions
from .presets import bone_name
from .timing import (kept_frames, output_times, resample_joints,  # noqa: F401  (re-exported)
                     take_frame_rate)

#: Canonical rig bones (Mixamo names) and their parents, parents first.
_SIDES = ("Left", "Right")
BONES: tuple[str, ...] = (
    "Hips", "Spine", "Spine1", "Spine2", "Neck", "Head", "HeadTop_End",
    *(s + b for s in _SIDES for b in ("Shoulder", "Arm", "ForeArm", "Hand", "HandMiddle1")),
    *(s + b for s in _SIDES for b in ("UpLeg", "Leg", "Foot", "ToeBase")),
)
_PARENT_NAME = {"Spine": "Hips", "Spine1": "Spine", "Spine2": "Spine1", "Neck": "Spine2",
                "Head": "Neck", "HeadTop_End": "Head"}
for _s in _SIDES:
    _PARENT_NAME.update({_s + "Shoulder": "Spine2", _s + "Arm": _s + "Shoulder",
                         _s + "ForeArm": _s + "Arm", _s + "Hand": _s + "ForeArm",
                         _s + "HandMiddle1": _s + "Hand", _s + "UpLeg": "Hips",
                         _s + "Leg": _s + "UpLeg", _s + "Foot": _s + "Leg",
                         _s + "ToeBase": _s + "Foot"})
B = {name: i for i, name in enumerate(BONES)}
PARENTS: tuple[int, ...] = tuple(B[_PARENT_NAME[n]] if n in _PARENT_NAME else -1 for n in BONES)

#: Bones whose head is an app joint (for tests: these must equal the input joints).
BONE_APP_JOINT: dict[str, int] = {"Hips": J["pelvis"], "Spine": J["pelvis"],
                                  "Spine1": J["spine"], "Neck": J["neck"], "Head": J["head"]}
for _s, _side in (("Left", "left_"), ("Right", "right_")):
    BONE_APP_JOINT.update({_s + "Shoulder": J["neck"], _s + "Arm": J[_side + "shoulder"],
                           _s + "ForeArm": J[_side + "elbow"], _s + "Hand": J[_side + "wrist"],
                           _s + "HandMiddle1": J[_side + "hand"], _s + "UpLeg": J[_side + "hip"],
                           _s + "Leg": J[_side + "knee"], _s + "Foot": J[_side + "ankle"],
                           _s + "ToeBase": J[_side + "toe"]})

# Rest directions of the limbs (T-pose: arms along +-X, legs down) and of the natural
# bend: elbows bend the forearm forward (+Z), knees bend the shin backward (-Z).
_LIMB_REST = {"LeftArm": ((1, 0, 0), (0, 0, 1)), "RightArm": ((-1, 0, 0), (0, 0, 1)),
              "LeftUpLeg": ((0, -1, 0), (0, 0, -1)), "RightUpLeg": ((0, -1, 0), (0, 0, -1))}
_STRAIGHT_LIMB_WEIGHT = 0.2   # sin(bend angle) below which the swing fallback dominates


@dataclass(frozen=True)
class Rig:
    """A rig fitted to one take, in metres: T-pose rest of the app joints and bone offsets."""
    rest_joints: np.ndarray     # (NUM_JOINTS, 3) app joints in the T-pose, pelvis at origin
    offsets: np.ndarray         # (len(BONES), 3) head of each bone relative to its parent
    end_sites: np.ndarray       # (len(BONES), 3) End Site offset (non-zero on leaf bones)
    rest_frames: np.ndarray     # (len(BONES), 3, 3) F(rest) of every bone
    head_top: float             # height of HeadTop_End above the head joint


@dataclass(frozen=True)
class Retargeted:
    """A take on the rig, in output units (``ExportOptions.unit``), Y up, facing +Z."""
    names: tuple[str, ...]          # bone names in the chosen preset
    parents: tuple[int, ...]
    offsets: np.ndarray             # (N, 3) rest offsets; the root's is 0 0 0
    end_sites: np.ndarray           # (N, 3)
    root_positions: np.ndarray      # (T, 3) world position of the Hips
    local_euler: np.ndarray         # (T, N, 3) degrees, ZXY channel order, unwrapped
    world_rotations: np.ndarray     # (T, N, 3, 3)
    positions: np.ndarray           # (T, N, 3) world head of every bone (what FK gives)
    fps: float
    filled_frames: int              # output frames interpolated or held (no person)

    @property
    def frame_time(self) -> float:
        return 1.0 / self.fps


# --------------------------------------------------------------------------- rig

def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c = np.sum(normalize(a) * normalize(b), axis=-1)
    return np.arccos(np.clip(c, -1.0, 1.0))


def _median_length(x: np.ndarray, a: int, b: int) -> float:
    return float(np.median(np.linalg.norm(x[:, b] - x[:, a], axis=-1)))


def _bone_heads(x: np.ndarray) -> np.ndarray:
    """World heads (..., len(BONES), 3) of the bones that sit on app joints (HeadTop_End
    gets the head joint here; its real place comes from the head's rotation)."""
    heads = np.empty(x.shape[:-2] + (len(BONES), 3))
    for name, j in BONE_APP_JOINT.items():
        heads[..., B[name], :] = x[..., j, :]
    heads[..., B["Spine2"], :] = 0.5 * (x[..., J["spine"], :] + x[..., J["neck"], :])
    heads[..., B["HeadTop_End"], :] = x[..., J["head"], :]
    return heads


def build_rig(joints: np.ndarray) -> Rig:
    """Fit a rig (T-pose rest from median bone lengths) to (T, NUM_JOINTS, 3) joints in
    metres with no NaN."""
    x = np.asarray(joints, float)
    L = lambda a, b: _median_length(x, J[a], J[b])  # noqa: E731
    rest = np.zeros((NUM_JOINTS, 3))
    half_hips = 0.5 * L("left_hip", "right_hip")
    rest[J["left_hip"]] = (half_hips, 0, 0)
    rest[J["right_hip"]] = (-half_hips, 0, 0)
    rest[J["spine"]] = (0, L("pelvis", "spine"), 0)
    rest[J["neck"]] = rest[J["spine"]] + (0, L("spine", "neck"), 0)
    rest[J["head"]] = rest[J["neck"]] + (0, L("neck", "head"), 0)
    half_ears = 0.5 * L("left_ear", "right_ear")
    rest[J["left_ear"]] = rest[J["head"]] + (half_ears, 0, 0)
    rest[J["right_ear"]] = rest[J["head"]] - (half_ears, 0, 0)
    # the nose's pitch below the ear line, measured in a frame of ear line and neck->head
    head_frame = frame_from_axes(x[:, J["left_ear"]] - x[:, J["right_ear"]],
                                 x[:, J["head"]] - x[:, J["neck"]], 0, 1)
    nose_local = np.einsum("tji,tj->ti", head_frame, x[:, J["nose"]] - x[:, J["head"]])
    pitch = float(np.median(np.arctan2(nose_local[:, 1], nose_local[:, 2])))
    nose_len = L("head", "nose")
    rest[J["nose"]] = rest[J["head"]] + nose_len * np.array([0, np.sin(pitch), np.cos(pitch)])
    for side, sign in (("left_", 1.0), ("right_", -1.0)):
        p = rest[J["neck"]]
        for a, b in (("neck", "shoulder"), ("shoulder", "elbow"), ("elbow", "wrist"),
                     ("wrist", "hand")):
            a_name = a if a == "neck" else side + a
            p = p + (sign * L(a_name, side + b), 0, 0)
            rest[J[side + b]] = p
        rest[J[side + "knee"]] = rest[J[side + "hip"]] - (0, L(side + "hip", side + "knee"), 0)
        ankle = rest[J[side + "knee"]] - (0, L(side + "knee", side + "ankle"), 0)
        rest[J[side + "ankle"]] = ankle
        shin = x[:, J[side + "ankle"]] - x[:, J[side + "knee"]]
        to_toe = x[:, J[side + "toe"]] - x[:, J[side + "ankle"]]
        to_heel = x[:, J[side + "heel"]] - x[:, J[side + "ankle"]]
        beta = float(np.median(_angle(shin, to_toe)))      # foot below the horizontal
        theta = float(np.median(_angle(to_toe, to_heel)))  # heel behind the toe
        toe_dir = np.array([0, -np.cos(beta), np.sin(beta)])
        c, s = np.cos(theta), np.sin(theta)
        heel_dir = np.array([0, toe_dir[1] * c - toe_dir[2] * s, toe_dir[1] * s + toe_dir[2] * c])
        rest[J[side + "toe"]] = ankle + L(side + "ankle", side + "toe") * toe_dir
        rest[J[side + "heel"]] = ankle + L(side + "ankle", side + "heel") * heel_dir

    ear_width = 2 * half_ears
    head_top = float(np.clip(0.8 * ear_width, 0.08, 0.2))
    heads = _bone_heads(rest)
    offsets = np.zeros((len(BONES), 3))
    for b, p in enumerate(PARENTS):
        if p >= 0:
            offsets[b] = heads[b] - heads[p]
    offsets[B["HeadTop_End"]] = (0, head_top, 0)
    end_sites = np.zeros((len(BONES), 3))
    end_sites[B["HeadTop_End"]] = (0, 0.25 * head_top, 0)
    for side, sign in (("Left", 1.0), ("Right", -1.0)):
        hand = np.linalg.norm(offsets[B[side + "HandMiddle1"]])
        end_sites[B[side + "HandMiddle1"]] = (sign * max(0.5 * hand, 0.02), 0, 0)
        foot = offsets[B[side + "ToeBase"]]
        end_sites[B[side + "ToeBase"]] = 0.25 * foot if np.linalg.norm(foot) > 1e-6 else (0, 0, 0.03)
    identity = np.broadcast_to(np.eye(3), (1, len(BONES), 3, 3))
    rest_frames = np.stack([_rest_frame(b, rest, identity) for b in range(len(BONES))])
    return Rig(rest, offsets, end_sites, rest_frames, head_top)


def _rest_frame(b: int, rest: np.ndarray, identity: np.ndarray) -> np.ndarray:
    """F(rest) of a bone (every rest world rotation is the identity by construction).
    NaN when it cannot be built: the bone then always keeps its parent's rotation."""
    f = _bone_frame(b, rest[None], identity)
    if f is None:
        return np.eye(3)
    if not np.linalg.det(f[0]) > 0.5:
        return np.full((3, 3), np.nan)
    return f[0]


# --------------------------------------------------------------------------- rotations

def _bone_frame(b: int, x: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """World frame F (T, 3, 3) of bone ``b`` from joints x (T, NUM_JOINTS, 3), given the
    world rotations g (T, N, 3, 3) of the bones before it. None: the bone keeps its
    parent's rotation (leaf bones)."""
    name = BONES[b]
    p = lambda n: x[:, J[n]]  # noqa: E731
    hip_line = p("left_hip") - p("right_hip")
    shoulder_line = p("left_shoulder") - p("right_shoulder")
    ear_line = p("left_ear") - p("right_ear")
    if name == "Hips":
        return frame_from_axes(hip_line, p("spine") - p("pelvis"), 0, 1)
    if name == "Spine":
        return frame_from_axes(p("spine") - p("pelvis"), hip_line, 1, 0)
    if name == "Spine1":
        return frame_from_axes(p("neck") - p("spine"),
                               normalize(hip_line) + normalize(shoulder_line), 1, 0)
    if name == "Spine2":
        return frame_from_axes(p("neck") - p("spine"), shoulder_line, 1, 0)
    if name == "Neck":
        return frame_from_axes(p("head") - p("neck"),
                               normalize(shoulder_line) + normalize(ear_line), 1, 0)
    if name == "Head":
        return frame_from_axes(ear_line, p("nose") - p("head"), 0, 2)
    if name in ("HeadTop_End", "LeftHandMiddle1", "RightHandMiddle1", "LeftToeBase",
                "RightToeBase"):
        return None
    side = "Left" if name.startswith("Left") else "Right"
    s = side.lower() + "_"
    part = name[len(side):]
    if part == "Shoulder":
        chest_up = g[:, B["Spine2"]] @ np.array([0.0, 1.0, 0.0])
        return frame_from_axes(p(s + "shoulder") - p("neck"), chest_up, 0, 1)
    if part in ("Arm", "UpLeg"):
        a, m, e = ("shoulder", "elbow", "wrist") if part == "Arm" else ("hip", "knee", "ankle")
        aim = normalize(p(s + m) - p(s + a))
        lower = normalize(p(s + e) - p(s + m))
        rest_aim, rest_bend = (np.array(v, float) for v in _LIMB_REST[name])
        g_parent = g[:, PARENTS[b]]
        swing = rotation_between(g_parent @ rest_aim, aim)
        fallback = np.einsum("tij,tj->ti", swing, g_parent @ rest_bend)
        bend = lower - np.sum(lower * aim, axis=-1, keepdims=True) * aim
        return frame_from_axes(aim, bend + _STRAIGHT_LIMB_WEIGHT * fallback, 0, 2)
    if part in ("ForeArm", "Hand", "Leg"):
        a, c, upper_bone = {"ForeArm": ("elbow", "wrist", "Arm"), "Hand": ("wrist", "hand", "Arm"),
                            "Leg": ("knee", "ankle", "UpLeg")}[part]
        rest_aim, rest_bend = (np.array(v, float) for v in _LIMB_REST[side + upper_bone])
        hinge = g[:, PARENTS[b]] @ np.cross(rest_bend, rest_aim)
        return frame_from_axes(p(s + c) - p(s + a), hinge, 0, 1)
    if part == "Foot":
        return frame_from_axes(p(s + "toe") - p(s + "ankle"), p(s + "ankle") - p(s + "heel"), 2, 1)
    raise AssertionError(name)


def world_rotations(rig: Rig, joints: np.ndarray) -> np.ndarray:
    """World rotation (T, N, 3, 3) of every bone, mapping rest offsets onto the take's
    bone directions. A frame that cannot be built (a zero-length aim, collinear points)
    keeps the parent's rotation for that bone."""
    x = np.asarray(joints, float)
    t = len(x)
    g = np.zeros((t, len(BONES), 3, 3))
    for b, parent in enumerate(PARENTS):
        g_parent = g[:, parent] if parent >= 0 else np.broadcast_to(np.eye(3), (t, 3, 3))
        f = _bone_frame(b, x, g)
        if f is None:
            g[:, b] = g_parent
            continue
        rot = f @ rig.rest_frames[b].T
        ok = (np.linalg.det(f) > 0.5) & np.all(np.isfinite(rot), axis=(1, 2))
        g[:, b] = np.where(ok[:, None, None], rot, g_parent)
    return g


def local_rotations(world: np.ndarray, parents: tuple[int, ...] = PARENTS) -> np.ndarray:
    """Per-bone rotation relative to the parent: (T, N, 3, 3)."""
    local = world.copy()
    for b, parent in enumerate(parents):
        if parent >= 0:
            local[:, b] = np.swapaxes(world[:, parent], -1, -2) @ world[:, b]
    return local


def unwrap_euler(euler: np.ndarray) -> np.ndarray:
    """Make Tait-Bryan angles (T, N, 3) continuous over time: each frame takes, of its
    two equivalent triples (a, b, c) and (a+180, 180-b, c+180), shifted by whole turns,
    the one closest to the previous frame. No 180 degree flips, no 360 wraps."""
    out = np.array(euler, float, copy=True)
    for t in range(1, len(out)):
        prev = out[t - 1]
        e = euler[t]
        alt = np.stack([e[..., 0] + 180.0, 180.0 - e[..., 1], e[..., 2] + 180.0], axis=-1)
        best, best_d = None, None
        for cand in (e, alt):
            cand = prev + (cand - prev + 180.0) % 360.0 - 180.0
            d = np.abs(cand - prev).sum(axis=-1)
            if best is None:
                best, best_d = cand, d
            else:
                take = d < best_d - 1e-9
                best = np.where(take[..., None], cand, best)
                best_d = np.minimum(d, best_d)
        out[t] = best
    return out


def forward_kinematics(root_positions: np.ndarray, world: np.ndarray,
                       offsets: np.ndarray, parents: tuple[int, ...] = PARENTS) -> np.ndarray:
    """World heads (T, N, 3) from the root positions (T, 3), world rotations (T, N, 3, 3)
    and rest offsets (N, 3)."""
    pos = np.zeros(world.shape[:2] + (3,))
    pos[:, 0] = root_positions
    for b, parent in enumerate(parents):
        if parent >= 0:
            pos[:, b] = pos[:, parent] + world[:, parent] @ offsets[b]
    return pos


# --------------------------------------------------------------------------- take

def _lowest_point(rel_positions: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """Per frame, the height of the lowest foot point (bone heads and heels), relative
    to the Hips: (T,)."""
    feet = [B[s + n] for s in _SIDES for n in ("Foot", "ToeBase")]
    heels = joints[:, [J["left_heel"], J["right_heel"]], 1] - joints[:, [J["pelvis"]], 1]
    return np.minimum(rel_positions[:, feet, 1].min(axis=1), heels.min(axis=1))


def retarget(seq: PoseSequence, options: ExportOptions = ExportOptions()) -> Retargeted:
    """The take on the rig, ready to write: see ``Retargeted``."""
    joints, roots, fps, filled = resample_joints(seq, options.fps)
    query = output_times(seq, options.fps)[0]
    keep = kept_frames(seq, query, options.start, options.end)
    joints = joints - joints[:, J["pelvis"]][:, None]       # root-relative, metres
    rig = build_rig(joints)                                  # the whole take's bones
    g = world_rotations(rig, joints)
    rel = forward_kinematics(np.zeros((len(joints), 3)), g, rig.offsets)
    lowest = _lowest_point(rel, joints)
    if roots is None:
        # no tracked root: stand the pelvis at its median height above the lowest foot
        root = np.zeros((len(joints), 3))
        root[:, 1] = -np.median(lowest)
    else:
        root = roots.copy()
    if options.root_motion == "ground":
        root[:, 1] = -lowest
    elif options.root_motion == "inplace":
        root[:, [0, 2]] = 0.0
    # the stretch asked for (the whole take unless told): what the rest works on
    root, g, query, filled = root[keep], g[keep], query[keep], int(filled[keep].sum())
    local = local_rotations(g)
    rest_lowest = float(_lowest_point(forward_kinematics(
        np.zeros((1, 3)), np.broadcast_to(np.eye(3), (1, len(BONES), 3, 3)), rig.offsets),
        rig.rest_joints[None] - rig.rest_joints[None, [J["pelvis"]]])[0])
    if options.tpose_frame:
        tpose_root = np.array([[root[0, 0], -rest_lowest, root[0, 2]]])
        root = np.concatenate([tpose_root, root])
        local = np.concatenate([np.broadcast_to(np.eye(3), (1,) + local.shape[1:]), local])
        g = np.concatenate([np.broadcast_to(np.eye(3), (1,) + g.shape[1:]), g])
    bones, parents = BONES, PARENTS
    rig_offsets, end_sites = rig.offsets, rig.end_sites
    if options.fingers and seq.has_hands:
        hands = finger_rig(seq, BONES, rig.offsets, query)
        angles = hands.angles
        if options.tpose_frame:     # T-pose rest: fingers straight
            angles = np.concatenate([np.zeros((1,) + angles.shape[1:]), angles])
        bones, parents = bones + hands.names, parents + hands.parents
        rig_offsets = np.concatenate([rig_offsets, hands.offsets])
        end_sites = np.concatenate([rig.end_sites, hands.end_sites])
        end_sites[[B["LeftHandMiddle1"], B["RightHandMiddle1"]]] = 0.0   # not leaves now
        normals, weights = palm_normals(seq, query)
        if options.tpose_frame:
            normals = np.concatenate([np.zeros((2, 1, 3)), normals], axis=1)
            weights = np.concatenate([np.zeros((2, 1)), weights], axis=1)
        g = twist_hands_to_palms(g, normals, weights, hands.hand_bones, rig.rest_frames)
        g = finger_world_rotations(g, angles, hands)
        local = local_rotations(g, parents)
    euler = unwrap_euler(matrix_to_euler(local, "ZXY"))
    scale = options.scale
    offsets = rig_offsets * scale
    offsets[0] = 0.0
    root = root * scale
    positions = forward_kinematics(root, g, offsets, parents)
    names = tuple(bone_name(n, options.preset) for n in bones)
    return Retargeted(names, parents, offsets, end_sites * scale, root, euler, g,
                      positions, fps, filled)


def rig_joint_positions(seq: PoseSequence, options: ExportOptions = ExportOptions()
                        ) -> tuple[np.ndarray, tuple[str, ...]]:
    """World heads (T_out, N_bones, 3) in output units (Y up, facing +Z) that forward
    kinematics of the exported file reproduces, and the bone names (in the preset)."""
    r = retarget(seq, options)
    return r.positions, r.names
