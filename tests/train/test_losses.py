"""Anatomical losses (Dabral et al.) on hand-built poses with known answers."""
import numpy as np
import torch

from mocap_app.core.skeleton import J, NUM_JOINTS
from mocap_train.losses import illegal_angle_loss, illegal_angle_terms, symmetry_loss
from mocap_train.mocap_data import load_sample_clips


def legal_pose() -> torch.Tensor:
    """App axes: facing +Z, left towards +X, Y up; elbows bent forward, knees bent back."""
    p = np.zeros((NUM_JOINTS, 3))
    pts = {"pelvis": (0, 1.0, 0), "spine": (0, 1.25, 0), "neck": (0, 1.5, 0),
           "head": (0, 1.65, 0), "nose": (0, 1.63, 0.1), "left_ear": (0.07, 1.65, 0),
           "right_ear": (-0.07, 1.65, 0),
           "left_shoulder": (0.2, 1.5, 0), "left_elbow": (0.2, 1.2, 0),
           "left_wrist": (0.2, 1.0, 0.15), "left_hand": (0.2, 0.95, 0.2),
           "right_shoulder": (-0.2, 1.5, 0), "right_elbow": (-0.2, 1.2, 0),
           "right_wrist": (-0.2, 1.0, 0.15), "right_hand": (-0.2, 0.95, 0.2),
           "left_hip": (0.1, 1.0, 0), "left_knee": (0.1, 0.6, 0.05),
           "left_ankle": (0.1, 0.2, -0.05), "left_heel": (0.1, 0.15, -0.1),
           "left_toe": (0.1, 0.13, 0.12),
           "right_hip": (-0.1, 1.0, 0), "right_knee": (-0.1, 0.6, 0.05),
           "right_ankle": (-0.1, 0.2, -0.05), "right_heel": (-0.1, 0.15, -0.1),
           "right_toe": (-0.1, 0.13, 0.12)}
    for n, v in pts.items():
        p[J[n]] = v
    return torch.tensor(p[None], dtype=torch.float32)


def test_legal_pose_has_zero_anatomical_losses():
    pose = legal_pose()
    assert (illegal_angle_terms(pose) > 0).all()
    assert float(illegal_angle_loss(pose)) == 0.0
    assert float(symmetry_loss(pose)) < 1e-6


def test_elbow_bent_backwards_is_penalised():
    pose = legal_pose()
    pose[0, J["right_wrist"], 2] = -0.15          # forearm behind the body
    terms = illegal_angle_terms(pose)[0]
    assert terms[0] < 0 and (terms[1:] > 0).all()  # only the right elbow is illegal
    assert float(illegal_angle_loss(pose)) > 0.05
    pose = legal_pose()
    pose[0, J["left_knee"], 2] = -0.05
    pose[0, J["left_ankle"], 2] = 0.15             # shin kicked forward past straight
    assert illegal_angle_terms(pose)[0, 3] < 0


def test_symmetry_loss_sees_a_longer_forearm():
    pose = legal_pose()
    pose[0, J["left_wrist"], 1] -= 0.1
    assert float(symmetry_loss(pose)) > 0.001


def test_real_mocap_is_mostly_legal():
    walk = [c for c in load_sample_clips() if "walk" in c.name][0]
    terms = illegal_angle_terms(torch.tensor(walk.joints))
    # strict sign test as in BASELINE.md; straight limbs may sit a hair past the plane
    assert float((terms < -0.17).float().mean()) < 0.02     # > 10 degrees past: rare
