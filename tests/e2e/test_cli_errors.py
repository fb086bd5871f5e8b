"""Bad inputs to `mocap process`: one clear line on stderr, a non-zero exit, no traceback."""
import subprocess
import sys

import pytest

from mocap_app.core.paths import sample_clip


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mocap_app.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("mocap: error:")]
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_missing_file(tmp_path):
    assert_one_line_error(run_cli("process", tmp_path / "nope.mp4", "-o", tmp_path / "o.bvh"),
                          "not found")


def test_zero_byte_file(tmp_path):
    p = tmp_path / "zero.mp4"
    p.write_bytes(b"")
    assert_one_line_error(run_cli("process", p, "-o", tmp_path / "o.bvh"), "empty")


def test_text_file_renamed_mp4(tmp_path):
    p = tmp_path / "readme.mp4"
    p.write_text("not a video at all\n" * 50)
    assert_one_line_error(run_cli("process", p, "-o", tmp_path / "o.bvh"), "video")


def test_image_renamed_mp4(tmp_path, shared_data):
    p = tmp_path / "photo.mp4"
    p.write_bytes((shared_data / "images" / "lsp" / "images" / "im00001.jpg").read_bytes())
    proc = run_cli("process", p, "-o", tmp_path / "o.bvh")
    # OpenCV may decode a JPEG as a one-frame "video"; either way: a clear line, no crash
    if proc.returncode == 0:
        assert (tmp_path / "o.bvh").exists()
    else:
        assert_one_line_error(proc)


def test_video_with_no_person(tmp_path, empty_scene_video):
    out = tmp_path / "o.bvh"
    assert_one_line_error(run_cli("process", empty_scene_video, "-o", out), "no person")
    assert not out.exists()


def test_output_folder_missing(tmp_path):
    assert_one_line_error(run_cli("process", sample_clip(), "-o", tmp_path / "no" / "o.bvh"),
                          "does not exist")


def test_folder_instead_of_video(tmp_path):
    assert_one_line_error(run_cli("process", tmp_path, "-o", tmp_path / "o.bvh"), "folder")
