"""Retargeting a streamed pose onto the animator's armature: bone-name presets, the
mapping of stream bones to the armature's bones, and the rotations that pose it. Pure
Python (no bpy, no numpy), so it runs the same inside Blender and in the app's tests.

The stream gives each bone's world rotation ``G`` from the T-pose (app axes). For an
armature bone mapped to a stream bone:

1. ``G`` is turned into Blender's axes (``x, y, z -> x, -z, y``: Z up, facing -Y) and into
   the armature object's space;
2. the armature's rest pose need not be a T-pose: a rest correction ``Q`` turns the
   stream's rest direction of the bone (towards its child, from the rest offsets in the
   packet) onto the armature's rest direction (towards the mapped child's head), so an
   A-pose or a bent rest still gets the performer's directions: ``G' = G Q^T``;
3. a bone's pose (``matrix_basis``) is ``R^T (G'_parent^T G') R``, where ``R`` is the bone's
   rest orientation in armature space and ``G'_parent`` is that of the nearest mapped
   ancestor (bones between are left at rest and carry their parent's rotation), so the
   armature bone's world rotation is ``G' R``: the pose on the animator's rest, with the
   animator's own bone rolls and lengths.

Matrices are 3x3 nested tuples (rows); quaternions (w, x, y, z) as Blender stores them.
"""
from __future__ import annotations

import json
import math

from .wire import BONES, PARENTS

PRESETS = ("MIXAMO", "RIGIFY", "UNREAL")

#: Stream (Mixamo) bone -> (Unreal mannequin, Rigify meta-rig), as the app's BVH export
#: names them (``mocap_app/export/presets.py``; a test checks that they agree).
_NAMES: dict[str, tuple[str, str]] = {
    "Hips": ("pelvis", "spine"), "Spine": ("spine_01", "spine.001"),
    "Spine1": ("spine_02", "spine.002"), "Spine2": ("spine_03", "spine.003"),
    "Neck": ("neck_01", "spine.004"), "Head": ("head", "spine.006"),
    "HeadTop_End": ("head_end", "spine.007"),
}
for _side, _ue, _rg in (("Left", "l", "L"), ("Right", "r", "R")):
    for _mixamo, _unreal, _rigify in (
            ("Shoulder", "clavicle", "shoulder"), ("Arm", "upperarm", "upper_arm"),
            ("ForeArm", "lowerarm", "forearm"), ("Hand", "hand", "hand"),
            ("HandMiddle1", "middle_01", "f_middle.01"), ("UpLeg", "thigh", "thigh"),
            ("Leg", "calf", "shin"), ("Foot", "foot", "foot"), ("ToeBase", "ball", "toe")):
        _NAMES[_side + _mixamo] = (f"{_unreal}_{_ue}", f"{_rigify}.{_rg}")

#: the child whose head a bone points at (its rest direction); leaves and Hips have none
AIM_CHILD: dict[str, str] = {"Spine": "Spine1", "Spine1": "Spine2", "Spine2": "Neck",
                             "Neck": "Head", "Head": "HeadTop_End"}
for _s in ("Left", "Right"):
    AIM_CHILD.update({_s + "Shoulder": _s + "Arm", _s + "Arm": _s + "ForeArm",
                      _s + "ForeArm": _s + "Hand", _s + "Hand": _s + "HandMiddle1",
                      _s + "UpLeg": _s + "Leg", _s + "Leg": _s + "Foot",
                      _s + "Foot": _s + "ToeBase"})


def preset_names(preset: str) -> dict[str, str]:
    """Stream bone -> armature bone name in a preset (MIXAMO, RIGIFY or UNREAL)."""
    preset = preset.upper()
    if preset == "MIXAMO":
        return {b: b for b in BONES}
    if preset not in PRESETS:
        raise ValueError(f"unknown bone-name preset {preset!r}; choose one of "
                         f"{', '.join(PRESETS)} or a mapping file")
    column = 0 if preset == "UNREAL" else 1
    return {b: _NAMES[b][column] for b in BONES}


def read_mapping_file(path: str) -> dict[str, str]:
    """A mapping file: JSON ``{"Hips": "my_pelvis", ...}`` from stream bone names (the
    Mixamo names of ``wire.BONES``) to the armature's bone names."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in data.items()):
        raise ValueError("a mapping file is a JSON object of stream bone -> armature bone")
    unknown = sorted(set(data) - set(BONES))
    if unknown:
        raise ValueError(f"unknown stream bones {', '.join(unknown)}; the stream's bones "
                         f"are {', '.join(BONES)}")
    return dict(data)


def resolve(names: dict[str, str], armature_bones) -> dict[str, str]:
    """Stream bone -> the armature's bone, for the names the armature has. A name also
    matches with a namespace prefix (``mixamorig:Hips`` for ``Hips``)."""
    have = list(armature_bones)
    out = {}
    for stream_bone, wanted in names.items():
        if wanted in have:
            out[stream_bone] = wanted
            continue
        match = [h for h in have if h.endswith(":" + wanted)]
        if len(match) == 1:
            out[stream_bone] = match[0]
    return out


# --------------------------------------------------------------------------- 3x3 maths

Mat = tuple


def mat_mul(a, b) -> Mat:
    return tuple(tuple(a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j]
                       for j in range(3)) for i in range(3))


def mat_t(a) -> Mat:
    return tuple(tuple(a[j][i] for j in range(3)) for i in range(3))


def mat_vec(a, v) -> tuple:
    return tuple(a[i][0] * v[0] + a[i][1] * v[1] + a[i][2] * v[2] for i in range(3))


IDENTITY: Mat = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
#: app axes (Y up, facing +Z) -> Blender axes (Z up, facing -Y): x, y, z -> x, -z, y
APP_TO_BLENDER: Mat = ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (0.0, 1.0, 0.0))


def quat_to_mat(q) -> Mat:
    """(x, y, z, w) unit quaternion -> rotation matrix."""
    x, y, z, w = q
    return ((1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
            (2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
            (2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)))


def mat_to_quat_wxyz(m) -> tuple[float, float, float, float]:
    """Rotation matrix -> (w, x, y, z), w >= 0 (Shepperd's method)."""
    tr = m[0][0] + m[1][1] + m[2][2]
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        w, x, y, z = 0.25 * s, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, \
            (m[1][0] - m[0][1]) / s
    elif m[0][0] > m[1][1] and m[0][0] > m[2][2]:
        s = math.sqrt(1.0 + m[0][0] - m[1][1] - m[2][2]) * 2
        w, x, y, z = (m[2][1] - m[1][2]) / s, 0.25 * s, (m[0][1] + m[1][0]) / s, \
            (m[0][2] + m[2][0]) / s
    elif m[1][1] > m[2][2]:
        s = math.sqrt(1.0 + m[1][1] - m[0][0] - m[2][2]) * 2
        w, x, y, z = (m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, 0.25 * s, \
            (m[1][2] + m[2][1]) / s
    else:
        s = math.sqrt(1.0 + m[2][2] - m[0][0] - m[1][1]) * 2
        w, x, y, z = (m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, \
            (m[1][2] + m[2][1]) / s, 0.25 * s
    n = math.sqrt(w * w + x * x + y * y + z * z)
    sign = 1.0 if w >= 0 else -1.0
    return (sign * w / n, sign * x / n, sign * y / n, sign * z / n)


def _unit(v):
    n = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return None if n < 1e-9 else (v[0] / n, v[1] / n, v[2] / n)


def rotation_between(a, b) -> Mat:
    """The smallest rotation taking direction ``a`` onto ``b`` (identity when either is
    zero)."""
    a, b = _unit(a), _unit(b)
    if a is None or b is None:
        return IDENTITY
    v = (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
    c = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    if c < -1 + 1e-9:      # opposite: half a turn about any axis across a
        axis = _unit((0.0, -a[2], a[1])) or _unit((-a[2], 0.0, a[0]))
        return tuple(tuple(2 * axis[i] * axis[j] - (i == j) for j in range(3))
                     for i in range(3))
    k = ((0.0, -v[2], v[1]), (v[2], 0.0, -v[0]), (-v[1], v[0], 0.0))
    kk = mat_mul(k, k)
    f = 1.0 / (1.0 + c)
    return tuple(tuple((i == j) + k[i][j] + kk[i][j] * f for j in range(3)) for i in range(3))


# --------------------------------------------------------------------------- the rig

class ArmatureRig:
    """What retargeting needs of one armature, read once from its rest pose.

    ``bones``: (name, parent name or None, rest matrix R (3x3, armature space), rest head
    (armature space)) for every bone, parents first. ``object_rotation``: the armature
    object's world rotation (3x3, scale removed); ``object_scale``: its mean scale;
    ``mapping``: stream bone -> armature bone.
    """

    def __init__(self, bones, mapping: dict[str, str], object_rotation=IDENTITY,
                 object_scale: float = 1.0):
        self.bones = list(bones)
        self.mapping = dict(mapping)
        self.object_rotation = object_rotation
        self.object_scale = float(object_scale)
        by_name = {b[0]: b for b in self.bones}
        self.by_name = by_name
        self.stream_of = {arm: s for s, arm in self.mapping.items()}
        self._stream_index = {b: i for i, b in enumerate(BONES)}
        # the armature's rest direction of each mapped bone (towards the mapped child)
        self.rest_dirs: dict[str, tuple] = {}
        for s, arm in self.mapping.items():
            child = AIM_CHILD.get(s)
            if child in self.mapping:
                h0 = by_name[arm][3]
                h1 = by_name[self.mapping[child]][3]
                self.rest_dirs[s] = (h1[0] - h0[0], h1[1] - h0[1], h1[2] - h0[2])
        self.root_bone = self.mapping.get("Hips")
        self.leg_length = self._leg_length(lambda s: by_name[self.mapping[s]][3])

    def _leg_length(self, head) -> float | None:
        total, n = 0.0, 0
        for side in ("Left", "Right"):
            chain = [side + "UpLeg", side + "Leg", side + "Foot"]
            if all(c in self.mapping for c in chain):
                for a, b in zip(chain, chain[1:]):
                    pa, pb = head(a), head(b)
                    total += math.dist(pa, pb)
                n += 1
        return total / n if n else None

    def pose(self, packet, root_motion: bool = True):
        """Per armature bone: (quaternion w, x, y, z of ``matrix_basis``, location or
        None). Only mapped bones and the root (location) are returned."""
        a = APP_TO_BLENDER
        at = mat_t(a)
        obj = self.object_rotation
        objt = mat_t(obj)
        world: dict[str, Mat] = {}    # stream bone -> G' in armature space
        for s, arm in self.mapping.items():
            i = self._stream_index[s]
            g = quat_to_mat(packet.rotations[i])
            g = mat_mul(mat_mul(objt, mat_mul(mat_mul(a, g), at)), obj)
            if s in self.rest_dirs:
                ours = packet.offsets[self._stream_index[AIM_CHILD[s]]]
                ours_arm = mat_vec(objt, mat_vec(a, ours))
                q = rotation_between(ours_arm, self.rest_dirs[s])
                g = mat_mul(g, mat_t(q))
            world[s] = g
        out = {}
        g_arm: dict[str, Mat] = {}
        for name, parent, rest, _head in self.bones:
            s = self.stream_of.get(name)
            g_parent = g_arm.get(parent, IDENTITY) if parent else IDENTITY
            if s is None:
                g_arm[name] = g_parent
                continue
            g = world[s]
            g_arm[name] = g
            local = mat_mul(mat_t(g_parent), g)
            basis = mat_mul(mat_mul(mat_t(rest), local), rest)
            out[name] = (mat_to_quat_wxyz(basis), None)
        if self.root_bone is not None:
            name = self.root_bone
            rest, head = self.by_name[name][2], self.by_name[name][3]
            if root_motion:
                ours = self.stream_leg_length(packet)
                scale = (self.leg_length / ours) if (self.leg_length and ours) else \
                    1.0 / self.object_scale
                target_world = mat_vec(a, packet.root)
                target = mat_vec(objt, target_world)
                target = tuple(scale * t for t in target)
                delta = (target[0] - head[0], target[1] - head[1], target[2] - head[2])
                loc = mat_vec(mat_t(rest), delta)
            else:
                loc = (0.0, 0.0, 0.0)
            out[name] = (out[name][0] if name in out else (1.0, 0.0, 0.0, 0.0), loc)
        return out

    def stream_leg_length(self, packet) -> float | None:
        idx = self._stream_index
        total = 0.0
        for side in ("Left", "Right"):
            for b in (side + "Leg", side + "Foot"):
                total += math.sqrt(sum(c * c for c in packet.offsets[idx[b]]))
        return total / 2 if total > 0 else None


def key_frame(timestamp: float, first_timestamp: float, first_frame: float,
              scene_fps: float) -> float:
    """The scene frame where a recorded pose is keyed: its own capture time after the
    first recorded pose, at the scene's frame rate (a 30 fps stream in a 24 fps scene
    keys 0.8 frames apart). Within 0.001 of a whole frame it is that frame."""
    f = first_frame + (timestamp - first_timestamp) * scene_fps
    r = round(f)
    return float(r) if abs(f - r) < 1e-3 else f


def stream_parent(bone: str) -> str | None:
    p = PARENTS[BONES.index(bone)]
    return BONES[p] if p >= 0 else None
