"""The rendered-set generator end to end on a tiny count: real anny bodies moved by the
sample mocap clips, rendered, seen by our BlazePose. Known answers: a shard regenerates
bit-identically from its seed; the stored camera projects the stored 3D joints onto the
pixels where the renderer draws a marker at those joints; the CLI plans, resumes and
verifies from its manifest."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mocap_train.render.generate import FRAME_FIELDS, ShardSpec, World, generate_shard

SPEC = ShardSpec(index=0, split="train", seed=1234, items=3, max_frames=5, motions="sample")


@pytest.fixture(scope="module")
def world(shared_data):
    w = World()
    yield w
    w.close()


@pytest.fixture(scope="module")
def shard(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("shard")
    entry = generate_shard(world, SPEC, out, keep_images=1)
    with np.load(out / f"{SPEC.name}.npz") as z:
        arrays = {k: z[k] for k in z.files}
    return out, entry, arrays


def test_a_shard_holds_every_field_for_every_frame(shard):
    out, entry, a = shard
    n = entry["frames"]
    assert 3 <= n <= 15 and set(FRAME_FIELDS) | {"params"} == set(a)
    for name, (shape, dtype) in FRAME_FIELDS.items():
        assert a[name].shape == (n, *shape) and a[name].dtype == dtype, name
    params = [json.loads(p) for p in a["params"]]
    assert [p["item"] for p in params] == [0, 1, 2]
    assert {"motion", "body", "appearance", "camera", "background", "light", "floor",
            "effects", "seed"} <= set(params[0])
    assert 1.4 < params[0]["body"]["stature_m"] < 2.05
    # the subject is in the pictures and the detector saw someone in most of them
    assert (a["subject_pixels"] > 0).mean() > 0.5
    assert entry["found"] == int(a["found"].sum())
    assert (out / "examples" / f"{SPEC.name}_000.jpg").exists()


def test_a_shard_regenerates_identically_from_its_seed(world, shard, tmp_path):
    _out, entry, arrays = shard
    again = generate_shard(world, SPEC, tmp_path)
    assert again["sha256"] == entry["sha256"]
    with np.load(tmp_path / f"{SPEC.name}.npz") as z:
        for k in arrays:
            np.testing.assert_array_equal(z[k], arrays[k], err_msg=k)
    other = generate_shard(world, ShardSpec(0, "train", 1235, 1, 5, "sample"), tmp_path)
    assert other["sha256"] != entry["sha256"]


def test_stored_joints_project_onto_the_rendered_marker_pixels(world, shard):
    """Rebuild the camera from the record alone, put the joints back in the world with
    it, render a 2 cm cube at each of several joints: the cube's pixels centre on the
    stored pixel of that joint."""
    from mocap_train.render.renderer import Camera, Mesh
    _out, _entry, a = shard
    f = int(np.argmax(a["subject_pixels"]))
    fx, fy, cx, cy = (float(v) for v in a["K"][f])
    R, t = a["R"][f].astype(np.float64), a["t"][f].astype(np.float64)
    w, h = (int(v) for v in a["image_size"][f])
    cam = Camera(w, h, fx, fy, cx, cy, R, t)
    world_joints = (a["joints_cam"][f].astype(np.float64) - t) @ R     # R^T (x - t)
    np.testing.assert_allclose(cam.project(world_joints), a["joints_px"][f], atol=0.05)
    checked = 0
    for j in range(25):
        px = a["joints_px"][f, j]
        if not (20 < px[0] < w - 20 and 20 < px[1] < h - 20):
            continue
        c = world_joints[j]
        corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)],
                           np.float32) * 0.01 + c.astype(np.float32)
        faces = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                          [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]],
                         np.int32)
        marker = Mesh(corners, faces, np.ones((8, 3), np.float32))
        res = world.renderer.render(cam, [marker])
        ys, xs = np.nonzero(np.asarray(res.mask))
        assert len(xs) > 0, j
        assert abs(xs.mean() - px[0]) < 0.75 and abs(ys.mean() - px[1]) < 0.75, \
            (j, xs.mean(), ys.mean(), px)
        checked += 1
    assert checked >= 5


def test_the_cli_plans_resumes_and_verifies(tmp_path, shared_data):
    from mocap_train.render.__main__ import main
    from mocap_train.render.shards import plan
    specs = plan(8, 2, 7, max_frames=3, motions="sample")
    assert [s.name for s in specs] == ["train_00000", "train_00001"]
    args = ["--out", str(tmp_path), "--count", "8", "--items", "2", "--max-frames", "3",
            "--motions", "sample", "--workers", "1", "--seed", "7", "--keep-images", "0"]
    assert main(args) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest["shards"]) == {"train_00000", "train_00001"}
    first = (tmp_path / "train_00000.npz").stat().st_mtime_ns
    assert main(args) == 0                                   # resumes: nothing to redo
    assert (tmp_path / "train_00000.npz").stat().st_mtime_ns == first
    assert "0 of 2 shards to render" in (tmp_path / "render.log").read_text()
    assert main(["--out", str(tmp_path), "--verify", "--shards", "train_00001",
                 "--workers", "1"]) == 0
    with pytest.raises(SystemExit):                          # a wrong value is refused
        main(["--out", str(tmp_path), "--count", "0"])


def test_rendered_pairs_and_sequences_put_detector_and_truth_in_the_same_axes(shard, tmp_path):
    """The lifter's training pairs from a shard: one per frame where the detector found
    the subject; the truth decodes back to the stored joints in app axes; the detector's
    3D features are its world landmarks over their own body scale; and the detector's 3D
    and the truth agree where a person's body points (pelvis -> neck: up in both, the same
    direction within 30 degrees), which fails if either skipped the camera -> app turn.
    Then a few training steps on it (rendered only) give a 9-feature lifter the app loads."""
    from mocap_app.core.pose import camera_to_app
    from mocap_app.core.skeleton import J
    from mocap_app.lift.inference import Lifter
    from mocap_app.lift.normalize import body_scale, cube_to_metres
    from mocap_train import train_rendered
    from mocap_train.rendered_data import load_rendered, rendered_sequences
    out, _entry, a = shard
    pairs = load_rendered(out, "train")
    assert len(pairs) == int(a["on_subject"].sum()) > 0
    truth = camera_to_app(a["joints_cam"][a["on_subject"]].astype(np.float64))
    np.testing.assert_allclose(cube_to_metres(pairs.target, pairs.scale),
                               truth - truth[:, :1], atol=1e-5)
    s = body_scale(pairs.world.astype(np.float64))
    np.testing.assert_allclose(pairs.inputs[..., 5:8] * s[:, None, None], pairs.world,
                               atol=1e-4)
    assert (pairs.inputs[..., 8] == 1).all()

    def up(x):
        v = x[:, J["neck"]] - x[:, J["pelvis"]]
        return v / np.linalg.norm(v, axis=-1, keepdims=True)
    cos = (up(pairs.world.astype(np.float64)) * up(truth)).sum(-1)
    assert np.median(cos) > np.cos(np.radians(30))
    seqs = rendered_sequences(out, "train", min_found=2)
    for q in seqs:
        assert q.keypoints.shape[0] == q.truth.shape[0] == len(q.found)
        assert np.isnan(q.keypoints[~q.found]).all() and np.isfinite(q.keypoints[q.found]).all()
        np.testing.assert_allclose(q.truth[:, J["pelvis"]], 0.0, atol=1e-9)
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "val"):
        (data / f"{split}_00000.npz").symlink_to(out / "train_00000.npz")
    model = tmp_path / "lifter.pt"
    train_rendered.main(["--data", str(data), "--rendered-share", "1", "--steps", "3",
                         "--eval-every", "2", "--batch", "8", "--out", str(model)])
    lifter = Lifter.load(model, device="cpu")
    assert lifter.uses_detector_3d
    rows = [json.loads(x) for x in model.with_suffix(".log").read_text().splitlines()]
    assert [r["step"] for r in rows if "step" in r] == [0, 2, 3]
    res = lifter.lift(pairs.keypoints[:2], pairs.visibility[:2],
                      tuple(int(v) for v in pairs.image_size[0]), world=pairs.world[:2])
    assert res.valid.all() and np.isfinite(res.joints_3d).all()


def test_a_worker_that_dies_loses_no_shard_and_one_that_always_dies_is_named(tmp_path):
    from mocap_train.render.shards import MAX_TRIES, plan, run
    from tests.train import render_workers
    specs = plan(5 * 2 * 3, 2, 7, max_frames=3, motions="sample")[:5]
    manifest = {"shards": {}}
    with pytest.raises(RuntimeError, match=r"\['train_00002'\] brought their worker"):
        run(tmp_path, specs, manifest, 2, 0, initializer=render_workers.no_world,
            job=render_workers.crashing_job)
    assert sorted(manifest["shards"]) == ["train_00000", "train_00001", "train_00003",
                                          "train_00004"]
    assert json.loads((tmp_path / "manifest.json").read_text())["shards"] == manifest["shards"]
    tries = {s.name: len((tmp_path / f"{s.name}.tries").read_text().splitlines())
             for s in specs}
    assert tries["train_00001"] == 2                   # crashed once, then landed
    # the shard that always crashes was tried alone MAX_TRIES times, after its first try
    # beside another shard (which may not have begun before the pool broke under it)
    assert MAX_TRIES <= tries["train_00002"] <= MAX_TRIES + 1
    log = (tmp_path / "render.log").read_text()
    assert "a worker process died under" in log and "giving it up" in log
