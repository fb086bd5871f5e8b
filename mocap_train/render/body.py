"""Anny bodies moved by our mocap: body shapes, posing a body with a clip, and the app
skeleton measured on the posed body.

Axes: anny works Z up, facing -Y, the person's left at +X; the app (``core/skeleton.py``) is
Y up, facing +Z, left at +X: ``p_app = ANNY_TO_APP @ p_anny``. The source joints are turned
into anny's axes, retargeted there (``retarget.py``: a world rotation per bone from a table of
app segments and twist references) and everything returned is in app axes, metres.

The root: the source pelvis trajectory times ``this body's leg length / the source's``
(hip->knee->ankle, so that steps keep their length), then the whole clip is lifted so that its
lowest vertex over all frames lies on y = 0.

The app joints of a posed body (``PosedBody.joints``) use the definitions of
``mocap_data``: hips, knees, ankles, shoulders, elbows, wrists are joint centres (bone heads,
``HEAD_JOINTS``); the hand (knuckle midpoint) is the head of the finger bone (the tail of the
metacarpal bone FingerBase); nose, ears, heels and toe tips (big/small toe midpoint) are anny's
mesh keypoints (``KEYPOINT_JOINTS``); pelvis, neck, spine and head are the midpoints of
``core/skeleton.py``.

Held-out bodies (``is_held_out``): each of the six phenotype values falls in a tertile
(0: < 1/3, 1: < 2/3, 2: otherwise); a body is held out when the sum of its six tertile
indices is a multiple of 4 (about a quarter of phenotype space, in cells whose every
neighbouring cell is a training cell). ``sample_shape(held_out=True)`` draws only those,
``held_out=False`` never does, so a test set's bodies are never trained on.
"""
from __future__ import annotations

import functools
import os
import sys
from dataclasses import asdict, dataclass

import numpy as np

from mocap_app.core.paths import cache_dir
from mocap_app.core.skeleton import J, NUM_JOINTS

from .retarget import RestRig, bone_rotations, fk_heads

ANNY_TO_APP = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")
STATURE_RANGE_M = (1.45, 2.00)
#: anny's age: 1/3 child, 2/3 young adult, 1 old; 0.45 is about a young teenager
AGE_RANGE = (0.45, 1.0)
FRAMES_PER_CALL = 120        # frames skinned in one batch (memory ~0.7 MB a frame)

#: The app joints that are bone heads: (app joint, anny bone). The hand (knuckle midpoint) is
#: the head of the finger bone, at the tail of the metacarpal bone (FingerBase).
HEAD_JOINTS = tuple((f"{s}_{j}", f"{S}{b}") for s, S in (("left", "Left"), ("right", "Right"))
                    for j, b in (("hip", "UpLeg"), ("knee", "Leg"), ("ankle", "Foot"),
                                 ("shoulder", "Arm"), ("elbow", "ForeArm"), ("wrist", "Hand"),
                                 ("hand", "HandFinger1")))
#: The app joints read from anny's mesh keypoints: (app joint, COCO keypoints averaged).
KEYPOINT_JOINTS = (("nose", ("nose",)), ("left_ear", ("left_ear",)), ("right_ear", ("right_ear",)),
                   ("left_heel", ("left_heel",)), ("right_heel", ("right_heel",)),
                   ("left_toe", ("left_big_toe", "left_small_toe")),
                   ("right_toe", ("right_big_toe", "right_small_toe")))


@dataclass(frozen=True)
class BodyShape:
    """Anny phenotype values (0..1) and the standing height they give."""
    gender: float       # 0 male .. 1 female
    age: float          # 1/3 child, 2/3 young adult, 1 old
    muscle: float
    weight: float
    height: float
    proportions: float
    stature_m: float    # rest mesh, top of the head to the soles, metres

    def phenotype(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in PHENOTYPES}

    def as_dict(self) -> dict:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


@dataclass
class PosedBody:
    """One body moved through a clip, in app axes (Y up), metres."""
    vertices: np.ndarray    # (T, V, 3) float32
    joints: np.ndarray      # (T, 25, 3) float64: the app skeleton of this posed body
    shape: BodyShape
    scale: float            # this body's leg length / the source's (applied to the root path)
    lift_m: float           # vertical shift that put the lowest vertex of the clip on y = 0


@dataclass(frozen=True)
class RestBody:
    """A body in anny's rest (A-)pose, app axes, lowest vertex on y = 0, pelvis above x=z=0."""
    vertices: np.ndarray    # (V, 3)
    joints: np.ndarray      # (25, 3)
    bone_heads: np.ndarray  # (31, 3)
    bone_tails: np.ndarray  # (31, 3)
    keypoints: dict         # COCO keypoint name -> (3,)


def is_held_out(phenotype) -> bool:
    """The held-out rule of the module docstring, on six values in ``PHENOTYPES`` order (or a
    ``BodyShape``)."""
    if isinstance(phenotype, BodyShape):
        phenotype = [getattr(phenotype, k) for k in PHENOTYPES]
    tertiles = np.minimum((np.asarray(phenotype, float) * 3).astype(int), 2)
    return int(tertiles.sum()) % 4 == 0


def _import_anny():
    """anny reads ANNY_CACHE_DIR once, when imported: point it at our cache (its first build
    writes ~1.6 GB) unless the caller chose one."""
    if "anny" not in sys.modules and "ANNY_CACHE_DIR" not in os.environ:
        os.environ["ANNY_CACHE_DIR"] = str(cache_dir() / "anny")
    import anny
    return anny


@functools.lru_cache(maxsize=1)
def _anny_model():
    import torch
    anny = _import_anny()
    model = anny.Anny(rig="cmu_mb", skinning_method="lbs").to(torch.float32)
    assert tuple(model.phenotype_labels) == PHENOTYPES, model.phenotype_labels
    return model


def _rest_vertices(phenotypes: np.ndarray) -> np.ndarray:
    """(N, 6) phenotype values -> (N, V, 3) rest vertices in anny axes, without skinning (the
    forward pass would pose them too; anny is pinned, so its private coefficient step is safe
    to call)."""
    import torch
    m = _anny_model()
    with torch.no_grad():
        coeffs = m._get_phenotype_blendshape_coefficients(
            torch.as_tensor(phenotypes, dtype=torch.float32), torch.zeros(1, 0), torch.zeros(1, 0))
        return m.get_rest_vertices(coeffs).numpy()


def _statures(phenotypes: np.ndarray) -> np.ndarray:
    z = _rest_vertices(phenotypes)[..., 2]
    return z.max(axis=1) - z.min(axis=1)


def _mean_stature(gender: float, age: float) -> float:
    """A human-looking target: adult men ~1.76 m, women ~1.63 m, teenagers and the old less."""
    mean = 1.76 - 0.13 * gender
    mean -= 0.55 * max(0.0, 2 / 3 - age) + 0.15 * max(0.0, age - 0.85)
    return mean


def sample_shape(rng: np.random.Generator, held_out: bool = False) -> BodyShape:
    """A varied body: gender, age (teenager to old), muscle, weight and proportions drawn
    uniformly, a stature drawn around a human mean (sd 7 cm) and turned into anny's height
    value (stature is linear in it); redrawn until the stature lies in ``STATURE_RANGE_M`` and
    the body is (or is not) held out."""
    lo, hi = STATURE_RANGE_M
    for _ in range(1000):
        g, a = rng.uniform(), rng.uniform(*AGE_RANGE)
        mu, w, p = rng.uniform(size=3)
        target = rng.normal(_mean_stature(g, a), 0.07)
        s0, s1 = _statures(np.array([[g, a, mu, w, 0.0, p], [g, a, mu, w, 1.0, p]]))
        h = (target - s0) / (s1 - s0)
        values = [g, a, mu, w, h, p]
        if not 0.0 <= h <= 1.0 or is_held_out(values) != held_out:
            continue
        stature = float(_statures(np.array([values]))[0])
        if lo <= stature <= hi:
            return BodyShape(*(float(v) for v in values), stature_m=stature)
    raise RuntimeError("no body shape found in 1000 draws")


# --------------------------------------------------------------------------- the body model

@dataclass(frozen=True)
class _Rest:
    """One body at rest in anny's axes: what posing it needs."""
    rig: RestRig
    orientations: np.ndarray    # (B, 3, 3) rest bone orientations
    vertices: np.ndarray        # (V, 3)
    tails: np.ndarray           # (B, 3)
    keypoints: np.ndarray       # (23, 3) COCO keypoints
    leg_m: float                # mean hip->knee->ankle length


def _leg_length(joints: np.ndarray) -> float:
    """Mean hip->knee + knee->ankle length over frames and sides of (..., 25, 3) joints."""
    total = 0.0
    for s in ("left", "right"):
        hip, knee, ankle = (joints[..., J[f"{s}_{n}"], :] for n in ("hip", "knee", "ankle"))
        total += np.mean(np.linalg.norm(knee - hip, axis=-1)
                         + np.linalg.norm(ankle - knee, axis=-1))
    return total / 2


class BodyModel:
    """Anny's full body with the CMU rig (13,718 vertices, 31 bones), loaded once (the first
    build ever takes ~1 min and fills ``ANNY_CACHE_DIR``), posed by our mocap.

    Torch runs with ``threads`` threads (1: the generator runs one process per core)."""

    def __init__(self, threads: int | None = 1):
        import torch
        if threads:
            torch.set_num_threads(threads)
        anny = _import_anny()
        self._anny = m = _anny_model()
        self.bone_labels: tuple[str, ...] = tuple(m.bone_labels)
        self.bone_parents: tuple[int, ...] = tuple(int(p) for p in m.bone_parents)
        self.faces: np.ndarray = m.faces.numpy().astype(np.int32)              # (F, 3)
        self.skinning_weights: np.ndarray = m.dense_vertex_bone_weights.numpy()  # (V, B)
        #: the bone that moves each vertex most
        self.vertex_bone: np.ndarray = self.skinning_weights.argmax(axis=1)
        regressor = anny.KeypointsRegressor.coco(m)
        self.keypoint_labels: tuple[str, ...] = tuple(regressor.labels)
        self._keypoint_weights = regressor.regression_weights.numpy().astype(np.float64)  # (23, V)
        self._joint_rows = np.stack([                                             # (7, V)
            np.mean([self._keypoint_weights[self.keypoint_labels.index(k)] for k in names], 0)
            for _, names in KEYPOINT_JOINTS])
        self._rests: dict[tuple, _Rest] = {}
        #: the average body (every phenotype value 0.5) at rest: clothing patterns live on it
        average = np.full((1, len(PHENOTYPES)), 0.5)
        self.template: RestBody = self.rest(
            BodyShape(*average[0], stature_m=float(_statures(average)[0])))

    def bone_index(self, bone: str) -> int:
        return self.bone_labels.index(bone)

    # ---------------------------------------------------------------- joints and rest
    def _app_joints(self, heads: np.ndarray, points: np.ndarray) -> np.ndarray:
        """App joints (T, 25, 3) from bone heads (T, B, 3) and the ``KEYPOINT_JOINTS`` points
        (T, 7, 3), in whatever axes they are given."""
        out = np.zeros(heads.shape[:1] + (NUM_JOINTS, 3))
        for name, bone in HEAD_JOINTS:
            out[:, J[name]] = heads[:, self.bone_index(bone)]
        for i, (name, _) in enumerate(KEYPOINT_JOINTS):
            out[:, J[name]] = points[:, i]
        out[:, J["head"]] = 0.5 * (out[:, J["left_ear"]] + out[:, J["right_ear"]])
        out[:, J["pelvis"]] = 0.5 * (out[:, J["left_hip"]] + out[:, J["right_hip"]])
        out[:, J["neck"]] = 0.5 * (out[:, J["left_shoulder"]] + out[:, J["right_shoulder"]])
        out[:, J["spine"]] = 0.5 * (out[:, J["pelvis"]] + out[:, J["neck"]])
        return out

    def _rest(self, shape: BodyShape) -> _Rest:
        import torch
        key = tuple(shape.phenotype().values())
        if key not in self._rests:
            with torch.no_grad():
                out = self._anny(phenotype_kwargs=shape.phenotype(), return_bone_ends=True)
            v = out["rest_vertices"][0].double().numpy()
            heads = out["rest_bone_heads"][0].double().numpy()
            joints = self._app_joints(heads[None], (self._joint_rows @ v)[None])[0]
            points = {}
            for name in ("left_heel", "right_heel", "left_toe", "right_toe"):
                row = self._joint_rows[[n for n, _ in KEYPOINT_JOINTS].index(name)]
                mass = row @ self.skinning_weights                     # (B,)
                moment = (row[:, None] * self.skinning_weights).T @ v  # (B, 3)
                points[name] = (mass, moment - mass[:, None] * heads)
            up = ANNY_TO_APP[1]                                        # app's +Y in anny axes
            rig = RestRig(self.bone_labels, self.bone_parents, heads, up, joints, points)
            if len(self._rests) >= 16:
                self._rests.pop(next(iter(self._rests)))
            self._rests[key] = _Rest(
                rig, out["rest_bone_poses"][0, :, :3, :3].double().numpy(), v,
                out["rest_bone_tails"][0].double().numpy(), self._keypoint_weights @ v,
                _leg_length(joints))
        return self._rests[key]

    def rest(self, shape: BodyShape) -> RestBody:
        """The body in anny's rest pose, app axes, lowest vertex on y = 0, pelvis above the
        origin."""
        r = self._rest(shape)
        v = r.vertices @ ANNY_TO_APP.T
        pelvis = r.rig.joints[J["pelvis"]] @ ANNY_TO_APP.T
        shift = np.array([-pelvis[0], -v[:, 1].min(), -pelvis[2]])
        return RestBody(
            vertices=v + shift, joints=r.rig.joints @ ANNY_TO_APP.T + shift,
            bone_heads=r.rig.heads @ ANNY_TO_APP.T + shift,
            bone_tails=r.tails @ ANNY_TO_APP.T + shift,
            keypoints={k: p @ ANNY_TO_APP.T + shift
                       for k, p in zip(self.keypoint_labels, r.keypoints)})

    # ---------------------------------------------------------------- posing
    def pose(self, joints_app: np.ndarray, shape: BodyShape) -> PosedBody:
        """This body moved through a clip: ``joints_app`` (T, 25, 3) in app axes, metres."""
        import torch
        src = np.asarray(joints_app, dtype=np.float64)
        if src.ndim != 3 or src.shape[1:] != (NUM_JOINTS, 3) or len(src) == 0:
            raise ValueError(f"expected (T, {NUM_JOINTS}, 3) joints, got {src.shape}")
        if not np.all(np.isfinite(src)):
            raise ValueError("the clip has non-finite joints")
        rest = self._rest(shape)
        source = src @ ANNY_TO_APP                                   # app -> anny axes
        scale = rest.leg_m / _leg_length(src)
        G = bone_rotations(source, rest.rig)                         # (T, B, 3, 3)
        if not np.all(np.isfinite(G)):
            raise ValueError("the retarget gave non-finite rotations (a degenerate source pose)")
        heads = fk_heads(G, rest.rig)
        pelvis = 0.5 * (heads[:, self.bone_index("LeftUpLeg")]
                        + heads[:, self.bone_index("RightUpLeg")])
        params = np.zeros(G.shape[:2] + (4, 4), np.float32)          # (T, B, 4, 4)
        params[..., :3, :3] = G @ rest.orientations
        params[:, 0, :3, 3] = scale * source[:, J["pelvis"]] - pelvis
        params[..., 3, 3] = 1.0
        verts, bone_heads = [], []
        with torch.no_grad():
            for i in range(0, len(src), FRAMES_PER_CALL):
                out = self._anny(pose_parameters=torch.from_numpy(params[i:i + FRAMES_PER_CALL]),
                                 phenotype_kwargs=shape.phenotype(),
                                 pose_parameterization="world-orient", return_bone_ends=True)
                verts.append(out["vertices"].numpy())
                bone_heads.append(out["bone_heads"].numpy())
        vertices = np.concatenate(verts) @ ANNY_TO_APP.T.astype(np.float32)   # (T, V, 3)
        points = np.einsum("kv,tvc->tkc", self._joint_rows.astype(np.float32), vertices)
        joints = self._app_joints(np.concatenate(bone_heads).astype(np.float64) @ ANNY_TO_APP.T,
                                  points.astype(np.float64))
        lift = -float(vertices[..., 1].min())
        vertices[..., 1] += lift
        joints[..., 1] += lift
        return PosedBody(vertices, joints, shape, float(scale), lift)
