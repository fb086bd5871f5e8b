"""Where the side track (pipeline/side_track.py: the continuity of the detector's left and
right labels) says the detector exchanged them, on every real clip and on the rendered
sequences, where the truth is known.

    .venv/bin/python bench/eval_side_track.py --data .cache/rendered_v2 [--cache clips.npz]
        [--flip-cost 6] [--frame-cost 0.3]                  # ~4 min, 1 with --cache

Real clips: each runs through the app's detector and hand tracker (offline, every frame);
rows: the frames marked by the side track over the whole clip (offline), by its causal
form (live), by the hands alone (``side_check``, the previous check) and by the side
track with the hands' votes. Known answer: Pose2Sim cam02 is swapped by the detector over
frames 41-74 (eval_pose2sim, against the other views' triangulation: 41-59, 61-63, 65,
67-74, 77 in its 3D) and no other view is; sports2d_walk has one of 4 frames, seen in the
video (``SEEN``); the other clips have none known.

Rendered sequences (``--data``, the val and test splits): the detector's 2D against the
exact joints' projection. A frame is swapped when its limbs lie clearly nearer the
mirrored truth (``eval_rendered.swapped``); the table gives the swapped frames before and
after exchanging the marked frames' labels, the frames that were put right and those
that were made wrong. The rendered sequences are short (about 40-100 frames at 30 fps):
a swap from the first frame or to the last is one flip the track cannot place.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mocap_app.core.paths import shared_data_dir  # noqa: E402
from mocap_app.core.skeleton import MIRROR_PERMUTATION, blazepose_to_app  # noqa: E402
from mocap_app.pipeline.side_check import swap_evidence, swapped_frames  # noqa: E402
from mocap_app.pipeline.side_track import (SideTracker, SideTrackOptions,  # noqa: E402
                                           exchanged_frames)

from eval_side_check import CLIPS, KNOWN, runs  # noqa: E402

PERM = list(MIRROR_PERMUTATION)
#: sports2d_walk 68-71: the man on the box faces the camera throughout (face and shirt
#: print in view) while the detector's left shoulder, hip, wrist and ankle cross to the
#: image's left in one frame (30 fps) and back at 72: a swap, seen in the video
SEEN = {**KNOWN, "sports2d_walk.mp4": "68-71 (seen in the video)"}


def detect_clips(cache: Path | None) -> dict:
    """clip -> (keypoints (T, J, 2), visibility (T, J), hand sides (T, 2, 2)); read from
    ``cache`` when it has them, else detected (and written there)."""
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            return {c: (z[f"kp{i}"], z[f"vis{i}"], z[f"hs{i}"]) for i, c in enumerate(CLIPS)}
    from mocap_app.pipeline.estimator import EstimatorConfig
    from mocap_app.pipeline.offline import process_video
    out = {}
    for clip in CLIPS:
        raw = process_video(shared_data_dir() / "video" / clip,
                            EstimatorConfig(lifter="none", hands=True, side_check=False)).raw
        out[clip] = (raw.keypoints_2d, raw.visibility, raw.hand_sides)
    if cache is not None:
        np.savez(cache, **{f"{k}{i}": a for i, c in enumerate(CLIPS)
                           for k, a in zip(("kp", "vis", "hs"), out[c])})
    return out


def causal(kp: np.ndarray, vis: np.ndarray, options: SideTrackOptions) -> np.ndarray:
    tracker = SideTracker(options)
    return np.array([tracker.update(k, v) for k, v in zip(kp, vis)], bool)


def real_table(clips: dict, options: SideTrackOptions) -> None:
    print("| clip | frames | side track | side track, causal (live) | hands alone | "
          "side track + hands | known swap |")
    print("|---|---|---|---|---|---|---|")
    for clip, (kp, vis, hs) in clips.items():
        cells = [runs(exchanged_frames(kp, vis, options)), runs(causal(kp, vis, options)),
                 runs(swapped_frames(hs)),
                 runs(exchanged_frames(kp, vis, options, swap_evidence(hs)))]
        print(f"| {clip} | {len(kp)} | " + " | ".join(cells) + f" | {SEEN.get(clip, 'none')} |")


def rendered_sequences(folder: Path, split: str) -> list[tuple]:
    """(keypoints, visibility, truth px, on subject, swapped) per tracked sequence."""
    from eval_rendered import load_frames, swapped
    d = load_frames(folder, split)
    kp = blazepose_to_app(d["landmarks_2d"].astype(np.float64))
    vis = blazepose_to_app(d["visibility"].astype(np.float64)[..., None])[..., 0]
    out = []
    for s in np.unique(d["sequence"]):
        idx = np.flatnonzero(d["sequence"] == s)
        if d["static"][idx[0]] or len(idx) < 3:
            continue
        idx = idx[np.argsort(d["frame"][idx])]
        on = d["on_subject"][idx]
        k = np.where(on[:, None, None], kp[idx], np.nan)
        v = np.where(on[:, None], vis[idx], 0.0)
        truth = d["joints_px"][idx].astype(np.float64)
        sw = np.zeros(len(idx), bool)
        sw[on] = swapped(k[on], truth[on])
        out.append((k, v, truth, on, sw))
    return out


def rendered_row(seqs: list[tuple], mark) -> dict:
    from eval_rendered import swapped
    r = {"frames": 0, "swapped": 0, "after": 0, "marked": 0, "put right": 0, "made wrong": 0}
    for k, v, truth, on, sw in seqs:
        m = mark(k, v) & on
        k2 = k.copy()
        k2[m] = k2[m][:, PERM]
        sw2 = np.zeros(len(k), bool)
        sw2[on] = swapped(k2[on], truth[on])
        r["frames"] += int(on.sum())
        r["swapped"] += int(sw.sum())
        r["after"] += int(sw2.sum())
        r["marked"] += int(m.sum())
        r["put right"] += int((sw & ~sw2).sum())
        r["made wrong"] += int((~sw & sw2).sum())
    return r


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="folder of rendered shards")
    ap.add_argument("--cache", type=Path, default=None,
                    help="npz of the real clips' detections: read if it exists, else written")
    ap.add_argument("--flip-cost", type=float, default=SideTrackOptions().flip_cost)
    ap.add_argument("--frame-cost", type=float, default=SideTrackOptions().frame_cost)
    args = ap.parse_args(argv)
    options = SideTrackOptions(args.flip_cost, args.frame_cost)
    print(f"side track: flip cost {options.flip_cost:g}, frame cost {options.frame_cost:g}\n")
    real_table(detect_clips(args.cache), options)
    res = {}
    if args.data is not None:
        print("\nrendered sequences (frames swapped in 2D against the truth)\n")
        print("| split | mode | frames | swapped | marked | put right | made wrong | "
              "swapped after |")
        print("|---|---|---|---|---|---|---|---|")
        for split in ("val", "test"):
            seqs = rendered_sequences(args.data, split)
            for mode, fn in (("offline", lambda k, v: exchanged_frames(k, v, options)),
                             ("causal", lambda k, v: causal(k, v, options))):
                r = res.setdefault(split, {})[mode] = rendered_row(seqs, fn)
                print(f"| {split} | {mode} | {r['frames']} | {r['swapped']} | {r['marked']} | "
                      f"{r['put right']} | {r['made wrong']} | {r['after']} |", flush=True)
    return res


if __name__ == "__main__":
    main()
