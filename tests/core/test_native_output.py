"""native_output_to_log: what native code writes to descriptor 2 goes to the log, what
Python writes to sys.stderr still reaches the real standard error, and both are restored
afterwards. Run in a child process so that the real descriptors are used."""
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import os, sys, warnings
    from pathlib import Path
    from mocap_app.core.native_output import native_output_to_log
    log = Path(sys.argv[1])
    with native_output_to_log(log) as where:
        assert where == log
        os.write(2, b"native: moov atom not found\\n")     # as FFmpeg writes
        print("mocap: error: ours", file=sys.stderr)
        warnings.warn("a library's warning")
    os.write(2, b"native after\\n")
    print("ours after", file=sys.stderr)
""")


def test_native_lines_go_to_the_log_and_ours_to_stderr(tmp_path):
    log = tmp_path / "logs" / "native.log"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(log)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["mocap: error: ours", "native after", "ours after"]
    text = log.read_text()
    assert "native: moov atom not found" in text and "a library's warning" in text
    assert "ours" not in text


def test_without_a_real_stderr_nothing_is_redirected(tmp_path, capsys):
    from mocap_app.core.native_output import native_output_to_log
    with native_output_to_log(tmp_path / "n.log") as where:     # capsys: no descriptor 2
        print("captured", file=sys.stderr)
    assert where is None and not (tmp_path / "n.log").exists()
    assert capsys.readouterr().err == "captured\n"
