"""`mocap report` end to end on a real clip: JSON + PNGs, every stage measured."""
import json

from mocap_app.cli import main


def test_report_on_a_real_video(shared_data, tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(["report", str(shared_data / "video" / "ntu_drink.avi"), "-o", str(out)])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    assert (out / "quality_by_stage.png").stat().st_size > 10_000
    assert (out / "over_time.png").stat().st_size > 10_000
    v = rep["variants"]
    assert {"per-frame (raw)", "+ temporal refiner", "+ skeleton fitting",
            "+ root trajectory", "all stages (+ foot contact)",
            "live: causal refiner + fitting"} <= set(v)
    raw, best = v["per-frame (raw)"], v["all stages (+ foot contact)"]
    assert raw["frames"] == 103
    assert best["lr_asymmetry_mm"] < 1e-9 and best["bone_length_std_mm"] < 1e-9
    assert best["jitter_mm"] < raw["jitter_mm"]
    assert "per-frame (raw)" in capsys.readouterr().out
    assert rep["options"]["image_fit"] is True
    # the tilt found from the take (the default): NTU's camera stands level
    assert abs(rep["options"]["tilt_deg"]) <= 5.0
    assert rep["tilt_deg"] == rep["options"]["tilt_deg"]


def test_report_on_a_missing_file_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.mp4")]) != 0
    assert "not found" in capsys.readouterr().err


def test_report_options_out_of_range_are_refused_naming_the_range(tmp_path, capsys):
    clip = tmp_path / "nope.mp4"
    assert main(["report", str(clip), "--tilt", "95"]) == 2
    assert "--tilt must be 'auto' or -90..90 degrees, got '95'" in capsys.readouterr().err
    assert main(["report", str(clip), "--tilt", "level"]) == 2
    assert "--tilt must be 'auto' or -90..90 degrees, got 'level'" in capsys.readouterr().err
    assert main(["report", str(clip), "--hfov", "0"]) == 2
    assert "--hfov must be 1..179 degrees, got 0.0" in capsys.readouterr().err


def test_a_tilted_report_does_not_reuse_the_level_one(tmp_path):
    """The per-frame poses of a video are cached by what they depend on: the camera tilt
    the lifter levelled the picture by is part of the key."""
    from mocap_app.pipeline.report_inputs import _cache_file
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    level = _cache_file(clip, "none", "blazepose")
    assert _cache_file(clip, "none", "blazepose", tilt_deg=0.0) == level
    assert _cache_file(clip, "none", "blazepose", tilt_deg=12.0) != level
    found = _cache_file(clip, "none", "blazepose", tilt_deg="auto")
    assert found not in (level, _cache_file(clip, "none", "blazepose", tilt_deg=12.0))
