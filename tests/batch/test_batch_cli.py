"""``mocap batch`` end to end on real videos: outputs at the same relative paths and equal
to what ``mocap process`` writes, the manifest, resume, changed settings and inputs,
options refused before any work."""
from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest

from mocap_app.cli import main
from mocap_app.core.errors import EXIT_BATCH_FAILED, EXIT_INPUT, EXIT_USAGE
from mocap_app.core.paths import models_dir, sample_clip

from .conftest import CUT_FRAMES, SAMPLE_FRAMES, bvh_frames, make_tree, temporaries


def test_one_output_per_video_at_the_same_relative_path(first_batch, reference_bvh):
    tree, out, code = first_batch
    assert code == EXIT_BATCH_FAILED          # the text file named .mp4 failed
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.bvh"))
    assert outputs == ["a.bvh", "sub/b.bvh", "sub/deep/cut_2000000.bvh"]
    # the same file as `mocap process` writes, for a file processed first and one
    # processed after another file in the same worker
    assert bvh_frames(reference_bvh) == SAMPLE_FRAMES
    assert (out / "a.bvh").read_bytes() == reference_bvh.read_bytes()
    assert (out / "sub" / "b.bvh").read_bytes() == reference_bvh.read_bytes()
    assert bvh_frames(out / "sub" / "deep" / "cut_2000000.bvh") == CUT_FRAMES
    assert temporaries(out) == []


def test_the_manifest_records_every_file(first_batch):
    tree, out, _code = first_batch
    doc = json.loads((out / "batch.json").read_text())
    files = doc["files"]
    assert sorted(files) == ["a.mp4", "sub/b.MP4", "sub/broken.mp4",
                             "sub/deep/cut_2000000.mp4"]
    assert {k: e["status"] for k, e in files.items()} == {
        "a.mp4": "done", "sub/b.MP4": "done", "sub/broken.mp4": "failed",
        "sub/deep/cut_2000000.mp4": "short"}
    assert files["a.mp4"]["frames"] == SAMPLE_FRAMES and files["a.mp4"]["error"] is None
    assert files["a.mp4"]["input"] == str(tree / "a.mp4")
    assert files["a.mp4"]["output"] == str(out / "a.bvh")
    assert files["a.mp4"]["seconds"] > 0
    assert files["sub/deep/cut_2000000.mp4"]["frames"] == CUT_FRAMES
    assert "ended early: 120 of 230 frames" in files["sub/deep/cut_2000000.mp4"]["error"]
    broken = files["sub/broken.mp4"]
    assert broken["output"] is None and "no video stream" in broken["error"]
    (key,) = {e["settings"] for e in files.values()}
    run = doc["runs"][key]
    assert run["settings"]["refine"] is False and run["settings"]["export"]["format"] == "bvh"
    lifter = hashlib.sha256((models_dir() / "lifter.pt").read_bytes()).hexdigest()
    assert run["models"]["lifter.pt"] == "sha256:" + lifter
    assert "refiner_bidir.pt" not in run["models"]     # --no-refine: not used


def test_a_rerun_skips_finished_files_and_retries_failed_ones(first_batch, capsys):
    tree, out, _code = first_batch
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.bvh")}
    old = json.loads((out / "batch.json").read_text())["files"]
    capsys.readouterr()
    code = main(["batch", str(tree), "-o", str(out), "--no-refine", "--workers", "2", "-q"])
    assert code == EXIT_BATCH_FAILED
    assert "4 files: 0 done, 1 failed, 3 already done" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.bvh")} == before
    new = json.loads((out / "batch.json").read_text())["files"]
    for key in ("a.mp4", "sub/b.MP4", "sub/deep/cut_2000000.mp4"):
        assert new[key] == old[key]
    assert new["sub/broken.mp4"]["status"] == "failed"


def test_a_changed_setting_or_input_is_processed_again(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    with open(sample_clip(), "rb") as f:     # a short, quick file
        (src / "clip.mp4").write_bytes(f.read(1_000_000))
    out = tmp_path / "out"
    args = ["batch", str(src), "-o", str(out), "--no-refine", "--workers", "1", "-q"]
    bvh = out / "clip.bvh"

    def run(*extra) -> str:
        capsys.readouterr()
        main(args + list(extra))
        return capsys.readouterr().out

    assert "1 files: 0 done, 1 ended early, 0 failed" in run()
    first, in_cm = bvh.stat().st_mtime_ns, bvh.read_text()
    assert "1 already done" in run()
    assert bvh.stat().st_mtime_ns == first
    assert "1 files: 0 done, 1 ended early, 0 failed;" in run("--unit", "m")
    assert bvh.stat().st_mtime_ns != first and bvh.read_text() != in_cm
    doc = json.loads((out / "batch.json").read_text())
    assert len(doc["runs"]) == 2
    assert doc["runs"][doc["files"]["clip.mp4"]["settings"]]["settings"]["export"]["unit"] == "m"
    assert "1 already done" in run("--unit", "m")
    os.utime(src / "clip.mp4", ns=(first, first))     # the input changed on disk
    assert "1 files: 0 done, 1 ended early, 0 failed;" in run("--unit", "m")


@pytest.mark.parametrize("extra, message", [
    (["--workers", "0"], "--workers must be 1..{top}"),
    (["--workers", "100000"], "--workers must be 1..{top}"),
    (["--hfov", "500"], "--hfov must be 1..179"),
    (["--tilt", "-95"], "--tilt must be 'auto' or -90..90 degrees, got '-95'"),
    (["--tilt", "level"], "--tilt must be 'auto' or -90..90 degrees, got 'level'"),
    (["--fps", "-1"], "--fps must be positive"),
    (["--detector", "nope"], "unknown --detector 'nope'; choose one of blazepose, mediapipe"),
    (["--lifter", "/no/such.pt"], "--lifter must be auto, none or a checkpoint file"),
    (["--ray", "--workers", "2"], "--workers is for the local pool"),
])
def test_a_wrong_option_is_refused_before_any_work(tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    code = main(["batch", str(sample_clip()), "-o", str(out), *extra])
    assert code == EXIT_USAGE
    err = capsys.readouterr().err
    assert message.format(top=(os.cpu_count() or 1) * 4) in err
    assert err.count("\n") == 1 and not out.exists()


def test_a_missing_input_or_a_folder_without_videos_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]) == EXIT_INPUT
    assert "input not found" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == EXIT_INPUT
    assert "no video files" in capsys.readouterr().err
    assert not (tmp_path / "o" / "batch.json").exists()


def test_two_inputs_writing_the_same_output_are_refused(tmp_path, capsys):
    one, two = make_tree(tmp_path / "one", broken=False, cut=False), tmp_path / "two"
    two.mkdir()
    shutil.copy(sample_clip(), two / "a.mp4")
    code = main(["batch", str(one), str(two), "-o", str(tmp_path / "o")])
    assert code == EXIT_USAGE
    assert "two inputs would write the same output" in capsys.readouterr().err


def test_hands_give_finger_bones_and_are_part_of_the_settings(tmp_path, shared_data):
    """``mocap batch --hands``: each output has the finger chains (the hands tracked as
    ``mocap process --hands`` does); without it, none; the manifest's settings say so and
    a batch without hands keeps its old fingerprint."""
    from mocap_app.batch.settings import BatchSettings, fingerprint
    from tests.conftest import write_video
    from tests.detect.test_blazepose_reference import read_frames
    frames = read_frames(shared_data / "video" / "hybrik_taiji.mp4", range(30, 60))
    src = tmp_path / "in"
    src.mkdir()
    write_video(src / "taiji.mp4", [frames[i] for i in range(30, 60)], fps=30.0)
    for flag, out in (([], tmp_path / "plain"), (["--hands"], tmp_path / "hands")):
        main(["batch", str(src), "-o", str(out), "--workers", "1", "-q"] + flag)
        text = (out / "taiji.bvh").read_text()
        assert ("JOINT LeftHandIndex1" in text) == bool(flag)
        assert ("JOINT RightHandThumb1" in text) == bool(flag)
        doc = json.loads((out / "batch.json").read_text())
        run = doc["runs"][doc["files"]["taiji.mp4"]["settings"]]
        assert run["settings"].get("hands", False) == bool(flag)
        assert ("hands/hand_landmark_full.tflite" in run["models"]) == bool(flag)
    plain = BatchSettings()
    assert "hands" not in plain.as_dict()
    assert fingerprint(plain, {}) != fingerprint(BatchSettings(hands=True), {})


def test_a_change_of_processing_changes_the_fingerprint(monkeypatch):
    """Outputs made before a processing change (the side track) are not taken as done."""
    from mocap_app.batch import settings
    before = settings.fingerprint(settings.BatchSettings(), {"a": "sha256:1"})
    assert before == settings.fingerprint(settings.BatchSettings(), {"a": "sha256:1"})
    monkeypatch.setattr(settings, "PROCESSING", "an older revision")
    assert settings.fingerprint(settings.BatchSettings(), {"a": "sha256:1"}) != before


def test_the_tilt_reaches_the_workers_lifter_and_is_part_of_the_fingerprint():
    """``mocap batch --tilt``: the worker's lifter levels the picture by it, or each file
    finds its own (the default, "auto"); a batch lifted level (``--tilt 0``) keeps the
    fingerprint of batches from before the tilt setting, any other tilt gets another."""
    from mocap_app.batch.settings import BatchSettings, fingerprint
    from mocap_app.batch.worker import loaded_models
    level = BatchSettings(tilt=0)
    assert "tilt" not in level.as_dict()
    assert BatchSettings().tilt == "auto" and BatchSettings(tilt="AUTO").tilt == "auto"
    prints = {fingerprint(s, {}) for s in (level, BatchSettings(), BatchSettings(tilt=12.0))}
    assert len(prints) == 3
    with pytest.raises(ValueError, match="between -90 and 90"):
        BatchSettings(tilt=91.0)
    estimator, _ = loaded_models(BatchSettings(tilt=-7.5, refine=False))
    assert estimator.lifter.tilt_deg == -7.5 and not estimator.config.auto_tilt
    # (settings no other test loads: a worker keeps the models of the last settings)
    estimator, _ = loaded_models(BatchSettings(refine=False, hfov=69.0))
    assert estimator.lifter.tilt_deg == 0.0 and estimator.config.auto_tilt
