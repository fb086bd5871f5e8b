"""What surrounds the rendered body besides the background (``backgrounds.py``): light,
floor, occluders and camera effects.

Camera effects (``sensor_effects``): colour (exposure, contrast, white balance, gamma),
defocus, motion blur, Gaussian or Poisson noise, JPEG; each drawn with a probability and
replayable from the recorded parameters (``apply_sensor_effects``).
"""
from __future__ import annotations

import cv2
import numpy as np

from .backgrounds import random_color, smooth_noise, tile_pattern
from .renderer import Camera, Floor, Light, Mesh


# --------------------------------------------------------------------- camera effects


def sample_sensor_effects(rng: np.random.Generator) -> dict:
    """Which effects a frame gets and how strong (JSON-ready); ``apply_sensor_effects``
    applies them. Probabilities: colour 0.8, defocus 0.15, motion blur 0.15, noise 0.6,
    JPEG 0.6."""
    p: dict = {}
    if rng.random() < 0.8:
        p["color"] = {"exposure": float(rng.uniform(0.7, 1.3)),
                      "contrast": float(rng.uniform(0.75, 1.25)),
                      "white_balance_bgr": [float(v) for v in rng.uniform(0.85, 1.15, 3)],
                      "gamma": float(rng.uniform(0.8, 1.25))}
    if rng.random() < 0.15:
        p["defocus"] = {"radius_px": float(rng.uniform(0.8, 3.0))}
    if rng.random() < 0.15:
        p["motion_blur"] = {"length_px": float(rng.uniform(3, 12)),
                            "angle_deg": float(rng.uniform(0, 180))}
    if rng.random() < 0.6:
        if rng.random() < 0.5:
            p["noise"] = {"kind": "gaussian", "sigma": float(rng.uniform(1, 8)),
                          "seed": int(rng.integers(2**31))}
        else:
            p["noise"] = {"kind": "poisson", "peak": float(rng.uniform(30, 400)),
                          "seed": int(rng.integers(2**31))}
    if rng.random() < 0.6:
        p["jpeg"] = {"quality": int(rng.integers(40, 96))}
    return p


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    ys, xs = np.mgrid[-r:r + 1, -r:r + 1]
    k = np.clip(radius + 0.5 - np.hypot(xs, ys), 0, 1).astype(np.float32)
    return k / k.sum()


def _line(length: float, angle_deg: float) -> np.ndarray:
    r = int(np.ceil(length / 2))
    k = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    a = np.radians(angle_deg)
    d = np.array([np.cos(a), np.sin(a)]) * length / 2
    cv2.line(k, tuple(int(round(v)) for v in (r - d[0], r - d[1])),
             tuple(int(round(v)) for v in (r + d[0], r + d[1])), 1.0, 1, lineType=cv2.LINE_AA)
    return k / k.sum()


def apply_sensor_effects(image: np.ndarray, params: dict,
                         noise_rng: np.random.Generator | None = None) -> np.ndarray:
    """``image`` (H, W, 3) uint8 BGR through the effects in ``params``, in camera order:
    colour, defocus, motion blur, noise, JPEG. The noise comes from ``noise_rng`` when
    given (a new draw per frame of a sequence), else from the recorded seed."""
    img = image.astype(np.float32)
    if "color" in params:
        c = params["color"]
        img *= c["exposure"] * np.asarray(c["white_balance_bgr"], np.float32)
        mean = img.mean()
        img = (img - mean) * c["contrast"] + mean
        img = 255.0 * (np.clip(img, 0, 255) / 255.0) ** (1.0 / c["gamma"])
    if "defocus" in params:
        img = cv2.filter2D(img, -1, _disk(params["defocus"]["radius_px"]),
                           borderType=cv2.BORDER_REFLECT)
    if "motion_blur" in params:
        m = params["motion_blur"]
        img = cv2.filter2D(img, -1, _line(m["length_px"], m["angle_deg"]),
                           borderType=cv2.BORDER_REFLECT)
    if "noise" in params:
        n = params["noise"]
        g = noise_rng if noise_rng is not None else np.random.default_rng(n["seed"])
        if n["kind"] == "gaussian":
            img = img + g.normal(0, n["sigma"], img.shape).astype(np.float32)
        else:                                   # shot noise: photons ~ Poisson(peak * value)
            scale = n["peak"] / 255.0
            img = g.poisson(np.clip(img, 0, 255) * scale).astype(np.float32) / scale
    out = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    if "jpeg" in params:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, params["jpeg"]["quality"]])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


def sensor_effects(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Random camera effects on a rendered BGR image: (image, the parameters applied)."""
    params = sample_sensor_effects(rng)
    return apply_sensor_effects(image, params), params


# ------------------------------------------------------------------------ light, floor


def random_light(rng: np.random.Generator) -> Light:
    """A sun or lamp 25-80 degrees high from any side, warm to cool, with ambient light
    of 0.15-0.5 (overcast to harsh)."""
    elevation = rng.uniform(25, 80)
    azimuth = rng.uniform(0, 360)
    e, a = np.radians(elevation), np.radians(azimuth)
    direction = -np.array([np.cos(e) * np.sin(a), np.sin(e), np.cos(e) * np.cos(a)])
    tint = rng.uniform(-0.12, 0.12)             # + warm, - cool
    intensity = rng.uniform(0.45, 0.95)
    color = intensity * np.array([1 + tint, 1.0, 1 - tint])
    ambient_level = rng.uniform(0.15, 0.5)
    sky = rng.uniform(-0.06, 0.06)
    ambient = ambient_level * np.array([1 - sky, 1.0, 1 + sky])
    recipe = {"elevation_deg": round(float(elevation), 2), "azimuth_deg": round(float(azimuth), 2),
              "intensity": round(float(intensity), 3), "tint": round(float(tint), 3),
              "ambient": round(float(ambient_level), 3), "sky_tint": round(float(sky), 3)}
    return Light(direction=direction, color=color, ambient=ambient, recipe=recipe)


FLOOR_RECIPES = ("plain", "pattern", "noise")


def floor_texture(kind: str, seed: int, size: int = 256) -> np.ndarray | None:
    """(size, size, 3) uint8 BGR floor texture, a pure function of (kind, seed); None for
    "plain"."""
    rng = np.random.default_rng(seed)
    if kind == "plain":
        return None
    if kind == "pattern":
        img = tile_pattern(rng, size, size)
    elif kind == "noise":                        # concrete, carpet, asphalt, grass
        img = random_color(rng, 0.2, 0.85) * (0.7 + 0.6 * smooth_noise(
            rng, size, size, 5, int(rng.integers(2, 8))))[..., None]
        img += rng.normal(0, 6, (size, size, 1)).astype(np.float32)
    else:
        raise ValueError(f"unknown floor recipe {kind!r}; use {FLOOR_RECIPES}")
    return np.clip(img, 0, 255).astype(np.uint8)


def random_floor(rng: np.random.Generator, center=(0.0, 0.0)) -> Floor:
    """A 30-60 m floor square about ``center`` (x, z): plain, patterned (tiles, bricks,
    planks, checker) or noisy (concrete, carpet), its pattern 0.4-3 m per repeat."""
    kind = FLOOR_RECIPES[int(rng.integers(len(FLOOR_RECIPES)))]
    seed = int(rng.integers(2**31))
    tex = floor_texture(kind, seed)
    color = (np.array(rng.uniform(0.25, 0.8, 3)) if tex is None
             else np.ones(3) * rng.uniform(0.8, 1.0))
    texture_size = float(rng.uniform(0.4, 3.0))
    size = float(rng.uniform(30, 60))
    shadow, contact = float(rng.uniform(0.45, 0.85)), float(rng.uniform(0.3, 0.7))
    return Floor(color=color, texture=tex, texture_size=texture_size, size=size,
                 center=(float(center[0]), float(center[1])), shadow_strength=shadow,
                 contact_strength=contact, recipe={"kind": kind, "seed": seed})


# -------------------------------------------------------------------------- occluders


def box_mesh(base, size, yaw_deg: float = 0.0, color=(0.6, 0.6, 0.6)) -> Mesh:
    """A box standing on ``base`` (x, y, z: the centre of its bottom face), ``size``
    (width along x, height, depth along z) before turning ``yaw_deg`` about Y. Each face
    has its own vertices, so it shades flat."""
    w, h, d = (float(v) for v in size)
    corners = np.array([[x, y, z] for x in (-w / 2, w / 2) for y in (0, h)
                        for z in (-d / 2, d / 2)])                           # (8, 3)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    a = np.radians(yaw_deg)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    verts, faces, normals = [], [], []
    for q in quads:
        p = corners[list(q)] @ rot.T + np.asarray(base, dtype=np.float64)
        n = np.cross(p[1] - p[0], p[2] - p[0])
        n /= np.linalg.norm(n)
        k = len(verts) * 4
        verts.append(p)
        normals.append(np.repeat(n[None], 4, axis=0))
        faces += [[k, k + 1, k + 2], [k, k + 2, k + 3]]
    v = np.concatenate(verts)
    return Mesh(v, np.array(faces), np.broadcast_to(np.asarray(color, np.float32), v.shape),
                normals=np.concatenate(normals))


def pole_mesh(base, height: float, radius: float, color=(0.5, 0.5, 0.5),
              segments: int = 16) -> Mesh:
    """An upright cylinder (no caps) standing on ``base`` (x, y, z)."""
    a = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([np.cos(a), np.zeros_like(a), np.sin(a)], axis=1)          # (S, 3)
    b = np.asarray(base, dtype=np.float64)
    v = np.concatenate([b + radius * ring, b + radius * ring + [0, height, 0]])
    i = np.arange(segments)
    j = (i + 1) % segments
    faces = np.concatenate([np.stack([i, j, j + segments], 1),
                            np.stack([i, j + segments, i + segments], 1)])
    normals = np.concatenate([ring, ring])
    return Mesh(v, faces, np.broadcast_to(np.asarray(color, np.float32), v.shape),
                normals=normals)


def occluders_at(rng: np.random.Generator, positions) -> tuple[list[Mesh], list[dict]]:
    """A random occluder standing at each floor point (x, z) or (x, y, z): a crate or
    table-high box (0.3-1.0 m wide, 0.4-1.3 m high), a pole (2-3 m, 4-15 cm thick) or a
    counter-like panel (1-2 m wide, 0.8-1.2 m high). Returns meshes and what they are."""
    meshes, info = [], []
    for pos in np.atleast_2d(np.asarray(positions, dtype=np.float64)):
        base = np.array([pos[0], 0.0, pos[1]]) if len(pos) == 2 else pos.copy()
        kind = ("box", "pole", "panel")[int(rng.integers(3))]
        color = np.asarray(random_color(rng)[::-1] / 255.0, np.float32)               # RGB
        yaw = float(rng.uniform(0, 180))
        if kind == "pole":
            height, radius = float(rng.uniform(2, 3)), float(rng.uniform(0.04, 0.15))
            meshes.append(pole_mesh(base, height, radius, color))
            info.append({"kind": kind, "base": _r(base), "height": round(height, 3),
                         "radius": round(radius, 3), "color": _r(color)})
            continue
        if kind == "box":
            size = (rng.uniform(0.3, 1.0), rng.uniform(0.4, 1.3), rng.uniform(0.3, 0.8))
        else:
            size = (rng.uniform(1.0, 2.0), rng.uniform(0.8, 1.2), rng.uniform(0.05, 0.2))
        meshes.append(box_mesh(base, size, yaw, color))
        info.append({"kind": kind, "base": _r(base), "size": _r(size), "yaw_deg": round(yaw, 2),
                     "color": _r(color)})
    return meshes, info


def occluder_meshes(rng: np.random.Generator, camera: Camera, subject_center,
                    count: int | None = None) -> tuple[list[Mesh], dict]:
    """1-2 occluders standing between the camera and the subject (floor distance from the
    subject 0.7-2.5 m, from the camera 0.8 m or more; up to 0.6 m to either side of the
    line of sight), as ``occluders_at`` makes them. None fit when the camera is
    closer than 1.6 m (on the floor): then no meshes and the reason."""
    cam = camera.position[[0, 2]]
    subj = np.asarray(subject_center, dtype=np.float64)[[0, 2]]
    span = cam - subj
    dist = float(np.linalg.norm(span))
    if dist < 1.6:
        return [], {"occluders": [], "skipped": f"camera {dist:.2f} m from the subject"}
    ahead, side = span / dist, np.array([-span[1], span[0]]) / dist
    n = int(count if count is not None else rng.integers(1, 3))
    lo, hi = 0.7, min(dist - 0.8, 2.5)       # near the subject: covers part of it, not all
    points = [subj + ahead * rng.uniform(lo, hi) + side * rng.uniform(-0.6, 0.6)
              for _ in range(n)]
    meshes, info = occluders_at(rng, np.array(points))
    return meshes, {"occluders": info}


def _r(a) -> list[float]:
    return [round(float(v), 4) for v in np.asarray(a).ravel()]
