"""Backgrounds (split, crops away from people), procedural images, camera effects, light,
floor and occluders of the rendered data."""
import json

import cv2
import numpy as np
import pytest

from mocap_train.render.renderer import Camera, Floor, Light
from mocap_train.render.backgrounds import (PROCEDURAL_RECIPES, TEST_GROUPS, BackgroundBank,
                                            blazepose_people_finder, discover_sources,
                                            procedural_background, sample_crop, split_of)
from mocap_train.render.scene import (apply_sensor_effects, box_mesh, occluder_meshes,
                                      occluders_at, random_floor, random_light,
                                      sensor_effects)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]


def test_train_and_test_backgrounds_share_no_source_file_nor_scene(shared_data):
    sources = discover_sources(shared_data)
    kinds = {s.kind for s in sources}
    assert kinds == {"video", "photo"}, "shared videos or LSP photos missing"
    train = BackgroundBank("train", data_dir=shared_data)
    test = BackgroundBank("test", data_dir=shared_data)
    train_keys, test_keys = {s.key for s in train.sources}, {s.key for s in test.sources}
    assert train_keys and test_keys and not train_keys & test_keys
    assert train_keys | test_keys == {s.key for s in sources}
    assert not {s.group for s in train.sources} & {s.group for s in test.sources}
    # the held-out scenes: all four Pose2Sim views (also the real-footage evaluation take)
    assert {k for k in test_keys if k.startswith("video/pose2sim/")} == {
        f"video/pose2sim/cam0{i}.mp4" for i in range(1, 5)}
    assert {s.group for s in test.sources if s.kind == "video"} == set(TEST_GROUPS)
    photos = [s for s in sources if s.kind == "photo"]
    held = sum(split_of(s) == "test" for s in photos)
    assert 0.1 < held / len(photos) < 0.3
    # procedural draws of the two splits use different seeds
    rng = np.random.default_rng(0)
    for bank, parity in ((BackgroundBank("train", p_real=0, data_dir=shared_data), 0),
                         (BackgroundBank("test", p_real=0, data_dir=shared_data), 1)):
        for _ in range(5):
            img, info = bank.sample(rng, 64, 48)
            assert info["kind"] == "procedural" and info["seed"] % 2 == parity
            assert np.array_equal(img, procedural_background(info["recipe"], info["seed"], 64, 48))


def test_lsp_crops_stay_off_the_annotated_person_and_are_the_pixels_they_say(shared_data,
                                                                               tmp_path):
    bank = BackgroundBank("train", p_real=1.0, kind_weights={"photo": 1.0},
                          data_dir=shared_data, cache=tmp_path)
    d = np.load(shared_data / "images" / "lsp" / "joints.npz")
    person = {str(n): np.r_[d["joints"][:, :2, i].min(0), d["joints"][:, :2, i].max(0)]
              for i, n in enumerate(d["names"])}
    rng = np.random.default_rng(3)
    crops = 0
    for _ in range(8):
        img, info = bank.sample(rng, 160, 120)
        assert img.shape == (120, 160, 3) and img.dtype == np.uint8
        if info["kind"] != "crop":
            continue
        crops += 1
        assert info["source_kind"] == "photo" and info["split"] == "train"
        name = info["source"].rsplit("/", 1)[1]
        x0, y0, x1, y1 = info["crop_box"]
        assert not _overlap(info["crop_box"], person[name]), (name, info["crop_box"])
        src = cv2.imread(str(shared_data / info["source"]))
        again = cv2.resize(src[y0:y1, x0:x1], (160, 120),
                           interpolation=cv2.INTER_AREA if y1 - y0 > 120 else cv2.INTER_LINEAR)
        if info["flip"]:
            again = again[:, ::-1]
        assert np.array_equal(img, again)
        json.dumps(info)
    assert crops >= 4


def test_video_crops_hold_nobody_our_detector_can_find(shared_data, tmp_path):
    """Crops of a one-person video (the Sports2D walk), checked by the person detector
    itself on the crop enlarged 2x (whole image plus tiles, unverified, so even a doubtful
    find counts): nobody in them."""
    bank = BackgroundBank("train", p_real=1.0, kind_weights={"video": 1.0},
                          data_dir=shared_data, cache=tmp_path, frames_per_video=3)
    bank.by_kind["video"] = [s for s in bank.sources if s.key == "video/sports2d_walk.mp4"]
    frames = bank.analysis(bank.by_kind["video"][0])
    assert len(frames) == 3 and all(len(f["detected"]) >= 1 for f in frames)
    find = blazepose_people_finder()
    rng = np.random.default_rng(0)
    for _ in range(3):
        img, info = bank.sample(rng, 320, 240)
        assert info["kind"] == "crop" and info["frame"] in {f["frame"] for f in frames}
        assert not any(_overlap(info["crop_box"], b) for b in info["keep_out"])
        assert find(cv2.resize(img, (640, 480))) == [], info


def test_a_draw_depends_on_its_seed_only_not_on_what_the_bank_drew_before(shared_data,
                                                                         tmp_path):
    """A used bank (sources analysed, frames without a crop met before) and a fresh one
    give the same background for the same seed: a shard regenerates identically."""
    kw = dict(data_dir=shared_data, cache=tmp_path, frames_per_video=2)
    used = BackgroundBank("test", **kw)
    rng = np.random.default_rng(11)
    for _ in range(12):
        used.sample(rng, 320, 240)
    fresh = BackgroundBank("test", **kw)
    for seed in (5, 6, 7):
        a, info_a = used.sample(np.random.default_rng(seed), 320, 240)
        b, info_b = fresh.sample(np.random.default_rng(seed), 320, 240)
        assert info_a == info_b and np.array_equal(a, b)


def test_sample_crop_finds_the_only_free_corner_and_reports_none():
    rng = np.random.default_rng(0)
    # a 100x100 frame whose only free 30x30 place is the bottom-right corner
    boxes = [[0, 0, 100, 70], [0, 70, 70, 100]]
    for _ in range(5):
        assert sample_crop(rng, 100, 100, boxes, 1.0, 30) == (70, 70, 100, 100)
    assert sample_crop(rng, 100, 100, boxes, 1.0, 31) is None
    assert sample_crop(rng, 100, 100, [], 2.0, 60) is None        # 120 wide does not fit


@pytest.mark.parametrize("recipe", PROCEDURAL_RECIPES)
def test_procedural_backgrounds_are_a_function_of_recipe_and_seed(recipe):
    a = procedural_background(recipe, 7, 96, 64)
    assert a.shape == (64, 96, 3) and a.dtype == np.uint8
    assert np.array_equal(a, procedural_background(recipe, 7, 96, 64))
    assert not np.array_equal(a, procedural_background(recipe, 8, 96, 64))
    assert a.std() > 1.0


def test_sensor_effects_with_a_fixed_seed_are_deterministic_and_replayable():
    image = procedural_background("shapes", 1, 160, 120)
    seen = set()
    for seed in range(12):
        out1, info1 = sensor_effects(image, np.random.default_rng(seed))
        out2, info2 = sensor_effects(image, np.random.default_rng(seed))
        assert np.array_equal(out1, out2) and info1 == info2
        assert json.loads(json.dumps(info1)) == info1
        assert np.array_equal(apply_sensor_effects(image, info1), out1)
        assert out1.shape == image.shape and out1.dtype == np.uint8
        seen |= set(info1)
    assert seen == {"color", "defocus", "motion_blur", "noise", "jpeg"}
    assert np.array_equal(apply_sensor_effects(image, {}), image)   # nothing drawn: unchanged


def test_each_effect_does_what_it_says():
    image = procedural_background("shapes", 2, 160, 120)
    blurred = apply_sensor_effects(image, {"defocus": {"radius_px": 2.5}})
    assert np.abs(np.diff(blurred.astype(float), axis=1)).mean() < \
        np.abs(np.diff(image.astype(float), axis=1)).mean()
    noisy = apply_sensor_effects(image, {"noise": {"kind": "gaussian", "sigma": 5.0, "seed": 1}})
    assert 3.5 < (noisy.astype(float) - image).std() < 6.0
    darker = apply_sensor_effects(image, {"color": {"exposure": 0.5, "contrast": 1.0,
                                                    "white_balance_bgr": [1, 1, 1], "gamma": 1.0}})
    assert darker.mean() == pytest.approx(image.mean() * 0.5, abs=1.0)


def test_random_light_and_floor_are_reproducible_and_recorded():
    for seed in range(10):
        light = random_light(np.random.default_rng(seed))
        assert isinstance(light, Light) and light.direction[1] < -0.4   # 25-80 degrees high
        assert light.as_dict() == random_light(np.random.default_rng(seed)).as_dict()
        floor = random_floor(np.random.default_rng(seed))
        assert isinstance(floor, Floor)
        again = random_floor(np.random.default_rng(seed))
        assert json.dumps(floor.as_dict()) == json.dumps(again.as_dict())
        assert (floor.texture is None) == (again.texture is None)
        if floor.texture is not None:
            assert np.array_equal(floor.texture, again.texture)


def test_occluders_stand_between_the_camera_and_the_subject():
    cam = Camera.look_at((0, 1.5, 4), (0, 1, 0), 60, 640, 480)
    rng = np.random.default_rng(0)
    for _ in range(10):
        meshes, info = occluder_meshes(rng, cam, (0, 1, 0))
        assert 1 <= len(meshes) == len(info["occluders"]) <= 2
        for m in meshes:
            assert m.vertices[:, 1].min() == pytest.approx(0.0, abs=1e-6)   # on the floor
            z = m.vertices[:, 2].mean()
            assert 0.3 < z < 3.5
        json.dumps(info)
    near = Camera.look_at((0, 1.5, 1.0), (0, 1, 0), 60, 640, 480)
    assert occluder_meshes(rng, near, (0, 1, 0))[0] == []
    meshes, info = occluders_at(rng, [(1.0, 2.0), (-1.0, 0.5)])
    assert [i["base"][0] for i in info] == [1.0, -1.0]


def test_box_mesh_has_flat_faces_of_the_asked_size():
    m = box_mesh((1, 0, 2), (0.4, 1.0, 0.2), yaw_deg=90)
    assert m.vertices.shape == (24, 3) and m.faces.shape == (12, 3)
    ext = m.vertices.max(0) - m.vertices.min(0)
    assert np.allclose(ext, [0.2, 1.0, 0.4], atol=1e-6)           # turned 90 degrees
    assert np.allclose(np.linalg.norm(m.normals, axis=1), 1.0)
