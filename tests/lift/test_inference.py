"""The shipped lifter loads and lifts held-out motion capture within a stated error."""
import tarfile

import numpy as np
import pytest

from mocap_app.core.bvh import parse_bvh
from mocap_app.core.paths import models_dir, shared_data_dir
from mocap_app.core.skeleton import J
from mocap_train import mocap_data as md
from mocap_train.camera_sim import make_pairs
from mocap_app.lift.inference import Lifter
from mocap_train.metrics import mpjpe, pa_mpjpe
from mocap_app.lift.normalize import body_scale, cube_to_metres


@pytest.fixture(scope="module")
def lifter():
    path = models_dir() / "lifter.pt"
    assert path.exists(), f"the shipped model is missing: {path}"
    return Lifter.load(path, device="cpu")


def _test_clip(archive: str, member: str, skeleton: str) -> np.ndarray:
    with tarfile.open(shared_data_dir() / "mocap" / archive, "r:xz") as tar:
        text = tar.extractfile(member).read()
    motion = parse_bvh(text.decode())
    return md.resample(md.bvh_to_app(motion, skeleton), 1 / motion.frame_time)


@pytest.fixture(scope="module")
def held_out():
    """A Bandai walk in the held-out style "old" (test split: never seen in training)."""
    assert md.split_of("bandai1", "old", "") == "test"
    return _test_clip("bandai_namco_1.tar.xz",
                      "Bandai-Namco-Research-Motiondataset-1/data/dataset-1_walk_old_001.bvh",
                      "bandai")[::2]


@pytest.fixture(scope="module")
def held_out_dance():
    """CMU subject 94 (Indian dance), test split; a motion unlike most training data."""
    assert md.split_of("cmu", "94", "") == "test"
    return _test_clip("cmu.tar.xz", "cmu/acrnn_cgspeed_daz/train_data_bvh/indian/04.bvh",
                      "daz")[::4]


def _lift_pairs(lifter, pairs, height):
    """Lift training pairs, each frame with the image size its virtual camera had (the
    lifter places the keypoints in the picture); (T, J, 3) metres."""
    out = np.full(pairs.target.shape, np.nan)
    for size in np.unique(pairs.image_size, axis=0):
        rows = (pairs.image_size == size).all(1)
        out[rows] = lifter.lift(pairs.keypoints[rows], pairs.visibility[rows], tuple(size),
                                person_height=height).joints_3d
    return out


def _errors(lifter, frames, seed=7):
    pairs = make_pairs(frames, np.random.default_rng(seed), noise_scale=0.0, mirror_prob=0.0)
    gt = cube_to_metres(pairs.target, pairs.scale)
    height = float(np.median(body_scale(frames))) / lifter.scale_per_height
    joints = _lift_pairs(lifter, pairs, height)
    return pa_mpjpe(joints, gt), mpjpe(joints, gt)


def test_dance_of_an_unseen_subject_is_lifted_within_a_loose_bound(lifter, held_out_dance):
    # The shipped model is weak on CMU dance (see LIFTER_CARD.md): measured ~107 mm
    # PA-MPJPE noise-free; the bound catches a broken model, not a good one.
    pa, err = _errors(lifter, held_out_dance)
    assert pa < 130.0 and err < 180.0, (pa, err)


def test_lifts_held_out_mocap_within_bounds(lifter, held_out):
    pairs = make_pairs(held_out, np.random.default_rng(7), noise_scale=0.0, mirror_prob=0.0)
    gt = cube_to_metres(pairs.target, pairs.scale)            # metres, root-relative
    height = float(np.median(body_scale(held_out))) / lifter.scale_per_height
    joints = _lift_pairs(lifter, pairs, height)
    assert pa_mpjpe(joints, gt) < 60.0        # measured 40.7 mm noise-free
    assert mpjpe(joints, gt) < 100.0          # measured 73.1 mm
    res = lifter.lift(pairs.keypoints, pairs.visibility, (1280, 720), person_height=height)
    assert res.joints_3d.shape == (len(held_out), 25, 3) and res.joints_3d.dtype == np.float64
    assert res.valid.all()
    assert np.allclose(res.joints_3d[:, J["pelvis"]], 0.0)
    for plane in ("xy", "zy", "xz"):
        m = res.heatmaps[plane]
        assert m.shape[:2] == (len(held_out), 25) and m.dtype == np.float32
        assert np.allclose(m.sum((-2, -1)), 1.0, atol=1e-3)
    one = lifter.lift(pairs.keypoints[3], pairs.visibility[3], (1280, 720), person_height=height)
    assert one.joints_3d.shape == (1, 25, 3)
    assert np.allclose(one.joints_3d[0], res.joints_3d[3], atol=1e-4)


def test_missing_keypoints_are_handled(lifter, held_out):
    pairs = make_pairs(held_out[:3], np.random.default_rng(1), noise_scale=0.0)
    kp, vis = pairs.keypoints.copy(), pairs.visibility.copy()
    kp[0, [J["left_wrist"], J["left_hand"]]] = np.nan
    vis[1, :5] = 0.0
    kp[2] = np.nan
    res = lifter.lift(kp, vis, (1280, 720))
    assert np.isfinite(res.joints_3d[:2]).all() and list(res.valid) == [True, True, False]
    assert np.isnan(res.joints_3d[2]).all()


def test_app_axes_for_a_person_facing_the_camera(lifter):
    """A standing pose facing +Z seen by a camera on +Z: left hand +X, up +Y, face +Z."""
    walk = [c for c in md.load_sample_clips() if c.source == "bandai"][0].joints
    pose = walk[0] - walk[0, J["pelvis"]]
    fwd = np.cross(pose[J["left_hip"]] - pose[J["right_hip"]], [0.0, 1.0, 0.0])
    yaw = np.arctan2(fwd[0], fwd[2])
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])        # turn to face +Z
    pose = pose @ rot.T
    depth = 4.0 - pose[:, 2]
    kp = np.stack([640 + 900 * pose[:, 0] / depth, 360 - 900 * pose[:, 1] / depth], -1)
    res = lifter.lift(kp, np.ones(25), (1280, 720))
    out = res.joints_3d[0]
    assert out[J["left_shoulder"], 0] > out[J["right_shoulder"], 0] + 0.2
    assert out[J["head"], 1] > out[J["pelvis"], 1] + 0.4
    assert out[J["nose"], 2] > out[J["head"], 2] + 0.03
    assert out[J["left_toe"], 2] > out[J["left_heel"], 2]


def test_flip_average_is_mirror_equivariant_and_its_heatmaps_decode_to_its_joints(held_out):
    """With flip averaging, lifting the mirror image gives exactly the mirrored answer, and
    the averaged heatmaps still decode (soft-argmax) to the averaged coordinates."""
    import torch
    from mocap_app.core.skeleton import MIRROR_PERMUTATION, mirror
    from mocap_app.lift.heatmaps import marginals_to_xyz
    lifter = Lifter.load(models_dir() / "lifter.pt", device="cpu", flip_average=True)
    plain = Lifter.load(models_dir() / "lifter.pt", device="cpu", flip_average=False)
    pairs = make_pairs(held_out[:40], np.random.default_rng(3), noise_scale=1.0, mirror_prob=0.0)
    kp, vis = pairs.keypoints, pairs.visibility
    perm = list(MIRROR_PERMUTATION)
    kp_m = kp[:, perm].copy()
    kp_m[..., 0] = 1280 - kp_m[..., 0]
    a = lifter.lift(kp, vis, (1280, 720))
    b = lifter.lift(kp_m, vis[:, perm], (1280, 720))
    np.testing.assert_allclose(b.joints_3d, mirror(a.joints_3d), atol=1e-5)
    # the plain model is not equivariant by itself, so the test above is not vacuous
    p = plain.lift(kp, vis, (1280, 720)).joints_3d
    pm = plain.lift(kp_m, vis[:, perm], (1280, 720)).joints_3d
    assert np.abs(pm - mirror(p)).max() > 0.01
    dec = marginals_to_xyz(*(torch.from_numpy(np.ascontiguousarray(a.heatmaps[k]))
                             for k in ("xy", "zy", "xz"))).numpy()
    np.testing.assert_allclose(dec, a.coords, atol=1e-4)
    for k in ("xy", "zy", "xz"):
        np.testing.assert_allclose(a.heatmaps[k].sum(axis=(-1, -2)), 1.0, atol=1e-4)
    # the evaluation wrapper computes the same average
    from mocap_app.lift.inference import FlipAveraged
    from mocap_app.lift.normalize import normalize_keypoints
    with torch.no_grad():
        c = FlipAveraged(plain.model)(
            torch.from_numpy(normalize_keypoints(kp, vis, (1280, 720),
                                                 detector_3d=plain.uses_detector_3d))).numpy()
    np.testing.assert_allclose(c, a.coords, atol=1e-5)


def test_flip_average_mirrors_the_image_place_too(held_out):
    """A network that reads where the joints are in the picture (5 features) is still
    exactly mirror-equivariant under flip averaging: mirroring the image mirrors the image
    x of every joint as well as its box x (a random network, with its image weights on)."""
    import torch
    from mocap_app.core.skeleton import MIRROR_PERMUTATION, mirror
    from mocap_app.lift.margipose import MargiPose, MargiPoseConfig
    torch.manual_seed(4)
    model = MargiPose(MargiPoseConfig(in_features=5)).eval()
    lifter = Lifter(model, {}, torch.device("cpu"), flip_average=True)
    pairs = make_pairs(held_out[:20], np.random.default_rng(5), noise_scale=1.0, mirror_prob=0.0)
    kp, vis = pairs.keypoints, pairs.visibility
    perm = list(MIRROR_PERMUTATION)
    kp_m = kp[:, perm].copy()
    kp_m[..., 0] = 1280 - kp_m[..., 0]
    a = lifter.lift(kp, vis, (1280, 720)).joints_3d
    b = lifter.lift(kp_m, vis[:, perm], (1280, 720)).joints_3d
    np.testing.assert_allclose(b, mirror(a), atol=1e-5)
    # the image place matters to this network: the same keypoints shifted in the picture
    shifted = lifter.lift(kp + [200.0, 0.0], vis, (1280, 720)).joints_3d
    assert np.abs(shifted - a).max() > 1e-3


def test_flip_average_with_the_detectors_3d_and_a_widened_network(held_out):
    """A 9-feature network (the detector's 3D as input): exactly mirror-equivariant under
    flip averaging with the 3D mirrored too, and the 3D matters to it. Widened from a
    5-feature one with zero weights on the new features, it computes exactly what the
    5-feature network does, whatever 3D it is given."""
    import torch
    from mocap_app.core.skeleton import MIRROR_PERMUTATION, mirror
    from mocap_app.lift.margipose import MargiPose, MargiPoseConfig, widen_input
    torch.manual_seed(6)
    model = MargiPose(MargiPoseConfig(in_features=9)).eval()
    lifter = Lifter(model, {}, torch.device("cpu"), flip_average=True)
    assert lifter.uses_detector_3d
    pairs = make_pairs(held_out[:20], np.random.default_rng(8), noise_scale=1.0, mirror_prob=0.0)
    kp, vis = pairs.keypoints, pairs.visibility
    world = cube_to_metres(pairs.target, pairs.scale) + np.random.default_rng(9).normal(
        0, 0.03, pairs.target.shape)
    perm = list(MIRROR_PERMUTATION)
    kp_m = kp[:, perm].copy()
    kp_m[..., 0] = 1280 - kp_m[..., 0]
    a = lifter.lift(kp, vis, (1280, 720), world=world).joints_3d
    b = lifter.lift(kp_m, vis[:, perm], (1280, 720), world=mirror(world)).joints_3d
    np.testing.assert_allclose(b, mirror(a), atol=1e-5)
    without = lifter.lift(kp, vis, (1280, 720)).joints_3d
    assert np.abs(without - a).max() > 1e-3
    five = MargiPose(MargiPoseConfig(in_features=5)).eval()
    wide = widen_input(five, 9).eval()
    l5 = Lifter(five, {}, torch.device("cpu"), flip_average=False)
    l9 = Lifter(wide, {}, torch.device("cpu"), flip_average=False)
    ref = l5.lift(kp, vis, (1280, 720), world=world).joints_3d
    np.testing.assert_allclose(l9.lift(kp, vis, (1280, 720), world=world).joints_3d, ref,
                               atol=1e-5)
    np.testing.assert_allclose(l9.lift(kp, vis, (1280, 720)).joints_3d, ref, atol=1e-5)


def test_loaded_lifter_is_folded_for_inference_with_the_same_answers(held_out):
    """``Lifter.load`` folds batch norm into the linear layers and drops the dropouts:
    the shipped checkpoint's answers, heatmaps too, stay those of the network as trained."""
    import torch
    from mocap_app.lift.margipose import MargiPose
    from mocap_app.lift.checkpoint import load_checkpoint
    from mocap_app.lift.normalize import normalize_keypoints
    folded = Lifter.load(models_dir() / "lifter.pt", flip_average=False)
    layers = [type(m) for m in folded.model.modules()]
    assert torch.nn.BatchNorm1d not in layers and torch.nn.Dropout not in layers
    plain, _ = load_checkpoint(models_dir() / "lifter.pt", kind="margipose",
                               device=torch.device("cpu"))
    assert isinstance(plain, MargiPose)
    assert any(isinstance(m, torch.nn.BatchNorm1d) for m in plain.modules())
    pairs = make_pairs(held_out[:64], np.random.default_rng(5))
    n = folded.in_features
    x = normalize_keypoints(pairs.keypoints, pairs.visibility, pairs.image_size,
                            None, detector_3d=n >= 9)
    with torch.inference_mode():
        a = plain.eval()(torch.from_numpy(x))
        b = folded.model(torch.from_numpy(x))
    np.testing.assert_allclose(b.coords.numpy(), a.coords.numpy(), atol=2e-5)
    for plane in ("xy", "zy", "xz"):
        np.testing.assert_allclose(getattr(b, plane).numpy(), getattr(a, plane).numpy(),
                                   atol=2e-5)
    assert float(np.abs(a.coords.numpy()).mean()) > 0.05      # a real answer, not zeros


def test_a_tilted_picture_is_lifted_levelled_and_turned_back(lifter, held_out):
    """``tilt_deg``: the picture of a camera rolled about its axis is lifted as the level
    camera's picture (the answer turned into the rolled camera's axes), which on a 30
    degree roll is nearer the truth than lifting the tilted picture as it is."""
    from mocap_app.lift.tilt import levelled
    pairs = make_pairs(held_out[:40], np.random.default_rng(3), noise_scale=0.0, mirror_prob=0.0)
    size = (1280, 720)
    rows = (pairs.image_size == size).all(1)
    kp, vis = pairs.keypoints[rows], pairs.visibility[rows]
    truth = cube_to_metres(pairs.target[rows], pairs.scale[rows])
    world = truth + np.random.default_rng(4).normal(0, 0.03, truth.shape)
    level = lifter.lift(kp, vis, size, world=world).joints_3d
    kp_t, world_t, _ = levelled(kp, world, size, -30.0)      # what the rolled camera sees
    _, _, back = levelled(kp_t, world_t, size, 30.0)
    tilted = Lifter(lifter.model, lifter.meta, lifter.device, lifter.person_height,
                    lifter.flip_average, lifter.fusion, tilt_deg=30.0)
    got = tilted.lift(kp_t, vis, size, world=world_t).joints_3d
    np.testing.assert_allclose(got, level @ back.T, atol=1e-4)
    naive = lifter.lift(kp_t, vis, size, world=world_t).joints_3d
    truth_t = truth @ back.T
    assert pa_mpjpe(got, truth_t) < pa_mpjpe(naive, truth_t)
    with pytest.raises(ValueError, match="between -90 and 90"):
        Lifter(lifter.model, lifter.meta, lifter.device, tilt_deg=100.0)
    with pytest.raises(ValueError, match="between -90 and 90"):
        tilted.tilt_deg = float("inf")


def test_the_estimator_hands_its_tilt_to_the_lifter_and_refuses_a_wrong_one():
    from mocap_app.pipeline.estimator import EstimatorConfig, PoseEstimator
    with pytest.raises(ValueError, match="between -90 and 90"):
        EstimatorConfig(tilt_deg=float("nan"))
    est = PoseEstimator(EstimatorConfig(tilt_deg=-12.5), detector=object())
    assert est.lifter.tilt_deg == -12.5


def test_the_inference_network_lives_where_the_loaded_one_does():
    """``fused_for_inference`` puts its merged decoder and pixel centres on the folded
    network's device and dtype (CUDA when the lifter was loaded there): here a float64
    network stays float64 throughout and answers as the plain one does."""
    import torch
    from mocap_app.lift.margipose import MargiPose, MargiPoseConfig, fused_for_inference
    torch.manual_seed(0)
    plain = MargiPose(MargiPoseConfig(in_features=9, width=64, embed=16)).double().eval()
    for m in plain.modules():           # batch norm with real statistics, not 0 / 1
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    fused = fused_for_inference(plain)
    assert {p.dtype for p in fused.parameters()} == {torch.float64}
    assert {b.dtype for b in fused.buffers()} == {torch.float64}
    x = torch.randn(5, 25, 9, dtype=torch.float64)
    with torch.inference_mode():
        a, b = plain(x), fused(x)
    for name in ("coords", "xy", "zy", "xz"):
        np.testing.assert_allclose(getattr(b, name).numpy(), getattr(a, name).numpy(),
                                   atol=1e-10)


def test_a_long_take_is_lifted_in_pieces_with_the_same_answers(lifter, held_out):
    """``Lifter.lift_joints``: the joints and validity of one ``lift`` over all the
    frames, lifted ``chunk`` frames at a time (a whole long take at once would hold
    every frame's heatmaps), with an unliftable frame and the detector's 3D given."""
    pairs = make_pairs(held_out[:120], np.random.default_rng(8))
    size = (1280, 720)
    rows = (pairs.image_size == size).all(1)
    kp, vis = pairs.keypoints[rows].copy(), pairs.visibility[rows].copy()
    assert len(kp) > 10
    kp[3, 2:], vis[3, 2:] = np.nan, 0.0                 # two keypoints left: not liftable
    world = cube_to_metres(pairs.target[rows], pairs.scale[rows])
    whole = lifter.lift(np.nan_to_num(kp), vis, size, world=world)
    sizes = []                                          # frames per lift call
    lift = lifter.lift
    lifter.lift = lambda k, *a, **kw: (sizes.append(len(k)), lift(k, *a, **kw))[1]
    try:
        joints, valid = lifter.lift_joints(np.nan_to_num(kp), vis, size, world=world,
                                           chunk=4)
    finally:
        del lifter.lift                                 # the method again
    assert max(sizes) == 4 and sum(sizes) == len(kp)
    np.testing.assert_array_equal(valid, whole.valid)
    assert not valid[3] and valid.sum() == len(kp) - 1
    np.testing.assert_allclose(joints[valid], whole.joints_3d[valid], atol=1e-6)
    assert np.isnan(joints[3]).all()
