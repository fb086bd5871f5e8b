"""What a rendered person looks like: skin, hair, clothes and shoes as per-vertex colours.

Anny's wheel has no usable skin texture, so each vertex is coloured by the bone that moves it
most (its largest skinning weight) plus rules measured on the average body's REST pose
(``BodyModel.template``, app axes, metres): where the waist, the sleeves, the trouser legs, the
shoes and the hair cap end. Patterns (stripes, checks) are computed from the same rest
coordinates, so they move with the body and stay the same on every body shape.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mocap_app.core.skeleton import J

Color = tuple[float, float, float]

#: sRGB skin tones from light to dark; a tone is drawn uniformly along this line.
SKIN_TONES = np.array([(0.98, 0.86, 0.77), (0.93, 0.76, 0.64), (0.82, 0.62, 0.47),
                       (0.66, 0.46, 0.31), (0.47, 0.31, 0.20), (0.29, 0.19, 0.12)])
#: hair colours and how often each is drawn
HAIR_COLORS = {"black": ((0.06, 0.05, 0.05), 0.3), "dark_brown": ((0.18, 0.12, 0.08), 0.25),
               "brown": ((0.36, 0.24, 0.14), 0.15), "blond": ((0.76, 0.63, 0.40), 0.1),
               "red": ((0.55, 0.26, 0.12), 0.05), "grey": ((0.58, 0.57, 0.55), 0.1),
               "white": ((0.86, 0.85, 0.82), 0.05)}
HAIR_STYLES = {"bald": 0.1, "short": 0.55, "long": 0.35}
PATTERNS = ("plain", "stripes", "checks")
SHIRT_PATTERN_P = (0.6, 0.25, 0.15)
TROUSERS_PATTERN_P = (0.8, 0.05, 0.15)
EYE_RADIUS_M = 0.009
EYE_COLOR = (0.07, 0.05, 0.04)


@dataclass(frozen=True)
class Appearance:
    """One person's look (colours are sRGB 0..1)."""
    skin: Color
    hair: Color
    hair_style: str             # "bald" | "short" (a cap) | "long" (down to the shoulders)
    shirt: Color
    shirt_second: Color         # the pattern's other colour
    shirt_pattern: str          # "plain" | "stripes" | "checks"
    shirt_period_m: float       # pattern period on the body
    stripes_vertical: bool      # shirt stripes run up-down (else around the body)
    sleeves: str                # "long" | "short"
    trousers: Color
    trousers_second: Color
    trousers_pattern: str
    trousers_period_m: float
    legs: str                   # "long" (trousers) | "short" (shorts)
    shoes: Color

    def as_dict(self) -> dict:
        return {k: [round(float(c), 3) for c in v] if isinstance(v, tuple)
                else round(v, 4) if isinstance(v, float) else v
                for k, v in asdict(self).items()}


def _hsv(h: float, s: float, v: float) -> Color:
    i, f = int(h * 6) % 6, h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))[i]


def _cloth_color(rng: np.random.Generator) -> Color:
    """Neutral (black, white, grey) a third of the time, else any hue."""
    if rng.random() < 1 / 3:
        g = float(rng.choice([0.06, 0.15, 0.35, 0.6, 0.85, 0.95]))
        return (g, g, g)
    return _hsv(rng.uniform(), rng.uniform(0.2, 0.9), rng.uniform(0.15, 0.95))


def _trousers_color(rng: np.random.Generator) -> Color:
    kind = rng.choice(["denim", "dark", "khaki", "any"], p=[0.4, 0.2, 0.15, 0.25])
    if kind == "denim":
        return _hsv(rng.uniform(0.58, 0.64), rng.uniform(0.35, 0.7), rng.uniform(0.2, 0.65))
    if kind == "dark":
        g = rng.uniform(0.04, 0.25)
        return (g, g, g * rng.uniform(0.9, 1.15))
    if kind == "khaki":
        return _hsv(rng.uniform(0.08, 0.13), rng.uniform(0.2, 0.45), rng.uniform(0.45, 0.8))
    return _cloth_color(rng)


def _second_color(rng: np.random.Generator, first: Color) -> Color:
    """A pattern's other colour: clearly lighter or darker than the first, or any."""
    if rng.random() < 0.5:
        k = rng.uniform(0.3, 0.6) if np.mean(first) > 0.5 else rng.uniform(1.6, 3.0)
        return tuple(float(min(1.0, c * k + (0.15 if k > 1 else 0.0))) for c in first)
    return _cloth_color(rng)


def sample_appearance(rng: np.random.Generator) -> Appearance:
    t = rng.uniform() * (len(SKIN_TONES) - 1)
    i = min(int(t), len(SKIN_TONES) - 2)
    skin = SKIN_TONES[i] + (t - i) * (SKIN_TONES[i + 1] - SKIN_TONES[i])
    skin = np.clip(skin + rng.normal(0, 0.015, 3), 0, 1)
    names = list(HAIR_COLORS)
    hair = HAIR_COLORS[names[rng.choice(len(names), p=[HAIR_COLORS[n][1] for n in names])]][0]
    shirt, trousers, shoes_kind = _cloth_color(rng), _trousers_color(rng), rng.uniform()
    shoes = ((0.9, 0.9, 0.88) if shoes_kind < 0.25 else _cloth_color(rng) if shoes_kind < 0.4
             else tuple(float(c) for c in np.full(3, rng.uniform(0.03, 0.3))))
    return Appearance(
        skin=tuple(float(c) for c in skin), hair=hair,
        hair_style=str(rng.choice(list(HAIR_STYLES), p=list(HAIR_STYLES.values()))),
        shirt=shirt, shirt_second=_second_color(rng, shirt),
        shirt_pattern=str(rng.choice(PATTERNS, p=SHIRT_PATTERN_P)),
        shirt_period_m=float(rng.uniform(0.05, 0.14)), stripes_vertical=bool(rng.random() < 0.3),
        sleeves="long" if rng.random() < 0.45 else "short",
        trousers=trousers, trousers_second=_second_color(rng, trousers),
        trousers_pattern=str(rng.choice(PATTERNS, p=TROUSERS_PATTERN_P)),
        trousers_period_m=float(rng.uniform(0.04, 0.10)),
        legs="long" if rng.random() < 0.75 else "short", shoes=shoes)


def _along(v: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where each point projects on the segment a->b: 0 at a, 1 at b."""
    d = b - a
    return (v - a) @ d / (d @ d)


def _pattern(v: np.ndarray, kind: str, period: float, vertical: bool) -> np.ndarray:
    """True where the pattern's second colour goes, from rest coordinates (V, 3)."""
    cells = np.floor(v / period).astype(int)
    if kind == "stripes":
        return (cells[:, 0] if vertical else cells[:, 1]) % 2 == 1
    if kind == "checks":
        return cells.sum(axis=1) % 2 == 1
    return np.zeros(len(v), bool)


def garment_masks(model, look: Appearance) -> dict[str, np.ndarray]:
    """Boolean (V,) masks of ``hair``, ``eyes``, ``shirt``, ``trousers`` and ``shoes``; the
    rest is skin. ``model`` is a ``body.BodyModel``."""
    tpl = model.template
    v, j = tpl.vertices, tpl.joints
    bone = np.asarray(model.bone_labels)[model.vertex_bone]

    def on(*names):
        return np.isin(bone, names)

    def both(stem):
        return [f"Left{stem}", f"Right{stem}"]

    masks = {}
    waist = j[J["pelvis"], 1] + 0.22 * (j[J["neck"], 1] - j[J["pelvis"], 1])
    trunk = on("Hips", "LHipJoint", "RHipJoint", "LowerBack", "Spine", "Spine1", *both("Shoulder"))
    collar = on("Neck", "Neck1") & (v[:, 1] < j[J["neck"], 1] + 0.03)
    shirt = (trunk & (v[:, 1] >= waist)) | collar
    trousers = (trunk & (v[:, 1] < waist)) | on(*both("UpLeg"))
    legs_lower = on(*both("Leg"))
    for s, S in (("left", "Left"), ("right", "Right")):
        upper = on(f"{S}Arm")
        fore = on(f"{S}ForeArm")
        t_up = _along(v, j[J[f"{s}_shoulder"]], j[J[f"{s}_elbow"]])
        t_fore = _along(v, j[J[f"{s}_elbow"]], j[J[f"{s}_wrist"]])
        if look.sleeves == "long":
            shirt |= upper | (fore & (t_fore < 0.93))
        else:
            shirt |= upper & (t_up < 0.45)
        if look.legs == "short":
            t_thigh = _along(v, j[J[f"{s}_hip"]], j[J[f"{s}_knee"]])
            trousers &= ~(on(f"{S}UpLeg") & (t_thigh > 0.6))
    shoe_top = j[J["left_ankle"], 1] + 0.015
    shoes = on(*both("Foot"), *both("ToeBase")) | (legs_lower & (v[:, 1] < shoe_top))
    if look.legs == "long":
        trousers |= legs_lower & ~shoes
    masks["shirt"], masks["trousers"], masks["shoes"] = shirt, trousers & ~shoes, shoes

    head = on("Head", "Neck1", "Neck")
    rel = v - 0.5 * (j[J["left_ear"]] + j[J["right_ear"]])          # from the ear midpoint
    hair = np.zeros(len(v), bool)
    if look.hair_style != "bald":
        hair = head & (rel[:, 1] > 0.02 + 0.5 * rel[:, 2])               # cap, higher in front
    if look.hair_style == "long":
        hair |= (on("Head", "Neck1", "Neck", "Spine1") & (rel[:, 2] < -0.03) & (rel[:, 1] > -0.2)
                 & (np.abs(rel[:, 0]) < 0.09))                          # down the nape
        hair |= head & (np.abs(rel[:, 0]) > 0.06) & (rel[:, 2] < 0.03) & (rel[:, 1] > -0.08)
    masks["hair"] = hair
    masks["eyes"] = on("Head") & np.any([np.linalg.norm(v - tpl.keypoints[k], axis=1) < EYE_RADIUS_M
                                         for k in ("left_eye", "right_eye")], axis=0)
    return masks


def vertex_colors(model, look: Appearance) -> np.ndarray:
    """(V, 3) float32 sRGB colours of ``model``'s vertices for this look."""
    v = model.template.vertices
    masks = garment_masks(model, look)
    out = np.tile(np.asarray(look.skin, np.float32), (len(v), 1))
    for name, first, second, kind, period, vertical in (
            ("trousers", look.trousers, look.trousers_second, look.trousers_pattern,
             look.trousers_period_m, True),
            ("shirt", look.shirt, look.shirt_second, look.shirt_pattern, look.shirt_period_m,
             look.stripes_vertical)):
        m = masks[name]
        out[m] = first
        out[m & _pattern(v, kind, period, vertical)] = second
    out[masks["shoes"]] = look.shoes
    out[masks["hair"]] = look.hair
    out[masks["eyes"]] = EYE_COLOR
    return out
