"""Bone naming presets. The rig (``export/retarget.py``) is built with Mixamo names; a
preset renames its bones for the tool the animator retargets in.

- ``mixamo``: Mixamo's names (``Hips``, ``LeftArm``, ``LeftUpLeg`` ...), what Blender
  retargeting add-ons, Rokoko and Auto-Rig Pro recognise as "Mixamo".
- ``unreal``: the UE4/UE5 mannequin's names (``pelvis``, ``upperarm_l``, ``thigh_l`` ...).
- ``rigify``: Blender Rigify meta-rig names with ``.L``/``.R`` suffixes (``spine``,
  ``upper_arm.L``, ``thigh.L`` ...), so Blender's mirror tools pair the sides.
"""
from __future__ import annotations

#: Canonical (Mixamo) name -> (Unreal mannequin name, Rigify meta-rig name).
_TABLE: dict[str, tuple[str, str]] = {
    "Hips": ("pelvis", "spine"),
    "Spine": ("spine_01", "spine.001"),
    "Spine1": ("spine_02", "spine.002"),
    "Spine2": ("spine_03", "spine.003"),
    "Neck": ("neck_01", "spine.004"),
    "Head": ("head", "spine.006"),
    "HeadTop_End": ("head_end", "spine.007"),
}
for _side, _ue, _rg in (("Left", "l", "L"), ("Right", "r", "R")):
    for _mixamo, _unreal, _rigify in (
            ("Shoulder", "clavicle", "shoulder"),
            ("Arm", "upperarm", "upper_arm"),
            ("ForeArm", "lowerarm", "forearm"),
            ("Hand", "hand", "hand"),
            ("HandMiddle1", "middle_01", "f_middle.01"),
            ("UpLeg", "thigh", "thigh"),
            ("Leg", "calf", "shin"),
            ("Foot", "foot", "foot"),
            ("ToeBase", "ball", "toe")):
        _TABLE[_side + _mixamo] = (f"{_unreal}_{_ue}", f"{_rigify}.{_rg}")


# Finger bones (export/fingers.py): Mixamo's LeftHandIndex1..4; the UE5 mannequin's
# index_01_l..index_03_l and its index_04_leaf_l tip; Rigify's f_index.01.L..03.L
# (thumb.01.L..03.L) and, for the tip bone Rigify does not have, f_index.tip.L.
for _side, _ue, _rg in (("Left", "l", "L"), ("Right", "r", "R")):
    for _finger in ("thumb", "index", "middle", "ring", "pinky"):
        _rig = "thumb" if _finger == "thumb" else "f_" + _finger
        for _k in range(1, 5):
            _TABLE[f"{_side}Hand{_finger.capitalize()}{_k}"] = (
                f"{_finger}_{_k:02d}_{_ue}" if _k < 4 else f"{_finger}_04_leaf_{_ue}",
                f"{_rig}.{_k:02d}.{_rg}" if _k < 4 else f"{_rig}.tip.{_rg}")


def bone_name(canonical: str, preset: str) -> str:
    """The name of a rig bone (given by its Mixamo name) in a naming preset."""
    if preset == "mixamo":
        return canonical
    column = {"unreal": 0, "rigify": 1}.get(preset)
    if column is None:
        raise ValueError(f"unknown bone naming preset {preset!r}")
    return _TABLE[canonical][column]
