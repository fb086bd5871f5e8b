"""Known answers for the software renderer: where things land, what hides what, what the
background and the floor look like, and what a body-sized mesh costs."""
import json

import numpy as np
import pytest

from mocap_train.render.renderer import Camera, Floor, Light, Mesh, Renderer, vertex_normals
from mocap_train.render.scene import box_mesh

FLAT = Light(direction=(0, -1, 0), color=(0, 0, 0), ambient=(1, 1, 1))  # colours come out as given


@pytest.fixture(scope="module")
def renderer():
    return Renderer()


def cube(center, side, color=(1.0, 1.0, 1.0)) -> Mesh:
    c = np.asarray(center, dtype=np.float64)
    return box_mesh(c - [0, side / 2, 0], (side, side, side), 0.0, color)


def uv_sphere(rows: int, cols: int, radius: float = 0.3, center=(0, 1, 0)) -> Mesh:
    """(rows - 1) * cols + 2 vertices, 2 * cols * (rows - 1) triangles."""
    theta = np.linspace(0, np.pi, rows + 1)[1:-1]
    phi = np.linspace(0, 2 * np.pi, cols, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")                       # (rows-1, cols)
    ring = np.stack([np.sin(t) * np.cos(p), np.cos(t), np.sin(t) * np.sin(p)], -1).reshape(-1, 3)
    v = np.concatenate([[[0, 1, 0]], ring, [[0, -1, 0]]]) * radius + center
    faces = []
    for i in range(rows - 1):
        for j in range(cols):
            a, b = 1 + i * cols + j, 1 + i * cols + (j + 1) % cols
            if i == 0:
                faces.append([0, b, a])
            else:
                up_a, up_b = a - cols, b - cols
                faces += [[up_a, up_b, b], [up_a, b, a]]
            if i == rows - 2:
                faces.append([a, b, len(v) - 1])
    return Mesh(v, np.array(faces), np.full((len(v), 3), 0.7))


def weighted_centroid(coverage: np.ndarray) -> np.ndarray:
    w = coverage.astype(np.float64)
    ys, xs = np.mgrid[:w.shape[0], :w.shape[1]]
    return np.array([(w * xs).sum(), (w * ys).sum()]) / w.sum()


CAMERAS = [
    # landscape, principal point at the centre, rolled
    Camera.look_at((0.3, 1.4, 3.0), (0, 1, 0), 55, 640, 480, roll_deg=7),
    # portrait
    Camera.look_at((-0.8, 1.7, 2.5), (0, 1, 0), 50, 480, 640),
]
_base = Camera.look_at((0.5, 1.2, 2.8), (0, 0.9, 0), 60, 333, 211)
# an odd size with an off-centre principal point and unequal focal lengths
CAMERAS.append(Camera(333, 211, _base.fx * 1.1, _base.fy * 0.95, 120.3, 80.7, _base.R, _base.t))
POINTS = [(0, 1, 0), (0.4, 1.3, -0.5), (-0.5, 0.6, 0.4), (0.15, 0.75, 0.3)]


@pytest.mark.parametrize("cam", CAMERAS, ids=["landscape", "portrait", "off_centre"])
def test_a_marker_lands_where_camera_project_puts_it(renderer, cam):
    """The coverage-weighted centroid of a 2 cm cube is the projection of its centre.
    Asserted to 0.2 px: a half-pixel slip in the convention (pixel centres at integer
    coordinates) would show as 0.5 px."""
    for p in POINTS:
        uv = cam.project(p)
        assert 5 < uv[0] < cam.width - 5 and 5 < uv[1] < cam.height - 5, (p, uv)
        res = renderer.render(cam, [cube(p, 0.02)], light=FLAT)
        assert res.coverage.sum() > 255 * 3, "marker too small to measure"
        err = np.abs(weighted_centroid(res.coverage) - uv)
        assert err.max() < 0.2, (cam.width, cam.height, p, err)
        assert res.image.shape == (cam.height, cam.width, 3) and res.image.dtype == np.uint8


def test_the_nearer_mesh_hides_the_farther_and_the_mask_is_the_visible_subject(renderer):
    cam = Camera.look_at((0, 1, 3), (0, 1, 0), 50, 320, 240)
    far = cube((0, 1, 0), 0.5, color=(1, 0, 0))           # the subject, red
    near = cube((0.2, 1, 1.0), 0.3, color=(0, 1, 0))      # in front, green, off to the right
    alone = renderer.render(cam, [far], light=FLAT)
    both = renderer.render(cam, [far, near], light=FLAT, with_depth=True)
    near_alone = renderer.render(cam, [near], light=FLAT)
    # wherever the near cube is drawn it wins: green, and not the subject
    inside_near = near_alone.coverage == 255
    assert inside_near.sum() > 500
    assert (both.image[inside_near] == (0, 255, 0)).all()  # BGR
    assert not both.mask[inside_near].any()
    # the subject's mask is its own render less what the near cube covers (edges aside)
    solid = (alone.coverage == 255) | (alone.coverage == 0)
    solid &= (near_alone.coverage == 255) | (near_alone.coverage == 0)
    expected = alone.mask & ~near_alone.mask
    assert (both.mask[solid] == expected[solid]).all()
    # and exactly the red pixels
    red = (both.image == (0, 0, 255)).all(axis=-1)
    assert (both.mask[solid] == red[solid]).all()
    assert both.mask.sum() > 1000 and both.mask.sum() < alone.mask.sum() - 500
    # the depth pass: camera z of the nearest mesh (front faces at 2.75 m and 1.85 m; the
    # near cube's left side, seen too, runs from 1.85 to 2.15 m)
    z = both.depth
    assert np.isinf(z[0, 0])
    assert np.median(z[inside_near]) == pytest.approx(1.85, abs=1e-3)
    assert (z[inside_near] > 1.849).all() and (z[inside_near] < 2.151).all()
    assert np.allclose(z[expected & solid], 3 - 0.25, atol=2e-3)
    # the other order: the near cube is the subject and is whole
    swapped = renderer.render(cam, [near, far], light=FLAT)
    assert (swapped.mask[solid] == near_alone.mask[solid]).all()


def test_where_nothing_is_drawn_the_background_comes_through_unchanged(renderer):
    cam = Camera.look_at((0, 1.2, 2.5), (0, 1, 0), 60, 200, 150)
    bg = np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)
    empty = renderer.render(cam, [], background=bg)
    assert np.array_equal(empty.image, bg)
    assert not empty.mask.any()
    res = renderer.render(cam, [cube((0, 1, 0), 0.8)], background=bg)
    untouched = res.coverage == 0
    assert 0.3 < untouched.mean() < 0.95
    assert np.array_equal(res.image[untouched], bg[untouched])
    with pytest.raises(ValueError):
        renderer.render(cam, [], background=bg[:, :100])


def test_look_at_aims_at_the_principal_point_with_the_asked_field_of_view():
    for (w, h, hfov) in [(640, 480, 60.0), (1080, 1920, 45.0), (333, 211, 90.0)]:
        eye, target = np.array([1.0, 1.6, 3.0]), np.array([0.2, 0.9, -0.4])
        cam = Camera.look_at(eye, target, hfov, w, h)
        assert cam.fx == pytest.approx((w / 2) / np.tan(np.radians(hfov) / 2))
        assert cam.fy == cam.fx
        assert (cam.cx, cam.cy) == ((w - 1) / 2, (h - 1) / 2)
        assert np.allclose(cam.project(target), [cam.cx, cam.cy], atol=1e-9)
        assert np.allclose(cam.position, eye)
        assert cam.to_camera(target)[2] == pytest.approx(np.linalg.norm(target - eye))
        # a point hfov/2 to the right of the axis lands on the image's right edge (W - 0.5)
        fwd = (target - eye) / np.linalg.norm(target - eye)
        right = cam.R[0]
        edge = eye + fwd + right * np.tan(np.radians(hfov) / 2)
        assert cam.project(edge)[0] == pytest.approx(w - 0.5)
        # level: right is horizontal; up in the world is up in the image
        assert abs(right[1]) < 1e-12
        assert cam.project(target + [0, 0.1, 0])[1] < cam.cy
    rolled = Camera.look_at((0, 1, 3), (0, 1, 0), 60, 640, 480, roll_deg=90)
    assert np.allclose(rolled.project((0, 1, 0)), [319.5, 239.5])
    # positive roll turns the content clockwise on screen: right of centre moves down
    right = rolled.project((0.5, 1, 0)) - [319.5, 239.5]
    assert right[1] > 0 and abs(right[0]) < 1e-9
    behind = Camera.look_at((0, 1, 3), (0, 1, 0), 60, 640, 480).project((0, 1, 5))
    assert np.isnan(behind).all()


def test_camera_as_dict_is_json_and_rebuilds_the_same_camera():
    cam = CAMERAS[2]
    d = json.loads(json.dumps(cam.as_dict()))
    back = Camera.from_dict(d)
    pts = np.array(POINTS, dtype=np.float64)
    assert np.allclose(back.project(pts), cam.project(pts))
    assert {"width", "height", "fx", "fy", "cx", "cy", "R", "t", "pixels"} <= set(d)


def test_the_floor_takes_a_soft_shadow_under_the_mesh(renderer):
    cam = Camera.look_at((0, 1.5, 3), (0, 0.4, 0), 60, 320, 240)
    light = Light(direction=(0, -1, 0), color=(0.7, 0.7, 0.7), ambient=(0.3, 0.3, 0.3))
    floor = Floor(color=(0.8, 0.8, 0.8), shadow_strength=0.8, contact_strength=0.5)
    bare = renderer.render(cam, [], light=light, floor=floor)
    # nothing on it: a uniform floor, albedo x (ambient + direct) = 0.8
    lit = bare.image[200, 160].astype(int)
    assert np.abs(lit - 204).max() <= 1
    box = box_mesh((0, 0, 0), (0.4, 0.3, 0.4))
    res = renderer.render(cam, [box], light=light, floor=floor)
    # the light falls straight down: the floor just in front of the box is in its soft
    # shadow and contact blob (darker), the floor far away is as before
    front = cam.project([0, 0, 0.24]).round().astype(int)
    far = cam.project([1.4, 0, -1.0]).round().astype(int)
    assert not res.mask[front[1], front[0]]
    assert res.image[front[1], front[0]].mean() < lit.mean() - 30
    assert np.abs(res.image[far[1], far[0]].astype(int) - lit).max() <= 1


def test_a_textured_floor_and_a_background_render_together(renderer):
    cam = Camera.look_at((0, 1.5, 3), (0, 0.8, 0), 60, 160, 120)
    tex = np.zeros((8, 8, 3), np.uint8)
    tex[::2, ::2] = 255
    bg = np.full((120, 160, 3), (10, 200, 30), np.uint8)
    res = renderer.render(cam, [cube((0, 1, 0), 0.3)],
                          floor=Floor(texture=tex, texture_size=2.0, size=10), background=bg)
    assert (res.image[0] == (10, 200, 30)).all()           # above the horizon: background
    assert res.image[-1].std() > 5                          # the texture shows near the camera


def test_vertex_normals_of_a_sphere_point_outward():
    s = uv_sphere(10, 12, radius=1.0, center=(0, 0, 0))
    n = vertex_normals(s.vertices, s.faces)
    assert np.allclose(np.abs((n * s.vertices).sum(axis=1)), 1.0, atol=0.05)
