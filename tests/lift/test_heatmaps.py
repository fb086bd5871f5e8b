"""Known answers for the pure marginal-heatmap decoding."""
import torch

from mocap_app.lift.heatmaps import (gaussian_heatmaps, js_divergence, marginals_to_xyz,
                                     pixel_centres, soft_argmax, volume_marginals)


def test_gaussian_heatmaps_decode_back_to_their_coordinates():
    torch.manual_seed(0)
    coords = torch.rand(4, 25, 3) * 1.4 - 0.7                   # well inside the cube
    maps = gaussian_heatmaps(coords, size=32, sigma=1.5)
    decoded = marginals_to_xyz(maps["xy"], maps["zy"], maps["xz"])
    assert torch.allclose(decoded, coords, atol=2e-3)


def test_each_plane_carries_the_right_axes():
    coords = torch.tensor([[[0.5, -0.25, 0.125]]])
    maps = gaussian_heatmaps(coords, size=64, sigma=1.0)
    assert torch.allclose(soft_argmax(maps["xy"]), torch.tensor([[[0.5, -0.25]]]), atol=1e-3)
    assert torch.allclose(soft_argmax(maps["zy"]), torch.tensor([[[0.125, -0.25]]]), atol=1e-3)
    assert torch.allclose(soft_argmax(maps["xz"]), torch.tensor([[[0.5, 0.125]]]), atol=1e-3)


def test_jsd_is_zero_at_the_target_and_positive_elsewhere():
    c = torch.tensor([[[0.1, 0.2, -0.3]]])
    a = gaussian_heatmaps(c, 24, 1.0)
    b = gaussian_heatmaps(c + 0.3, 24, 1.0)
    for p in ("xy", "zy", "xz"):
        assert float(js_divergence(a[p], a[p]).abs().max()) < 1e-6
        d = float(js_divergence(a[p], b[p]).min())
        assert 0.1 < d <= 0.6932   # bounded by ln 2


def test_marginals_of_a_volume_are_the_volume_marginals_and_decode_to_its_mean():
    torch.manual_seed(1)
    n = 16
    vol = torch.rand(2, 3, n, n, n) ** 4                         # (B, J, D=z, H=y, W=x)
    vol = vol / vol.sum((-3, -2, -1), keepdim=True)
    m = volume_marginals(vol)
    for plane in m.values():
        assert torch.allclose(plane.sum((-2, -1)), torch.ones(2, 3), atol=1e-5)
    c = pixel_centres(n)
    x_mean = (vol.sum((-3, -2)) * c).sum(-1)
    y_mean = (vol.sum((-3, -1)) * c).sum(-1)
    z_mean = (vol.sum((-2, -1)) * c).sum(-1)
    assert torch.allclose(m["xy"], vol.sum(-3))
    assert torch.allclose(m["zy"][..., 5, 7], vol[..., 7, 5, :].sum(-1))   # row y=5, col z=7
    assert torch.allclose(m["xz"][..., 7, 3], vol[..., 7, :, 3].sum(-1))   # row z=7, col x=3
    xyz = marginals_to_xyz(m["xy"], m["zy"], m["xz"])
    assert torch.allclose(xyz, torch.stack([x_mean, y_mean, z_mean], -1), atol=1e-5)


def test_jsd_to_gaussians_equals_the_direct_jsd():
    """The training loss's shortcut (target entropy from 1D profiles) gives the same JSD as
    comparing with the drawn target maps."""
    from mocap_app.lift.heatmaps import PLANES, jsd_to_gaussians
    torch.manual_seed(0)
    c = torch.rand(4, 25, 3) * 1.8 - 0.9
    p = {k: torch.softmax(torch.randn(4, 25, 24 * 24), -1).view(4, 25, 24, 24) for k in PLANES}
    goal = gaussian_heatmaps(c, 24, 1.0)
    direct = torch.stack([js_divergence(p[k], goal[k]) for k in PLANES], -1)
    fast = jsd_to_gaussians(p, c, 1.0)
    assert fast.shape == (4, 25, 3)
    assert float((fast - direct).abs().max()) < 1e-5
    assert float(direct.min()) > 0.05          # far from the target: clearly non-zero
    assert float(jsd_to_gaussians(goal, c, 1.0).abs().max()) < 1e-5
