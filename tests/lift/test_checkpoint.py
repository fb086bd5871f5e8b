"""Checkpoints round-trip and foreign or damaged files are refused."""
import pickle

import pytest
import torch

from mocap_app.lift.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mocap_app.lift.margipose import BaselineConfig, MargiPose, MargiPoseConfig, MartinezBaseline

SMALL = MargiPoseConfig(width=64, blocks=1, embed=8, heatmap_size=8)


def test_round_trip_rebuilds_the_same_model(tmp_path):
    torch.manual_seed(0)
    m = MargiPose(SMALL).eval()
    save_checkpoint(tmp_path / "l.pt", m, "margipose", {"scale_per_height": 0.8})
    m2, meta = load_checkpoint(tmp_path / "l.pt", kind="margipose")
    assert m2.config == SMALL and meta["scale_per_height"] == 0.8
    x = torch.rand(3, 25, 3)
    with torch.no_grad():
        a, b = m(x).coords, m2(x).coords
    assert torch.allclose(a, b, atol=2e-3)      # float16 storage


def test_wrong_kind_version_damage_and_pickles_are_refused(tmp_path):
    b = MartinezBaseline(BaselineConfig(width=32, blocks=1))
    save_checkpoint(tmp_path / "b.pt", b, "baseline", {})
    with pytest.raises(CheckpointError, match="baseline"):
        load_checkpoint(tmp_path / "b.pt", kind="margipose")
    blob = torch.load(tmp_path / "b.pt", weights_only=True)
    blob["version"] = 99
    torch.save(blob, tmp_path / "v.pt")
    with pytest.raises(CheckpointError, match="version"):
        load_checkpoint(tmp_path / "v.pt")
    data = (tmp_path / "b.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "cut.pt")
    torch.save({"state_dict": {}}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a mocap_app"):
        load_checkpoint(tmp_path / "foreign.pt")

    class Evil:
        def __reduce__(self):
            return (print, ("unpickled!",))
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "evil.pt")


def test_widened_input_computes_what_the_original_did_until_trained():
    """``widen_input`` adds the image-place features with zero weights: the same outputs
    as the 3-feature network for any values of the new features; narrowing is refused."""
    from mocap_app.lift.margipose import widen_input
    torch.manual_seed(0)
    x = torch.randn(6, 25, 5)
    for model in (MargiPose(MargiPoseConfig()), MartinezBaseline(BaselineConfig())):
        model.eval()
        wide = widen_input(model, 5).eval()
        assert wide.config.in_features == 5 and model.config.in_features == 3
        a, b = model(x), wide(x)              # the 3-feature net reads only x[..., :3]
        a, b = (getattr(a, "coords", a), getattr(b, "coords", b))
        assert torch.equal(a, b)
        wide.inp[0].weight.data[:, 3::5] = 1.0   # once trained, the new features count
        assert not torch.allclose(getattr(wide(x), "coords", wide(x)), a)
        with pytest.raises(ValueError):
            widen_input(wide, 3)
        with pytest.raises(AssertionError):  # too few features for the widened net
            wide(x[..., :3])
