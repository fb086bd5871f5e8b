"""App-skeleton motion onto anny's CMU rig: one world rotation per bone (numpy only).

Each anny bone gets a world rotation ``G`` (anny's "world-orient" pose parameters are
``G @ rest_orientation``; a bone's head follows its parent). ``G`` maps a frame measured on the
body's REST pose to the same frame measured on the source frame: its first axis is the bone's
app segment (e.g. left_hip->left_knee), its second the twist reference made orthogonal to it
(``frame_from_axes``), with the same definitions on both sides (``RETARGET`` lists them). Limb
bones start and end at app joints, so their directions come out exact. The trunk has no app
joint between pelvis and neck, so its rotations are then corrected: the trunk turns about the
LowerBack head until the posed neck lies on the source's pelvis->neck ray, and the clavicles
roll until the shoulder line matches (iterated, each step shrinks the other's error). The foot
is corrected until the skinned heel->toe matches (the heel is skinned 10 % to the shin).

Twists the app skeleton cannot see: a straight arm keeps the twist of anny's rest arm carried
by the smallest swing with the chest; the forearm turns about the elbow hinge of the upper arm
(no pronation); the hand takes the smallest swing from the forearm. Where a twist reference
vanishes (straight leg with the foot in line, foot pointed along the shin) it hands over
smoothly to the rest reference carried by the parent (``_steady``). Toes bend up at the ball
when the foot points down near the floor (``TOE_BEND_DEG``), as they do at toe-off.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from mocap_app.core.rotations import frame_from_axes, normalize, rotation_between
from mocap_app.core.skeleton import J

#: Every anny bone: (bone, driver, direction, twist reference). Bones that share a driver
#: share its rotation; "(follows ...)" bones are rigid with another.
RETARGET: tuple[tuple[str, str, str, str], ...] = (
    ("Hips", "pelvis", "right_hip->left_hip", "pelvis->neck"),
    ("LHipJoint", "pelvis", "(follows Hips)", ""),
    ("RHipJoint", "pelvis", "(follows Hips)", ""),
    ("LowerBack", "lower_back", "slerp(pelvis, chest, 1/3)", "then turned with the chest"),
    ("Spine", "spine", "slerp(pelvis, chest, 2/3)", "then turned with the chest"),
    ("Spine1", "chest", "pelvis->neck", "right_shoulder->left_shoulder"),
    ("LeftShoulder", "clavicles", "(follows Spine1, rolled until the shoulder line matches)", ""),
    ("RightShoulder", "clavicles", "(follows Spine1, rolled until the shoulder line matches)", ""),
    ("Neck", "neck", "slerp(chest, head, 1/3)", ""),
    ("Neck1", "neck1", "slerp(chest, head, 2/3)", ""),
    ("Head", "head", "right_ear->left_ear", "head->nose"),
) + tuple(row for s, S in (("left", "Left"), ("right", "Right")) for row in (
    (f"{S}Arm", f"{s}_upper_arm", f"{s}_shoulder->{s}_elbow",
     "elbow bend (-forearm ⊥ upper arm); straight: rest arm swung with the chest"),
    (f"{S}ForeArm", f"{s}_forearm", f"{s}_elbow->{s}_wrist", "elbow hinge axis of the upper arm"),
    (f"{S}Hand", f"{s}_hand", f"{s}_wrist->{s}_hand", "smallest swing from the forearm"),
    (f"{S[0]}Thumb", f"{s}_hand", "(follows the hand)", ""),
    (f"{S}FingerBase", f"{s}_hand", "(follows the hand)", ""),
    (f"{S}HandFinger1", f"{s}_hand", "(follows the hand)", ""),
    (f"{S}UpLeg", f"{s}_thigh", f"{s}_hip->{s}_knee",
     "knee front: -(shin ⊥ thigh) + 0.25 (heel->toe ⊥ thigh)"),
    (f"{S}Leg", f"{s}_shin", f"{s}_knee->{s}_ankle", f"{s}_heel->{s}_toe"),
    (f"{S}Foot", f"{s}_foot", f"{s}_heel->{s}_toe", f"{s}_heel->{s}_ankle"),
    (f"{S}ToeBase", f"{s}_toes", "(follows the foot, bent up at the ball when the foot points",
     "down near the floor: toe-off)"),
))
SIDES = (("left", "Left"), ("right", "Right"))
STRAIGHT_DEG = (10.0, 30.0)     # elbow bends between which the bend plane takes over the twist
#: toes bend up by (foot pitch below horizontal - first value), at most the second value, in
#: full while the source toe is within TOE_FLOOR_M[0] of the floor, not at all from
#: TOE_FLOOR_M[1] up: a rigid foot pointed down at toe-off pushes its toes 4-5 cm into the floor
TOE_BEND_DEG = (10.0, 60.0)
TOE_FLOOR_M = (0.04, 0.12)


@dataclass(frozen=True)
class RestRig:
    """One body at rest, in the axes of the source joints."""
    bone_labels: tuple[str, ...]
    parents: tuple[int, ...]    # each bone's parent (-1: the root); parents come first
    heads: np.ndarray           # (B, 3) rest bone heads
    up: np.ndarray              # (3,) the world's up in these axes
    joints: np.ndarray          # (25, 3) rest app joints, the source's definitions
    #: skinned points (heels, toes): name -> (m (B,), q (B, 3)) so that the posed point is
    #: sum_b G_b q_b + m_b head_b (m: the point's skinning weight per bone)
    points: dict

    def index(self, bone: str) -> int:
        return self.bone_labels.index(bone)


def fk_heads(G: np.ndarray, rig: RestRig, root: np.ndarray | None = None) -> np.ndarray:
    """Posed bone heads (T, B, 3) for world rotations G (T, B, 3, 3); the root's head at
    ``root`` (T, 3) or the origin."""
    pos = np.zeros(G.shape[:2] + (3,))
    if root is not None:
        pos[:, 0] = root
    for c, p in enumerate(rig.parents):
        if p >= 0:
            pos[:, c] = pos[:, p] + G[:, p] @ (rig.heads[c] - rig.heads[p])
    return pos


def skinned_point(G: np.ndarray, heads: np.ndarray, rig: RestRig, name: str) -> np.ndarray:
    """A linear-blend-skinned point (T, 3) of ``rig.points`` under the pose (G, heads)."""
    m, q = rig.points[name]
    return np.einsum("tbij,bj->ti", G, q) + np.einsum("b,tbi->ti", m, heads)


def _align(primary, secondary, rest_primary, rest_secondary) -> np.ndarray:
    """World rotation (T, 3, 3) taking the rest frame onto the target frame."""
    target = frame_from_axes(primary, secondary, 0, 1)
    rest = frame_from_axes(np.asarray(rest_primary, float), np.asarray(rest_secondary, float), 0, 1)
    return target @ rest.swapaxes(-1, -2)


def _slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    rel = Rotation.from_matrix(a.swapaxes(-1, -2) @ b).as_rotvec()
    return a @ Rotation.from_rotvec(t * rel).as_matrix()


def _perp(v: np.ndarray, unit_axis: np.ndarray) -> np.ndarray:
    return v - np.sum(v * unit_axis, axis=-1, keepdims=True) * unit_axis


def _onto_ray(pivot, moving, origin, direction) -> np.ndarray:
    """Rotation (T, 3, 3) about ``pivot`` that puts ``moving`` on the ray origin + s*direction
    (s > 0, direction unit)."""
    v, w = moving - pivot, origin - pivot
    wu = np.sum(w * direction, axis=-1)
    s = -wu + np.sqrt(np.maximum(wu ** 2 - np.sum(w * w, -1) + np.sum(v * v, -1), 0.0))
    return rotation_between(v, w + s[:, None] * direction)


def _assign(drivers: dict, rig: RestRig, frames: int) -> np.ndarray:
    """(T, B, 3, 3) world rotations from the drivers (identity where not known yet)."""
    G = np.tile(np.eye(3), (frames, len(rig.bone_labels), 1, 1))
    for bone, driver, _, _ in RETARGET:
        if driver in drivers:
            G[:, rig.index(bone)] = drivers[driver]
    return G


def _bend_weight(sin_bend: np.ndarray) -> np.ndarray:
    lo, hi = np.sin(np.radians(STRAIGHT_DEG))
    t = np.clip((sin_bend - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def bone_rotations(source: np.ndarray, rig: RestRig, iterations: int = 3) -> np.ndarray:
    """World rotations (T, B, 3, 3) of every rig bone for source joints (T, 25, 3), both in
    the rig's axes."""
    T = len(source)

    def seg(a, b):
        return source[:, J[b]] - source[:, J[a]]

    def rest(a, b):
        return rig.joints[J[b]] - rig.joints[J[a]]

    def head(frame_heads, bone):
        return frame_heads[:, rig.index(bone)]

    d = {}
    pn, sl = seg("pelvis", "neck"), seg("right_shoulder", "left_shoulder")
    d["pelvis"] = _align(seg("right_hip", "left_hip"), pn, rest("right_hip", "left_hip"),
                         rest("pelvis", "neck"))
    d["chest"] = _align(pn, sl, rest("pelvis", "neck"), rest("right_shoulder", "left_shoulder"))
    d["clavicles"] = d["chest"]
    d["lower_back"] = _slerp(d["pelvis"], d["chest"], 1 / 3)
    d["spine"] = _slerp(d["pelvis"], d["chest"], 2 / 3)
    for _ in range(iterations):
        pos = fk_heads(_assign(d, rig, T), rig)
        roll = rotation_between(head(pos, "LeftArm") - head(pos, "RightArm"), sl)
        d["clavicles"] = roll @ d["clavicles"]
        pos = fk_heads(_assign(d, rig, T), rig)
        neck = 0.5 * (head(pos, "LeftArm") + head(pos, "RightArm"))
        pelvis = 0.5 * (head(pos, "LeftUpLeg") + head(pos, "RightUpLeg"))
        turn = _onto_ray(head(pos, "LowerBack"), neck, pelvis, normalize(pn))
        for k in ("lower_back", "spine", "chest", "clavicles"):
            d[k] = turn @ d[k]

    d["head"] = _align(seg("right_ear", "left_ear"), seg("head", "nose"),
                       rest("right_ear", "left_ear"), rest("head", "nose"))
    d["neck"] = _slerp(d["chest"], d["head"], 1 / 3)
    d["neck1"] = _slerp(d["chest"], d["head"], 2 / 3)

    toe_bend = {}
    for s, _ in SIDES:
        up, fa = seg(f"{s}_shoulder", f"{s}_elbow"), seg(f"{s}_elbow", f"{s}_wrist")
        r_up, r_fa = rest(f"{s}_shoulder", f"{s}_elbow"), rest(f"{s}_elbow", f"{s}_wrist")
        back = -_perp(normalize(fa), normalize(up))              # |back| = sin(elbow bend)
        r_back = -_perp(normalize(r_fa), normalize(r_up))
        carried = rotation_between(d["chest"] @ r_up, up) @ d["chest"] @ normalize(r_back)
        w = _bend_weight(np.linalg.norm(back, axis=-1))[:, None]
        ref = _steady(w * normalize(back) + (1 - w) * carried, carried)
        d[f"{s}_upper_arm"] = _align(up, ref, r_up, r_back)
        hinge = d[f"{s}_upper_arm"] @ normalize(np.cross(r_up, r_fa))
        d[f"{s}_forearm"] = _align(fa, hinge, r_fa, normalize(np.cross(r_up, r_fa)))
        r_hand = rest(f"{s}_wrist", f"{s}_hand")
        d[f"{s}_hand"] = (rotation_between(d[f"{s}_forearm"] @ r_hand,
                                           seg(f"{s}_wrist", f"{s}_hand")) @ d[f"{s}_forearm"])

        th, sh = seg(f"{s}_hip", f"{s}_knee"), seg(f"{s}_knee", f"{s}_ankle")
        ft, fu = seg(f"{s}_heel", f"{s}_toe"), seg(f"{s}_heel", f"{s}_ankle")
        r_th, r_sh = rest(f"{s}_hip", f"{s}_knee"), rest(f"{s}_knee", f"{s}_ankle")
        r_ft, r_fu = rest(f"{s}_heel", f"{s}_toe"), rest(f"{s}_heel", f"{s}_ankle")
        r_front = _knee_front(r_th, r_sh, r_ft)
        carried = rotation_between(d["pelvis"] @ r_th, th) @ d["pelvis"] @ normalize(r_front)
        d[f"{s}_thigh"] = _align(th, _steady(_knee_front(th, sh, ft), carried), r_th, r_front)
        toes_ahead = _perp(normalize(ft), normalize(sh))     # short when the foot is pointed
        d[f"{s}_shin"] = _align(sh, _steady(toes_ahead, d[f"{s}_thigh"] @ normalize(r_ft)),
                                r_sh, r_ft)
        d[f"{s}_foot"] = _align(ft, fu, r_ft, r_fu)
        toe_bend[s] = _toe_bend(source, s, rig.up, r_ft, r_fu)
        d[f"{s}_toes"] = d[f"{s}_foot"] @ toe_bend[s]

    for _ in range(3):      # heel skinned partly to the shin, toes bent: turn the foot to fit
        G = _assign(d, rig, T)
        pos = fk_heads(G, rig)
        for s, _ in SIDES:
            now = skinned_point(G, pos, rig, f"{s}_toe") - skinned_point(G, pos, rig, f"{s}_heel")
            d[f"{s}_foot"] = rotation_between(now, seg(f"{s}_heel", f"{s}_toe")) @ d[f"{s}_foot"]
            d[f"{s}_toes"] = d[f"{s}_foot"] @ toe_bend[s]
    missing = {driver for _, driver, _, _ in RETARGET} - set(d)
    assert not missing, missing
    return _assign(d, rig, T)


def _toe_bend(source: np.ndarray, side: str, up: np.ndarray, r_foot, r_foot_up) -> np.ndarray:
    """Rotations (T, 3, 3) of the toes relative to the foot, about the rest foot's lateral
    axis (``TOE_BEND_DEG``). The floor is the 5th percentile of the clip's lowest heel/toe."""
    low = np.min([source[:, J[f"{s}_{p}"]] @ up
                  for s in ("left", "right") for p in ("heel", "toe")], axis=0)
    foot = normalize(source[:, J[f"{side}_toe"]] - source[:, J[f"{side}_heel"]])
    pitch = np.degrees(np.arcsin(np.clip(-(foot @ up), -1.0, 1.0)))       # pointing down: > 0
    height = source[:, J[f"{side}_toe"]] @ up - np.percentile(low, 5)
    near = np.clip((TOE_FLOOR_M[1] - height) / (TOE_FLOOR_M[1] - TOE_FLOOR_M[0]), 0.0, 1.0)
    angle = np.radians(np.clip(pitch - TOE_BEND_DEG[0], 0.0, TOE_BEND_DEG[1])) * near
    axis = normalize(np.cross(r_foot, r_foot_up))          # turning forward towards up
    return Rotation.from_rotvec(angle[:, None] * axis).as_matrix()


def _steady(ref: np.ndarray, fallback: np.ndarray, short: float = 0.1) -> np.ndarray:
    """A twist reference that turns smoothly into the unit ``fallback`` as it gets shorter
    than ``short`` (where it would stop defining a direction)."""
    n = np.linalg.norm(ref, axis=-1, keepdims=True)
    return ref + np.clip(1 - n / short, 0.0, 1.0) * fallback


def _knee_front(thigh, shin, foot) -> np.ndarray:
    """Where the kneecap points, orthogonal to the thigh: away from the bent shin, plus a
    little of the foot's forward so that a straight leg still has a twist."""
    t = normalize(thigh)
    return -_perp(normalize(shin), t) + 0.25 * _perp(normalize(foot), t)
