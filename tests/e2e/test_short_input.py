"""A video that ends before its declared length (the bundled clip cut off): the CLI says
so in one line, keeps and writes what decoded, and exits with its own status (5)."""
import json
import subprocess
import sys

import pytest

from mocap_app.core.bvh import read_bvh
from mocap_app.core.errors import EXIT_SHORT_INPUT
from tests.conftest import cut_sample_clip, decodable_frames

DECLARED = 230      # the bundled clip's container


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mocap_app.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.mark.parametrize("nbytes", [300_000, 2_000_000])
def test_cut_off_clip_is_written_as_far_as_it_decodes_with_a_warning(tmp_path, nbytes):
    clip = cut_sample_clip(tmp_path, nbytes)
    decoded = decodable_frames(clip)
    assert 0 < decoded < 0.9 * DECLARED
    bvh, js = tmp_path / "take.bvh", tmp_path / "take.json"
    proc = run_cli("process", clip, "-o", bvh, "--json", js)
    assert proc.returncode == EXIT_SHORT_INPUT == 5, proc.stderr
    # our warning is the only line on stderr: frames read of declared, where it stopped
    assert proc.stderr.splitlines() == [
        f"mocap: warning: {clip.name} ended early: {decoded} of {DECLARED} frames decoded, "
        f"decoding stopped at {decoded / 30:.2f} s; the frames that decoded were kept"]
    assert read_bvh(bvh).num_frames == decoded
    assert len(json.loads(js.read_text())["frames"]) == decoded
    assert f"{decoded} frames" in proc.stdout


def test_the_whole_clip_is_not_short(tmp_path):
    from mocap_app.core.paths import sample_clip
    proc = run_cli("process", sample_clip(), "-o", tmp_path / "take.bvh", "--no-refine")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert read_bvh(tmp_path / "take.bvh").num_frames == DECLARED


def test_report_on_a_cut_off_clip_warns_and_records_it(tmp_path):
    clip = cut_sample_clip(tmp_path, 2_000_000)
    decoded = decodable_frames(clip)
    out = tmp_path / "rep"
    proc = run_cli("report", clip, "-o", out, "--no-plots")
    assert proc.returncode == EXIT_SHORT_INPUT, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith(
        f"mocap: warning: {clip.name} ended early: {decoded} of {DECLARED} frames decoded")
    report = json.loads((out / "report.json").read_text())
    assert report["frames"] == decoded
    assert report["short_input"]["frames_read"] == decoded
    assert report["short_input"]["frames_declared"] == DECLARED
