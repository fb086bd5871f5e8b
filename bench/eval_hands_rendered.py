"""Finger joint angle error on rendered hands with known finger poses.

    ANNY_CACHE_DIR=.cache/anny .venv/bin/python bench/eval_hands_rendered.py [N] [--save DIR]

anny's right hand on its own (``Anny(rig="anny-hand.R", topology="hand.R")``, 1609
vertices, 21 bones; the first build ever takes ~2.5 min and fills ``ANNY_CACHE_DIR``) is
posed with random finger curls (MCP 0-70, PIP 0-90, DIP 0-60 degrees about each bone's
bend axis; thumb 0-40), rendered by the training kit's renderer (moderngl, 320x320,
skin-coloured, grey background) from the palm side, the back of the hand or in between
(turned +-80 degrees about the hand's long axis, +-20 about the others), 0.25-0.35 m
away. The app's path finds it: Holistic's crop from where a body detector puts the wrist,
index and little-finger knuckles (the true ones, projected), the re-crop model, the hand
landmark model (the palm detector when that fails); ``core.hand.finger_angles`` turns the
hand's 3D as the app stores it (``HandObservation.hand_3d``: the mean of the metric world
landmarks and the image landmarks with their depth) into finger angles; the error of the
world landmarks alone is printed too. The truth is the same function on the posed joint
centres (bone heads; a tip is its distal bone's head plus the rest length along the posed
bone). Prints the mean absolute error per angle kind (degrees), found rate and handedness.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mocap_app.core.hand import finger_angles  # noqa: E402

APP_FROM_ANNY = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])   # Z up -> Y up
CHAINS = {  # MediaPipe landmark -> anny bone whose head it is (tips: see _tips)
    1: "finger1-1.R", 2: "finger1-2.R", 3: "finger1-3.R",
    5: "finger2-1.R", 6: "finger2-2.R", 7: "finger2-3.R",
    9: "finger3-1.R", 10: "finger3-2.R", 11: "finger3-3.R",
    13: "finger4-1.R", 14: "finger4-2.R", 15: "finger4-3.R",
    17: "finger5-1.R", 18: "finger5-2.R", 19: "finger5-3.R",
}
TIPS = {4: "finger1-3.R", 8: "finger2-3.R", 12: "finger3-3.R", 16: "finger4-3.R",
        20: "finger5-3.R"}


def _rot(axis: str, deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return {"x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
            "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
            "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])}[axis]


class AnnyHand:
    def __init__(self):
        import os
        os.environ.setdefault("ANNY_CACHE_DIR", str(Path(".cache/anny").resolve()))
        import anny
        import torch
        torch.set_num_threads(1)
        self.torch = torch
        self.m = anny.Anny(rig="anny-hand.R", topology="hand.R").to(torch.float32)
        self.names = list(self.m.bone_labels)
        self.faces = self.m.get_triangular_faces().numpy().astype(np.int32)
        rest = self._pose(np.tile(np.eye(4), (len(self.names), 1, 1)))
        self.rest_vertices, self.rest_poses = rest
        # each distal bone's length: its head to the farthest skin along the bone's line
        self.tip_len = {}
        for lm, bone in TIPS.items():
            b, parent = self.names.index(bone), self.names.index(bone.replace("-3", "-2"))
            head = self.rest_poses[b, :3, 3]
            d = head - self.rest_poses[parent, :3, 3]
            d /= np.linalg.norm(d)
            rel = self.rest_vertices - head
            along = rel @ d
            off = np.linalg.norm(rel - along[:, None] * d, axis=1)
            near = (along > 0) & (off < 0.012)
            self.tip_len[lm] = (float(along[near].max()) * 0.92,          # inside the pad
                                self.rest_poses[b, :3, :3].T @ d)          # bone-local dir

    def _pose(self, P: np.ndarray):
        with self.torch.no_grad():
            out = self.m(pose_parameters=self.torch.tensor(P[None], dtype=self.torch.float32))
        return out["vertices"][0].numpy().astype(float), out["bone_poses"][0].numpy()

    def posed(self, rng: np.random.Generator):
        """(vertices (V, 3), landmarks (21, 3)) in app axes, metres, for a random pose."""
        P = np.tile(np.eye(4), (len(self.names), 1, 1))
        for i, n in enumerate(self.names):
            if n.startswith("finger1"):
                P[i, :3, :3] = _rot("x", rng.uniform(0, 40))
            elif n.startswith("finger"):
                hi = {"1": 70, "2": 90, "3": 60}[n[-3]]
                P[i, :3, :3] = _rot("x", rng.uniform(0, hi))
        v, poses = self._pose(P)
        lm = np.zeros((21, 3))
        lm[0] = poses[self.names.index("wrist.R"), :3, 3]
        for k, bone in CHAINS.items():
            lm[k] = poses[self.names.index(bone), :3, 3]
        for k, bone in TIPS.items():
            b = self.names.index(bone)
            length, local = self.tip_len[k]
            lm[k] = poses[b, :3, 3] + length * (poses[b, :3, :3] @ local)
        return v @ APP_FROM_ANNY.T, lm @ APP_FROM_ANNY.T


def main(n: int, save: Path | None) -> None:
    import cv2
    from mocap_app.core.hand import palm_frame
    from mocap_app.detect.hands import HandObservation
    from mocap_app.detect.hand_models import (HandLandmarkModel, HandRecropModel,
                                              PalmDetectionModel, roi_from_pose_hand)
    from mocap_train.render.renderer import Camera, Light, Mesh, Renderer

    hand, renderer = AnnyHand(), Renderer()
    palm, model, recrop = PalmDetectionModel(), HandLandmarkModel(), HandRecropModel()
    rng = np.random.default_rng(19)
    errs, found, right, pairs, err2d, world_only = [], 0, 0, [], [], []
    skin = np.array([0.86, 0.66, 0.55])
    for i in range(n):
        verts, truth = hand.posed(rng)
        h = palm_frame(truth, "right")                       # columns a, u, p
        centre = verts.mean(axis=0)
        turn = rng.uniform(-80, 80) + (180 if rng.uniform() < 0.3 else 0)   # palm / back
        look = h @ (_rot("y", turn) @ _rot("x", rng.uniform(-20, 20)) @ np.array([0, 0, 1.0]))
        eye = centre + rng.uniform(0.25, 0.35) * look
        up = h[:, 1] + rng.uniform(-0.3, 0.3) * h[:, 0]
        z = (centre - eye) / np.linalg.norm(centre - eye)
        x = np.cross(z, up)
        x /= np.linalg.norm(x)
        R = np.stack([x, np.cross(z, x), z])               # rows: camera axes, y down
        f = 160.0 / np.tan(np.radians(20.0))               # 40 degrees across 320 px
        cam = Camera(320, 320, f, f, 159.5, 159.5, R, -R @ eye)
        img = renderer.render(cam, [Mesh(verts, hand.faces, skin)],
                              light=Light(direction=-look + np.array([0.3, -0.5, 0.0])),
                              fill_bgr=(110, 120, 125)).image
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(save / f"hand_{i:03d}.jpg"), img)
        # the app's path: Holistic's crop from where a body detector would put the wrist
        # and the index and little-finger knuckles (here: the true ones, projected),
        # tightened by the re-crop model
        px = cam.project(truth[[0, 5, 17]])
        roi = recrop.run(img, roi_from_pose_hand(px[0], px[1], px[2]))
        best = model.run(img, roi)
        if best.presence < 0.5:
            best = None
            for c in palm.run(img):                       # the tracker's re-finding
                res = model.run(img, c.roi)
                if res.presence >= 0.5 and (best is None or res.presence > best.presence):
                    best = res
        if best is None:
            continue
        found += 1
        right += best.handedness > 0.5
        px_all = cam.project(truth)
        size = np.linalg.norm(px_all[9] - px_all[0])
        err2d.append(np.linalg.norm(best.landmarks_2d - px_all, axis=1).mean() / size)
        obs = HandObservation("right", best.landmarks_2d, best.world_landmarks,
                              best.presence, 1.0, best.roi, "pose", best.depth)
        got = finger_angles(obs.hand_3d(), "right")          # what the app stores
        world_only.append(np.degrees(np.abs(finger_angles(best.world_landmarks, "right")
                                            - finger_angles(truth, "right"))).mean())
        want = finger_angles(truth, "right")
        errs.append(np.degrees(np.abs(got - want)))
        pairs.append((np.degrees(want), np.degrees(got)))
    errs = np.array(errs)                                    # (found, 5, 4)
    want_all = np.array([p[0] for p in pairs])
    got_all = np.array([p[1] for p in pairs])
    print(f"\nrendered anny right hand, {n} poses: found {found} ({found / n:.0%}), "
          f"handedness right in {right} of {found}")
    print("| finger | spread | flex 1 (MCP/CMC) | flex 2 (PIP/MCP) | flex 3 (DIP/IP) |")
    print("|---|---|---|---|---|")
    for f, name in enumerate(("thumb", "index", "middle", "ring", "pinky")):
        print(f"| {name} | " + " | ".join(f"{errs[:, f, k].mean():.1f}" for k in range(4))
              + " |")
    print(f"| all | " + " | ".join(f"{errs[:, :, k].mean():.1f}" for k in range(4)) + " |")
    print(f"mean absolute finger angle error: {errs.mean():.1f} degrees "
          f"(median {np.median(errs):.1f}); from the world landmarks alone "
          f"{np.mean(world_only):.1f}")
    print(f"2D landmarks: mean error {np.mean(err2d):.2f} hand sizes (wrist to middle "
          f"knuckle in the image; median {np.median(err2d):.2f})")
    flex_w, flex_g = want_all[:, 1:, 1:].ravel(), got_all[:, 1:, 1:].ravel()
    bias = (got_all - want_all).mean(axis=(0, 1))
    print(f"fingers' flexions: correlation truth/measured {np.corrcoef(flex_w, flex_g)[0, 1]:.2f}; "
          f"mean signed error per kind (spread, flex 1-3): "
          + ", ".join(f"{b:+.1f}" for b in bias) + " degrees")


if __name__ == "__main__":
    args = sys.argv[1:]
    save = None
    if "--save" in args:
        k = args.index("--save")
        save = Path(args[k + 1])
        del args[k:k + 2]
    main(int(args[0]) if args else 40, save)
