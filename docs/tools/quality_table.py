"""Makes the tables of docs/QUALITY.md: the motion-quality report of several clips, one
folder each under OUT, and the summary table against BASELINE.md's MediaPipe rows.

    V=../shared/data/video
    .venv/bin/python docs/tools/quality_table.py OUT $V/sports2d_walk.mp4 \
        $V/hybrik_taiji.mp4 $V/stgcn_taichi.mp4 $V/stgcn_clean_and_jerk.mp4 $V/ntu_drink.avi
"""
import sys
from pathlib import Path

from mocap_app.pipeline.report import summary_table, write_report


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_root = Path(argv[0])
    reports = {}
    for video in argv[1:]:
        stem = Path(video).stem
        reports[stem] = write_report(video, out_root / stem)
        print(f"{stem}: done", file=sys.stderr)
    print(summary_table(reports))
    ratios = [r["checks"]["jitter_ratio_all_vs_raw"] for r in reports.values()]
    print("\njitter all stages / per-frame: " +
          ", ".join(f"{k} {r:.2f}" for k, r in zip(reports, ratios)))
    print("camera tilt found from each take (degrees): " +
          ", ".join(f"{k} {r['options']['tilt_deg']:g}" for k, r in reports.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
