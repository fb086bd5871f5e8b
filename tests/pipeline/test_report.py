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


def test_report_on_a_missing_file_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.mp4")]) != 0
    assert "not found" in capsys.readouterr().err
