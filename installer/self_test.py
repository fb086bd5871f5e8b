"""``mocap_app --self-test [DIR]``: proves a bundle works on this machine, headless.

1. the bundled files are where the app looks for them: the sample clip, the BlazePose
   models, and every model the build put in (``bundle_manifest.json``);
2. our LiteRT BlazePose runner finds a person on the clip's first frame;
3. every shipped network (lifter, refiners) loads and runs in torch; with no lifter in
   the bundle an untrained one is written and read back, so torch always runs;
4. the bundled clip goes through ``mocap process`` (MediaPipe, the shipped lifter when
   there is one, the refinement stages) to a BVH, a JSON and a take;
5. the BVH parses and has one frame per video frame.

Prints one line per check and exits 0 only when all pass. Output goes to DIR (default:
a new temporary folder, kept so the BVH can be looked at): ``self_test.bvh``,
``self_test.json`` and the take folder ``take/``.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
from pathlib import Path


class SelfTestError(Exception):
    pass


def _check(name: str, fn):
    t0 = time.monotonic()
    try:
        detail = fn()
    except SelfTestError as exc:
        print(f"FAIL {name}: {exc}", flush=True)
        raise
    except Exception as exc:
        print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
        traceback.print_exc()
        raise SelfTestError(name) from exc
    text = detail[-1] if isinstance(detail, tuple) else detail
    print(f"ok   {name} ({time.monotonic() - t0:.1f} s){': ' + str(text) if text else ''}",
          flush=True)
    return detail


def bundle_manifest() -> dict:
    """Written by the spec at build time next to the bundle's Python files."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent))
    path = base / "bundle_manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {"models": []}


def check_files() -> str:
    from mocap_app.core.paths import models_dir, resource_path, sample_clip
    clip = sample_clip()
    for name in ("blazepose/pose_detection.tflite", "blazepose/pose_landmark_full.tflite"):
        resource_path(name)
    folder = models_dir()
    manifest = bundle_manifest()
    missing = [m for m in manifest["models"] if not (folder / m).is_file()]
    if missing:
        raise SelfTestError(f"models bundled but not found in {folder}: {missing}")
    shipped = sorted(p.name for p in folder.glob("*.pt")) if folder.is_dir() else []
    return f"clip {clip.name}, models in {folder}: {', '.join(shipped) or 'none'}"


def check_blazepose(clip: Path) -> str:
    import cv2

    from mocap_app.detect import make_detector
    cap = cv2.VideoCapture(str(clip))
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise SelfTestError(f"OpenCV cannot read {clip}")
    detector = make_detector("blazepose")
    try:
        det = detector.detect(frame, 0.0)
    finally:
        detector.close()
    if det is None:
        raise SelfTestError("no person found on the sample clip's first frame")
    return f"person found, score {det.score:.2f}"


def check_models(out_dir: Path) -> str:
    """Every shipped network loads through the app's own code and gives finite output
    (on random keypoints and poses: this checks torch in the bundle, not accuracy). With
    no lifter in the bundle, an untrained one is written and read back so the lifter's
    code path still runs."""
    import numpy as np

    from mocap_app.core.paths import models_dir
    from mocap_app.core.skeleton import NUM_JOINTS
    from mocap_app.lift.inference import Lifter
    rng = np.random.default_rng(0)
    kp = 200 + 100 * rng.random((8, NUM_JOINTS, 2))                    # (T, J, 2) pixels
    vis = np.ones((8, NUM_JOINTS))
    done = []
    from mocap_app.core.paths import APP_MODELS
    paths = [models_dir() / n for n in APP_MODELS if (models_dir() / n).is_file()]
    if not any(p.name == "lifter.pt" for p in paths):
        from mocap_app.lift.checkpoint import save_checkpoint
        from mocap_app.lift.margipose import MargiPose, MargiPoseConfig
        untrained = out_dir / "untrained_lifter.pt"
        save_checkpoint(untrained, MargiPose(MargiPoseConfig()), kind="margipose",
                        meta={"note": "self-test: untrained weights"})
        paths.append(untrained)
    for path in paths:
        if path.name.startswith("refiner"):
            from mocap_app.lift.refiner import TemporalRefiner
            model = TemporalRefiner.load(path, causal="causal" in path.name)
            poses = 0.3 * rng.standard_normal((40, NUM_JOINTS, 3))     # (T, J, 3) metres
            out = model.refine(poses, np.ones(40, bool))
        else:
            out = Lifter.load(path, device="cpu").lift(kp, vis, (640, 480)).joints_3d
        if not np.isfinite(out).all():
            raise SelfTestError(f"{path.name} gives non-finite output")
        done.append(path.name)
    return "loaded and ran " + ", ".join(done)


def video_frame_count(clip: Path) -> int:
    import cv2
    cap = cv2.VideoCapture(str(clip))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def check_process(clip: Path, out_dir: Path) -> Path:
    from mocap_app.cli import main as cli_main
    bvh = out_dir / "self_test.bvh"
    rc = cli_main(["process", str(clip), "-o", str(bvh), "--json",
                   str(out_dir / "self_test.json"), "--take-dir", str(out_dir / "take"),
                   "-q"])
    if rc != 0:
        raise SelfTestError(f"mocap process exited with {rc}")
    return bvh


def check_bvh(bvh: Path, frames: int) -> str:
    import numpy as np

    from mocap_app.core.bvh import read_bvh
    motion = read_bvh(bvh)
    if motion.num_frames != frames:
        raise SelfTestError(f"{bvh.name} has {motion.num_frames} frames, the clip {frames}")
    if not np.isfinite(motion.motion).all():
        raise SelfTestError(f"{bvh.name} has non-finite channels")
    return (f"{bvh} parses: {len(motion.joints)} joints, {motion.num_frames} frames at "
            f"{1 / motion.frame_time:.2f} fps")


def run_self_test(args: list[str]) -> int:
    out_dir = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="mocap_selftest_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    try:
        from mocap_app.core.paths import sample_clip
        clip = sample_clip()
        _check("bundled files", check_files)
        _check("BlazePose (LiteRT) detector", lambda: check_blazepose(clip))
        _check("networks (torch)", lambda: check_models(out_dir))
        frames = video_frame_count(clip)
        bvh = _check("process the sample clip", lambda: check_process(clip, out_dir))
        _check("BVH", lambda: check_bvh(bvh, frames))
    except SelfTestError:
        print("self-test FAILED", flush=True)
        return 1
    print(f"self-test passed in {time.monotonic() - t0:.1f} s", flush=True)
    return 0
