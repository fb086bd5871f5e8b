"""Damaged or foreign model files are refused with a clear error and never unpickled (a
pickle that would run code does not run)."""
import pickle

import pytest
import torch

from mocap_app.lift.checkpoint import CheckpointError, load_checkpoint
from mocap_app.lift.refiner import RefinerConfig, TemporalRefiner


class _RunsCode:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (self.marker.touch, ())


def _lifter(path):
    return load_checkpoint(path)


def _refiner(path):
    return TemporalRefiner.load(path)


LOADERS = {"lifter": (_lifter, CheckpointError), "refiner": (_refiner, ValueError)}


def _bad_files(tmp_path):
    marker = tmp_path / "code_ran"
    good = tmp_path / "good_refiner.pt"
    TemporalRefiner(RefinerConfig(window=3, hidden=8, layers=1)).save(good)
    files = {
        "random_bytes": b"\x93NUMPY not a checkpoint" * 100,
        "truncated": good.read_bytes()[: good.stat().st_size // 2],
        "text": b"model weights go here\n",
    }
    out = {}
    for name, data in files.items():
        out[name] = tmp_path / f"{name}.pt"
        out[name].write_bytes(data)
    out["torch_pickle_runs_code"] = tmp_path / "evil.pt"
    torch.save({"state_dict": _RunsCode(marker)}, out["torch_pickle_runs_code"])
    out["plain_pickle_runs_code"] = tmp_path / "evil.pkl"
    out["plain_pickle_runs_code"].write_bytes(pickle.dumps(_RunsCode(marker)))
    out["foreign_tensor"] = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3, 3), out["foreign_tensor"])
    out["foreign_dict"] = tmp_path / "other_model.pt"
    torch.save({"model": {"w": torch.zeros(2)}, "epoch": 3}, out["foreign_dict"])
    out["future_version"] = tmp_path / "future.pt"
    blob = torch.load(good, weights_only=True)
    blob.update(version=99, format="mocap_app.lifter")
    torch.save(blob, out["future_version"])
    return out, marker, good


CASES = ["random_bytes", "truncated", "text", "torch_pickle_runs_code",
         "plain_pickle_runs_code", "foreign_tensor", "foreign_dict", "future_version"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("loader", LOADERS)
def test_bad_checkpoints_are_refused_safely(tmp_path, loader, case):
    load, error = LOADERS[loader]
    files, marker, _ = _bad_files(tmp_path)
    try:
        with pytest.raises(error) as info:
            load(files[case])
        assert files[case].name in str(info.value), str(info.value)
        assert "weights_only" not in str(info.value), "torch internals (and advice to load unsafely) are not a message for the user"
    finally:
        assert not marker.exists(), "unpickling ran code"


def test_a_refiner_checkpoint_is_not_taken_for_a_lifter(tmp_path):
    _, _, good = _bad_files(tmp_path)
    assert TemporalRefiner.load(good).config.window == 3      # the file itself is fine
    with pytest.raises(CheckpointError, match="not a mocap_app lifter"):
        load_checkpoint(good)
