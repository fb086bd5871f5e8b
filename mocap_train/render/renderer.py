"""Software OpenGL renderer for the rendered training data (moderngl on Mesa EGL).

One GL context per process (``_context``), shared by every ``Renderer``; framebuffers
are made once per image size and reused. What a frame is made of, back to front:

1. the background: a full-screen quad that copies the given BGR image texel for texel
   (so wherever nothing else is drawn the image comes back unchanged, and the edges of
   the meshes are anti-aliased against it, as a camera would see them);
2. the floor (a square at y = 0, a colour or a repeated texture), lit by the directional
   light and darkened by a soft contact shadow of the meshes: the meshes projected onto
   the floor along the light and straight down (an ambient-occlusion blob that fades
   with height), rasterised from above and blurred;
3. the meshes, Lambert + ambient, both faces lit (no back-face culling);
4. the 4x multisampled image resolved and read back.

Camera and pixel convention (``Camera``): OpenCV axes (x right, y down, z forward) and
**pixel centres at integer coordinates**: pixel (col, row) covers [col - 0.5, col + 0.5] x
[row - 0.5, row + 0.5], so the image spans [-0.5, W - 0.5] x [-0.5, H - 0.5] and its
centre is ((W - 1) / 2, (H - 1) / 2). ``Camera.project`` and the rasteriser agree on this
exactly (``_projection``); tests/train/test_render_renderer.py checks it to 0.5 px.

    renderer = Renderer()
    cam = Camera.look_at(eye=(0, 1.5, 4), target=(0, 1, 0), hfov_deg=60, width=640, height=480)
    res = renderer.render(cam, [Mesh(v, f, c)], light=Light(), floor=Floor(),
                          background=bgr_image)
    res.image   # (480, 640, 3) uint8 BGR;  res.mask: where meshes[0] is visible
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

PIXEL_CONVENTION = ("pixel centres at integer coordinates: pixel (col, row) covers "
                    "[col-0.5, col+0.5] x [row-0.5, row+0.5]; the image spans "
                    "[-0.5, W-0.5] x [-0.5, H-0.5]")
NEAR_M, FAR_M = 0.05, 500.0     # clip planes (24-bit depth: ~0.1 mm steps at 5 m)


def _vec(values, n: int, name: str) -> np.ndarray:
    a = np.array(values, dtype=np.float64).reshape(-1)
    if a.shape != (n,):
        raise ValueError(f"{name}: expected {n} values, got shape {a.shape}")
    a.setflags(write=False)
    return a


# ------------------------------------------------------------------------------ camera


@dataclass(frozen=True, eq=False)
class Camera:
    """A pinhole camera in OpenCV axes (x right, y down, z forward, away from the camera).

    World axes are the app's (metres, Y up). ``x_cam = R @ x_world + t``. Pixels follow
    ``PIXEL_CONVENTION`` (centres at integer coordinates).
    """
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    R: np.ndarray     # (3, 3) world -> camera rotation
    t: np.ndarray     # (3,) metres

    def __post_init__(self):
        R = np.array(self.R, dtype=np.float64)
        if R.shape != (3, 3) or not np.allclose(R @ R.T, np.eye(3), atol=1e-6):
            raise ValueError("Camera.R must be a (3, 3) rotation matrix")
        R.setflags(write=False)
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "t", _vec(self.t, 3, "Camera.t"))
        for k in ("width", "height"):
            object.__setattr__(self, k, int(getattr(self, k)))
        for k in ("fx", "fy", "cx", "cy"):
            object.__setattr__(self, k, float(getattr(self, k)))
        if self.width <= 0 or self.height <= 0 or self.fx <= 0 or self.fy <= 0:
            raise ValueError("Camera: size and focal lengths must be positive")

    @property
    def position(self) -> np.ndarray:
        """(3,) the camera centre in world axes."""
        return -self.R.T @ self.t

    @property
    def K(self) -> np.ndarray:
        """(3, 3) intrinsic matrix."""
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1.0]])

    def to_camera(self, points_world) -> np.ndarray:
        """(..., 3) world points -> (..., 3) camera axes (metres)."""
        p = np.asarray(points_world, dtype=np.float64)
        return p @ self.R.T + self.t

    def project(self, points_world) -> np.ndarray:
        """(..., 3) world points -> (..., 2) pixels (x right, y down; ``PIXEL_CONVENTION``).
        Points at or behind the camera plane (z <= 0) give NaN."""
        pc = self.to_camera(points_world)
        z = pc[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = self.fx * pc[..., 0] / z + self.cx
            v = self.fy * pc[..., 1] / z + self.cy
        uv = np.stack([u, v], axis=-1)
        uv[z <= 0] = np.nan
        return uv

    def as_dict(self) -> dict:
        """Size, intrinsics and extrinsics, JSON-ready (``from_dict`` rebuilds it)."""
        return {"width": self.width, "height": self.height,
                "fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy,
                "R": self.R.tolist(), "t": self.t.tolist(),
                "axes": "opencv: x right, y down, z forward; x_cam = R x_world + t; "
                        "world: app axes, metres, Y up",
                "pixels": PIXEL_CONVENTION}

    @staticmethod
    def from_dict(d: dict) -> "Camera":
        return Camera(d["width"], d["height"], d["fx"], d["fy"], d["cx"], d["cy"],
                      np.array(d["R"]), np.array(d["t"]))

    @staticmethod
    def look_at(eye, target, hfov_deg: float, width: int, height: int,
                roll_deg: float = 0.0) -> "Camera":
        """A camera at ``eye`` aimed at ``target`` (world, Y up), level unless rolled: a
        positive ``roll_deg`` turns the picture's content clockwise on screen (what was
        right of the centre moves down). The horizontal field of view spans the image
        width: fx = fy = (width / 2) / tan(hfov / 2); the principal point is the image
        centre ((W - 1) / 2, (H - 1) / 2), where ``target`` lands."""
        eye, target = _vec(eye, 3, "eye"), _vec(target, 3, "target")
        z = target - eye
        if np.linalg.norm(z) < 1e-9:
            raise ValueError("look_at: eye and target coincide")
        z = z / np.linalg.norm(z)
        up = np.array([0.0, 1.0, 0.0])
        if abs(z @ up) > 0.999:             # looking straight up or down: keep -Z as "up"
            up = np.array([0.0, 0.0, -1.0])
        x = np.cross(z, up)
        x /= np.linalg.norm(x)
        y = np.cross(z, x)                  # down in the image
        R = np.stack([x, y, z])             # rows: camera axes in world coordinates
        if roll_deg:
            a = np.radians(roll_deg)
            c, s = np.cos(a), np.sin(a)
            R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]]) @ R
        f = (width / 2.0) / np.tan(np.radians(hfov_deg) / 2.0)
        return Camera(width, height, f, f, (width - 1) / 2.0, (height - 1) / 2.0,
                      R, -R @ eye)


def _projection(cam: Camera, near: float = NEAR_M, far: float = FAR_M) -> np.ndarray:
    """(4, 4) camera axes -> clip space, matching ``Camera.project`` pixel for pixel.

    NDC x = 2 (u + 0.5) / W - 1 puts pixel centre u at its place in GL's [-1, 1] (GL's
    left edge is pixel edge -0.5). y is NOT flipped: image row 0 lands on GL's bottom row,
    which is the first row ``Framebuffer.read`` returns, so the read-back needs no flip
    (the triangle winding flips, which does not matter without culling)."""
    W, H = cam.width, cam.height
    return np.array([
        [2 * cam.fx / W, 0, 2 * (cam.cx + 0.5) / W - 1, 0],
        [0, 2 * cam.fy / H, 2 * (cam.cy + 0.5) / H - 1, 0],
        [0, 0, (far + near) / (far - near), -2 * far * near / (far - near)],
        [0, 0, 1, 0]])


def _view(cam: Camera) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = cam.R, cam.t
    return m


# ------------------------------------------------------------------- scene contents


@dataclass
class Mesh:
    """A triangle mesh in world axes (app axes, metres)."""
    vertices: np.ndarray            # (V, 3) float32
    faces: np.ndarray               # (F, 3) int32
    colors: np.ndarray              # (V, 3) float32 RGB 0..1, per vertex
    normals: np.ndarray | None = None  # (V, 3) per vertex; None: area-weighted smooth

    def __post_init__(self):
        self.vertices = np.ascontiguousarray(self.vertices, dtype=np.float32)
        self.faces = np.ascontiguousarray(self.faces, dtype=np.int32)
        colors = np.asarray(self.colors, dtype=np.float32)
        if colors.shape == (3,):                     # one colour for the whole mesh
            colors = np.broadcast_to(colors, self.vertices.shape)
        self.colors = np.ascontiguousarray(colors)
        if self.vertices.ndim != 2 or self.vertices.shape[1] != 3:
            raise ValueError(f"Mesh.vertices must be (V, 3), got {self.vertices.shape}")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3:
            raise ValueError(f"Mesh.faces must be (F, 3), got {self.faces.shape}")
        if self.colors.shape != self.vertices.shape:
            raise ValueError("Mesh.colors must be (V, 3) like the vertices")


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) unit normals, each the area-weighted mean of its faces' normals."""
    v = vertices.astype(np.float64)
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])  # (F, 3)
    n = np.zeros_like(v)
    idx = faces.reshape(-1)
    w = np.repeat(fn, 3, axis=0)                                                       # (3F, 3)
    for k in range(3):
        n[:, k] = np.bincount(idx, weights=w[:, k], minlength=len(v))
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return n.astype(np.float32)


@dataclass(frozen=True, eq=False)
class Light:
    """A directional light plus ambient light."""
    direction: np.ndarray = (0.4, -1.0, -0.3)   # world, the way the light travels (down: y < 0)
    color: np.ndarray = (0.85, 0.85, 0.85)      # RGB of the direct light on a surface facing it
    ambient: np.ndarray = (0.35, 0.35, 0.35)    # RGB added everywhere
    recipe: dict | None = None                  # how it was drawn (scene.random_light)

    def __post_init__(self):
        d = _vec(self.direction, 3, "Light.direction")
        if np.linalg.norm(d) < 1e-9:
            raise ValueError("Light.direction must not be zero")
        object.__setattr__(self, "direction", _vec(d / np.linalg.norm(d), 3, "direction"))
        object.__setattr__(self, "color", _vec(self.color, 3, "Light.color"))
        object.__setattr__(self, "ambient", _vec(self.ambient, 3, "Light.ambient"))

    def as_dict(self) -> dict:
        out = {"direction": _rounded(self.direction), "color": _rounded(self.color),
               "ambient": _rounded(self.ambient)}
        if self.recipe is not None:
            out["recipe"] = self.recipe
        return out


@dataclass(frozen=True, eq=False)
class Floor:
    """A square floor at y = 0 receiving the meshes' soft contact shadow."""
    color: np.ndarray = (0.55, 0.55, 0.55)  # RGB 0..1; multiplies the texture if there is one
    texture: np.ndarray | None = None       # (h, w, 3) uint8 BGR (OpenCV order), repeated
    texture_size: float = 1.0               # metres of floor one copy of the texture covers
    size: float = 40.0                      # side of the square, metres
    center: tuple[float, float] = (0.0, 0.0)  # its centre (x, z), metres
    shadow_strength: float = 0.75           # share of the direct light the shadow removes
    contact_strength: float = 0.5           # share of the ambient light removed right under
    recipe: dict | None = None              # how it was drawn (scene.random_floor)

    def __post_init__(self):
        object.__setattr__(self, "color", _vec(self.color, 3, "Floor.color"))
        if self.texture is not None:
            tex = np.ascontiguousarray(self.texture, dtype=np.uint8)
            if tex.ndim != 3 or tex.shape[2] != 3:
                raise ValueError("Floor.texture must be (h, w, 3) uint8 BGR")
            object.__setattr__(self, "texture", tex)

    def as_dict(self) -> dict:
        """The floor without its texture pixels (the recipe says how to make them)."""
        out = {"color": _rounded(self.color), "textured": self.texture is not None,
               "texture_size": round(float(self.texture_size), 4), "size": float(self.size),
               "center": [float(c) for c in self.center],
               "shadow_strength": round(float(self.shadow_strength), 4),
               "contact_strength": round(float(self.contact_strength), 4)}
        if self.recipe is not None:
            out["recipe"] = self.recipe
        return out


def _rounded(a: np.ndarray) -> list[float]:
    return [round(float(v), 5) for v in a]


@dataclass
class RenderResult:
    """What ``Renderer.render`` gives. The subject is ``meshes[0]``, counted only where it
    is in front (what hides it is not the subject)."""
    image: np.ndarray               # (H, W, 3) uint8 BGR
    mask: np.ndarray                # (H, W) bool: the subject covers >= half the pixel
    coverage: np.ndarray            # (H, W) uint8 0..255: share of the pixel's samples on it
    depth: np.ndarray | None = None  # (H, W) float32 camera z (m) of the nearest mesh, inf
                                     # where none (``with_depth=True``; one sample a pixel)


# ------------------------------------------------------------------------ shaders

_MESH_VS = """
#version 330
uniform mat4 u_view;
uniform mat4 u_proj;
in vec3 in_pos;
in vec3 in_normal;
in vec3 in_color;
out vec3 v_world;
out vec3 v_normal;
out vec3 v_color;
void main() {
    v_world = in_pos;
    v_normal = in_normal;
    v_color = in_color;
    gl_Position = u_proj * (u_view * vec4(in_pos, 1.0));
}
"""

# The framebuffer holds BGR (what OpenCV and the detector take), so the read-back needs
# no channel swap: every shader writes .bgr.
_MESH_FS = """
#version 330
uniform vec3 u_to_light;
uniform vec3 u_light_color;
uniform vec3 u_ambient;
uniform vec3 u_eye;
uniform float u_subject;
in vec3 v_world;
in vec3 v_normal;
in vec3 v_color;
layout(location = 0) out vec4 f_color;
layout(location = 1) out vec4 f_subject;
void main() {
    vec3 n = normalize(v_normal);
    if (dot(n, u_eye - v_world) < 0.0) n = -n;     // light the side the camera sees
    float lambert = max(dot(n, u_to_light), 0.0);
    vec3 c = v_color * (u_ambient + u_light_color * lambert);
    f_color = vec4(clamp(c, 0.0, 1.0).bgr, 1.0);
    f_subject = vec4(u_subject, 0.0, 0.0, 1.0);
}
"""

_SCREEN_VS = """
#version 330
in vec2 in_ndc;
void main() { gl_Position = vec4(in_ndc, 0.999999, 1.0); }
"""

_BACKGROUND_FS = """
#version 330
uniform sampler2D u_image;    // BGR bytes as uploaded, row 0 = image row 0
uniform bool u_textured;
uniform vec3 u_fill;          // BGR 0..1 when there is no image
layout(location = 0) out vec4 f_color;
layout(location = 1) out vec4 f_subject;
void main() {
    vec3 c = u_textured ? texelFetch(u_image, ivec2(gl_FragCoord.xy), 0).rgb : u_fill;
    f_color = vec4(c, 1.0);
    f_subject = vec4(0.0);
}
"""

_FLOOR_VS = """
#version 330
uniform mat4 u_view;
uniform mat4 u_proj;
in vec3 in_pos;
out vec3 v_world;
void main() {
    v_world = in_pos;
    gl_Position = u_proj * (u_view * vec4(in_pos, 1.0));
}
"""

_FLOOR_FS = """
#version 330
uniform vec3 u_color;          // RGB
uniform bool u_textured;
uniform sampler2D u_texture;   // BGR bytes
uniform float u_texture_size;
uniform sampler2D u_shadow;    // r: projected along the light, g: contact (straight down)
uniform bool u_shadowed;
uniform vec4 u_shadow_rect;    // x0, z0, x1, z1 metres
uniform float u_shadow_strength;
uniform float u_contact_strength;
uniform vec3 u_to_light;
uniform vec3 u_light_color;
uniform vec3 u_ambient;
uniform vec3 u_eye;
in vec3 v_world;
layout(location = 0) out vec4 f_color;
layout(location = 1) out vec4 f_subject;
void main() {
    vec3 albedo = u_color;
    if (u_textured) albedo *= texture(u_texture, v_world.xz / u_texture_size).bgr;
    vec2 s = vec2(0.0);
    if (u_shadowed) {
        vec2 uv = (v_world.xz - u_shadow_rect.xy) / (u_shadow_rect.zw - u_shadow_rect.xy);
        if (all(greaterThanEqual(uv, vec2(0.0))) && all(lessThanEqual(uv, vec2(1.0))))
            s = texture(u_shadow, uv).rg;
    }
    vec3 n = vec3(0.0, u_eye.y >= 0.0 ? 1.0 : -1.0, 0.0);
    float lambert = max(dot(n, u_to_light), 0.0);
    vec3 c = albedo * (u_ambient * (1.0 - u_contact_strength * s.g)
                       + u_light_color * lambert * (1.0 - u_shadow_strength * s.r));
    f_color = vec4(clamp(c, 0.0, 1.0).bgr, 1.0);
    f_subject = vec4(0.0);
}
"""

# The shadow pass draws the meshes from above into a floor-sized texture: mode 0 moves
# each point along the light onto y = 0, mode 1 straight down with a weight that fades
# over CONTACT_FADE_M of height (blending MAX keeps the darkest of overlapping parts).
_SHADOW_VS = """
#version 330
uniform vec3 u_dir;
uniform vec4 u_rect;
uniform int u_mode;
in vec3 in_pos;
out float v_height;
void main() {
    vec2 q = u_mode == 0 ? in_pos.xz - u_dir.xz * (in_pos.y / u_dir.y) : in_pos.xz;
    v_height = max(in_pos.y, 0.0);
    gl_Position = vec4((q - u_rect.xy) / (u_rect.zw - u_rect.xy) * 2.0 - 1.0, 0.0, 1.0);
}
"""

_SHADOW_FS = """
#version 330
uniform int u_mode;
uniform float u_fade;
in float v_height;
out vec4 f_shadow;
void main() {
    f_shadow = u_mode == 0 ? vec4(1.0, 0.0, 0.0, 0.0)
                           : vec4(0.0, exp(-v_height / u_fade), 0.0, 0.0);
}
"""

SHADOW_TEXELS = 256          # side of the shadow texture
SHADOW_BLUR_M = 0.04         # penumbra of the projected shadow (Gaussian sigma, metres)
CONTACT_BLUR_M = 0.10        # spread of the contact blob
CONTACT_FADE_M = 0.12        # height over which the contact darkening fades (1/e)
MIN_LIGHT_ELEVATION = 0.1    # |direction.y| below this: no projected shadow (it would run off)


# ------------------------------------------------------------------------ renderer

_CONTEXT = None
_CONTEXT_PID = None


def _context():
    """The process's one GL context (Mesa EGL; llvmpipe where there is no GPU). Made on
    first use, so worker processes forked before it each make their own (a context does
    not survive a fork: a child that inherited one makes a new one)."""
    global _CONTEXT, _CONTEXT_PID
    if _CONTEXT is None or _CONTEXT_PID != os.getpid():
        import moderngl  # noqa: PLC0415
        _CONTEXT = moderngl.create_context(standalone=True, backend="egl")
        _CONTEXT_PID = os.getpid()
    return _CONTEXT


class _Target:
    """The framebuffers of one image size: multisampled drawing, resolved read-back, and
    a single-sample depth pass."""

    def __init__(self, ctx, width: int, height: int, samples: int):
        size = (width, height)
        self.samples = samples
        self.draw = ctx.framebuffer(
            color_attachments=[ctx.renderbuffer(size, 4, samples=samples),
                               ctx.renderbuffer(size, 1, samples=samples)],
            depth_attachment=ctx.depth_renderbuffer(size, samples=samples))
        self.resolved = (self.draw if samples == 0 else ctx.framebuffer(
            color_attachments=[ctx.renderbuffer(size, 4), ctx.renderbuffer(size, 1)]))
        self.depth = ctx.framebuffer(depth_attachment=ctx.depth_renderbuffer(size))
        self.background = ctx.texture(size, 3)
        self.background.filter = (ctx.NEAREST, ctx.NEAREST)


class Renderer:
    """Renders meshes through a ``Camera`` into BGR images (see the module docstring).

    samples: multisampling per pixel (4: anti-aliased edges, as a camera's; 0: none).
    """

    def __init__(self, samples: int = 4, near: float = NEAR_M, far: float = FAR_M):
        self.ctx = ctx = _context()
        self.samples = int(min(samples, ctx.max_samples))
        self.near, self.far = near, far
        self._mesh = ctx.program(vertex_shader=_MESH_VS, fragment_shader=_MESH_FS)
        self._background = ctx.program(vertex_shader=_SCREEN_VS, fragment_shader=_BACKGROUND_FS)
        self._floor = ctx.program(vertex_shader=_FLOOR_VS, fragment_shader=_FLOOR_FS)
        self._shadow = ctx.program(vertex_shader=_SHADOW_VS, fragment_shader=_SHADOW_FS)
        tri = np.array([-1, -1, 3, -1, -1, 3], dtype="f4")   # one triangle covers the screen
        self._screen_vbo = ctx.buffer(tri.tobytes())
        self._screen = ctx.vertex_array(self._background, [(self._screen_vbo, "2f", "in_ndc")])
        self._targets: dict[tuple[int, int], _Target] = {}
        self._shadow_fbo = ctx.framebuffer(
            color_attachments=[ctx.texture((SHADOW_TEXELS, SHADOW_TEXELS), 2)])
        self._shadow_tex = ctx.texture((SHADOW_TEXELS, SHADOW_TEXELS), 2)
        self._shadow_tex.repeat_x = self._shadow_tex.repeat_y = False
        self._dummy_tex = ctx.texture((1, 1), 3, data=bytes(3))

    def _target(self, width: int, height: int) -> _Target:
        key = (width, height)
        if key not in self._targets:
            self._targets[key] = _Target(self.ctx, width, height, self.samples)
        return self._targets[key]

    def render(self, camera: Camera, meshes: list[Mesh], light: Light | None = None,
               floor: Floor | None = None, background: np.ndarray | None = None,
               fill_bgr: tuple[int, int, int] = (128, 128, 128),
               with_depth: bool = False) -> RenderResult:
        """One frame through ``camera``.

        meshes:     the first is the subject (``mask``, ``coverage``); all cast shadows
        light:      ``Light()`` when None
        floor:      None: no floor (the background shows below the horizon too)
        background: (H, W, 3) uint8 BGR of the camera's size, behind everything, texel for
                    texel; ``fill_bgr`` where there is none
        with_depth: also the nearest mesh's camera z per pixel (one more pass)
        """
        ctx = self.ctx
        W, H = camera.width, camera.height
        light = light or Light()
        if background is not None:
            background = np.ascontiguousarray(background, dtype=np.uint8)
            if background.shape != (H, W, 3):
                raise ValueError(f"background must be ({H}, {W}, 3) uint8 BGR like the "
                                 f"camera, got {background.shape}")
        target = self._target(W, H)
        view = _view(camera).T.astype("f4").tobytes()     # GL wants column-major
        proj = _projection(camera, self.near, self.far).T.astype("f4").tobytes()
        eye = camera.position.astype("f4")
        to_light = (-light.direction).astype("f4")

        resources = []                                     # released after the frame
        mesh_vaos, shadow_vaos = [], []
        for m in meshes:
            normals = m.normals if m.normals is not None else vertex_normals(m.vertices, m.faces)
            vbo_p = ctx.buffer(m.vertices.tobytes())
            vbo_n = ctx.buffer(np.ascontiguousarray(normals, dtype="f4").tobytes())
            vbo_c = ctx.buffer(m.colors.tobytes())
            ibo = ctx.buffer(m.faces.tobytes())
            vao = ctx.vertex_array(self._mesh, [(vbo_p, "3f", "in_pos"),
                                                (vbo_n, "3f", "in_normal"),
                                                (vbo_c, "3f", "in_color")],
                                   index_buffer=ibo, index_element_size=4)
            mesh_vaos.append(vao)
            resources += [vbo_p, vbo_n, vbo_c, ibo, vao]
            if floor is not None:
                svao = ctx.vertex_array(self._shadow, [(vbo_p, "3f", "in_pos")],
                                        index_buffer=ibo, index_element_size=4)
                shadow_vaos.append(svao)
                resources.append(svao)

        try:
            shadow_rect = None
            if floor is not None and meshes:
                shadow_rect = self._draw_shadow(meshes, shadow_vaos, light, floor)

            target.draw.use()
            ctx.disable(ctx.DEPTH_TEST | ctx.CULL_FACE | ctx.BLEND)
            target.draw.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
            # 1. background
            bg = self._background
            if background is not None:
                target.background.write(background.tobytes())
                target.background.use(0)
                bg["u_image"].value = 0
            bg["u_textured"].value = background is not None
            bg["u_fill"].value = tuple(c / 255.0 for c in fill_bgr)
            self._screen.render(vertices=3)       # depth test off: writes no depth either
            ctx.enable(ctx.DEPTH_TEST)
            # 2. floor
            if floor is not None:
                self._draw_floor(camera, floor, light, view, proj, shadow_rect, resources)
            # 3. meshes
            p = self._mesh
            p["u_view"].write(view)
            p["u_proj"].write(proj)
            p["u_to_light"].value = tuple(to_light)
            p["u_light_color"].value = tuple(light.color)
            p["u_ambient"].value = tuple(light.ambient)
            p["u_eye"].value = tuple(eye)
            for i, vao in enumerate(mesh_vaos):
                p["u_subject"].value = 1.0 if i == 0 else 0.0
                vao.render()
            # 4. resolve and read back
            if target.resolved is not target.draw:
                ctx.copy_framebuffer(target.resolved, target.draw)
            image = np.frombuffer(target.resolved.read(components=3, attachment=0),
                                  np.uint8).reshape(H, W, 3)
            coverage = np.frombuffer(target.resolved.read(components=1, attachment=1),
                                     np.uint8).reshape(H, W)
            depth = None
            if with_depth:
                depth = self._depth_pass(target, mesh_vaos, W, H)
        finally:
            for r in resources:
                r.release()
        return RenderResult(image=image.copy(), mask=coverage >= 128,
                            coverage=coverage.copy(), depth=depth)

    # -- passes -------------------------------------------------------------------------
    def _draw_shadow(self, meshes, vaos, light: Light, floor: Floor):
        """Rasterise the meshes onto the floor from above into ``_shadow_tex``: r = the
        projected shadow, g = the contact blob; blurred. Returns the rect it covers
        (x0, z0, x1, z1) or None when the meshes are nowhere near the floor square."""
        import cv2  # noqa: PLC0415
        d = light.direction
        cast = d[1] < -MIN_LIGHT_ELEVATION
        pts = [m.vertices[:, [0, 2]] for m in meshes]
        if cast:
            pts += [m.vertices[:, [0, 2]] - m.vertices[:, 1:2] * (d[[0, 2]] / d[1])
                    for m in meshes]
        pts = np.concatenate(pts)
        margin = 3 * max(SHADOW_BLUR_M, CONTACT_BLUR_M)
        lo, hi = pts.min(axis=0) - margin, pts.max(axis=0) + margin
        half = floor.size / 2
        c = np.asarray(floor.center, dtype=np.float64)
        lo, hi = np.maximum(lo, c - half), np.minimum(hi, c + half)
        if np.any(hi - lo <= 1e-6):
            return None
        rect = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        ctx = self.ctx
        self._shadow_fbo.use()
        self._shadow_fbo.clear(0.0, 0.0, 0.0, 0.0)
        ctx.disable(ctx.DEPTH_TEST | ctx.CULL_FACE)
        ctx.enable(ctx.BLEND)
        ctx.blend_equation = ctx.MAX
        ctx.blend_func = ctx.ONE, ctx.ONE
        s = self._shadow
        s["u_dir"].value = tuple(d)
        s["u_rect"].value = rect
        s["u_fade"].value = CONTACT_FADE_M
        for mode in ((0, 1) if cast else (1,)):
            s["u_mode"].value = mode
            for vao in vaos:
                vao.render()
        ctx.blend_equation = ctx.FUNC_ADD
        ctx.blend_func = ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA
        ctx.disable(ctx.BLEND)
        n = SHADOW_TEXELS
        raw = np.frombuffer(self._shadow_fbo.read(components=2), np.uint8).reshape(n, n, 2)
        per_m = n / np.array([hi[0] - lo[0], hi[1] - lo[1]])      # texels per metre (x, z)
        out = np.empty_like(raw)
        for ch, sigma_m in ((0, SHADOW_BLUR_M), (1, CONTACT_BLUR_M)):
            # two box passes ~ a Gaussian of this sigma, at a cost that does not grow with
            # it (cv2.GaussianBlur took 14 ms per channel here)
            kx, ky = (max(1, int(round(np.sqrt(6.0 * (sigma_m * p) ** 2 + 1.0))))
                      for p in per_m)
            out[..., ch] = cv2.blur(cv2.blur(raw[..., ch], (kx, ky)), (kx, ky))
        self._shadow_tex.write(out.tobytes())
        return rect

    def _draw_floor(self, camera: Camera, floor: Floor, light: Light, view: bytes,
                    proj: bytes, shadow_rect, resources: list) -> None:
        ctx = self.ctx
        cx, cz = floor.center
        h = floor.size / 2
        quad = np.array([[cx - h, 0, cz - h], [cx + h, 0, cz - h], [cx + h, 0, cz + h],
                         [cx - h, 0, cz - h], [cx + h, 0, cz + h], [cx - h, 0, cz + h]],
                        dtype="f4")
        vbo = ctx.buffer(quad.tobytes())
        vao = ctx.vertex_array(self._floor, [(vbo, "3f", "in_pos")])
        resources += [vbo, vao]
        p = self._floor
        p["u_view"].write(view)
        p["u_proj"].write(proj)
        p["u_color"].value = tuple(floor.color)
        p["u_textured"].value = floor.texture is not None
        if floor.texture is not None:
            th, tw = floor.texture.shape[:2]
            tex = ctx.texture((tw, th), 3, data=floor.texture.tobytes())
            tex.build_mipmaps()
            tex.anisotropy = 1.0   # llvmpipe: 8x took 45-90 s a frame at grazing views
            resources.append(tex)
            tex.use(1)
        else:
            self._dummy_tex.use(1)
        p["u_texture"].value = 1
        p["u_texture_size"].value = float(floor.texture_size)
        self._shadow_tex.use(2)
        p["u_shadow"].value = 2
        p["u_shadowed"].value = shadow_rect is not None
        p["u_shadow_rect"].value = shadow_rect or (0.0, 0.0, 1.0, 1.0)
        p["u_shadow_strength"].value = float(floor.shadow_strength)
        p["u_contact_strength"].value = float(floor.contact_strength)
        p["u_to_light"].value = tuple(-light.direction)
        p["u_light_color"].value = tuple(light.color)
        p["u_ambient"].value = tuple(light.ambient)
        p["u_eye"].value = tuple(camera.position)
        vao.render()

    def _depth_pass(self, target: _Target, vaos, W: int, H: int) -> np.ndarray:
        """Camera z of the nearest mesh per pixel centre (single sample), inf where none."""
        ctx = self.ctx
        target.depth.use()
        target.depth.clear(depth=1.0)
        ctx.enable(ctx.DEPTH_TEST)
        for vao in vaos:
            vao.render()
        d = np.frombuffer(target.depth.read(components=1, attachment=-1, dtype="f4"), np.float32)
        d = d.reshape(H, W).astype(np.float64)
        n, f = self.near, self.far
        z_ndc = 2.0 * d - 1.0
        with np.errstate(divide="ignore"):
            z = 2.0 * f * n / ((f + n) - z_ndc * (f - n))
        z[d >= 1.0] = np.inf
        return z.astype(np.float32)

    def release(self) -> None:
        """Free this renderer's GL objects (the context stays for the process)."""
        for t in self._targets.values():
            for fbo in {t.draw, t.resolved, t.depth}:
                for a in list(fbo.color_attachments) + [fbo.depth_attachment]:
                    if a is not None:
                        a.release()
                fbo.release()
            t.background.release()
        self._targets.clear()
