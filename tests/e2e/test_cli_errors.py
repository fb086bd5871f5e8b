"""Bad inputs to `mocap process`: one clear line on stderr, a non-zero exit, no traceback."""
import os
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


def test_bad_input_prints_only_our_line_and_verbose_lets_ffmpeg_through(tmp_path):
    """The second half of the bundled clip has no MP4 header: FFmpeg logs "moov atom not
    found" and OpenCV a warning of its own. Without --verbose stderr is our one line (the
    libraries' lines are in the log); with it, theirs come through as well."""
    data = sample_clip().read_bytes()
    bad = tmp_path / "second_half.mp4"
    bad.write_bytes(data[len(data) // 2:])
    env = {**os.environ, "MOCAP_APP_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "mocap_app.cli", "process", str(bad), "-o",
           str(tmp_path / "o.bvh")]
    quiet = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert quiet.returncode == 3
    assert quiet.stderr.splitlines() == [
        f"mocap: error: no video stream that can be decoded in {bad} (audio only, an "
        "unsupported codec, or not a video at all)"]
    log = (tmp_path / "cache" / "logs" / "mocap-native.log").read_text()
    assert "moov atom not found" in log
    loud = subprocess.run(cmd + ["--verbose"], capture_output=True, text=True, timeout=300,
                          env=env)
    assert loud.returncode == 3
    assert "moov atom not found" in loud.stderr
    assert loud.stderr.splitlines()[-1] == quiet.stderr.splitlines()[0]


def test_a_good_run_prints_no_library_line(tmp_path):
    """LiteRT announces its XNNPACK delegate when the detector starts: not on our stderr."""
    proc = run_cli("process", sample_clip(), "-o", tmp_path / "o.bvh", "--no-refine",
                   "--lifter", "none")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_a_field_of_view_out_of_range_is_refused_before_any_work(tmp_path):
    proc = run_cli("process", sample_clip(), "-o", tmp_path / "o.bvh", "--hfov", "200")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["mocap: error: --hfov must be 1..179 degrees, got 200.0"]
    assert not (tmp_path / "o.bvh").exists()


def test_a_camera_tilt_out_of_range_is_refused_before_any_work(tmp_path):
    proc = run_cli("process", sample_clip(), "-o", tmp_path / "o.bvh", "--tilt", "120")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "mocap: error: --tilt must be 'auto' or -90..90 degrees, got '120'"]
    assert not (tmp_path / "o.bvh").exists()


@pytest.mark.parametrize("bad", ["0", "9", "2.5", "many", "-1"])
def test_a_wrong_thread_count_is_refused_before_any_work(tmp_path, bad):
    out = tmp_path / "o.bvh"
    assert_one_line_error(run_cli("process", sample_clip(), "-o", out, "--threads", bad),
                          "--threads must be a whole number 1..8", repr(bad))
    assert not out.exists()
