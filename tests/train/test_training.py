"""A short training run on a tiny slice of real mocap lowers the validation error."""
import numpy as np
import torch

from mocap_app.lift.margipose import BaselineConfig, MargiPose, MargiPoseConfig
from mocap_train.mocap_data import load_sample_clips
from mocap_train.train import train, val_mpjpe, validation_pairs

TINY = MargiPoseConfig(width=128, blocks=1, embed=16, heatmap_size=16, dropout=0.0)


def test_short_training_lowers_validation_error():
    torch.set_num_threads(1)
    clips = {c.source: c.joints for c in load_sample_clips()}
    train_frames = np.concatenate([clips["bandai"], clips["daz"][::2]])
    val_frames = clips["cmu_max"]                       # another skeleton and subject
    torch.manual_seed(0)
    untrained = MargiPose(TINY)                         # the state train() starts from
    before = val_mpjpe(untrained, validation_pairs(val_frames, 300, seed=1))
    r = train(train_frames, val_frames, steps=120, batch=128, seed=0, config=TINY,
              baseline_config=BaselineConfig(width=128, blocks=1), eval_every=40,
              val_size=300, log=lambda s: None)
    after = r["best_val_mpjpe"]["lifter"]
    assert before > 150.0
    assert after < 0.6 * before and after < 260.0, (before, after, r["history"])
