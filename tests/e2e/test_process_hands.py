"""``mocap process --hands`` on real video: a BVH with finger bones, a take with hands."""
import numpy as np

from mocap_app.cli import main
from mocap_app.core.bvh import read_bvh
from mocap_app.takes import load_take
from tests.conftest import write_video
from tests.detect.test_blazepose_reference import read_frames


def test_process_with_hands_writes_finger_bones(shared_data, tmp_path):
    frames = read_frames(shared_data / "video" / "hybrik_taiji.mp4", range(45))
    clip = write_video(tmp_path / "taiji45.mp4", [frames[i] for i in range(45)], fps=24.0)
    out, take = tmp_path / "out.bvh", tmp_path / "take"
    assert main(["process", str(clip), "--hands", "-q", "-o", str(out),
                 "--take-dir", str(take)]) == 0
    m = read_bvh(out)
    for name in ("LeftHandThumb1", "LeftHandIndex4", "RightHandPinky3", "RightHandMiddle2"):
        assert name in m.names
    seq, _ = load_take(take, which="refined")
    assert seq.finger_angles.shape == (len(seq), 2, 5, 4)
    seen = np.isfinite(seq.hands_3d[:, :, 0, 0])
    assert seen[30:].all()                                   # both hands, as in test_hands
    # fingers move in the file: the index tip is not fixed to the hand
    tip, hand = m.index("LeftHandIndex4"), m.index("LeftHand")
    rel = m.world_positions()[:, tip] - m.world_positions()[:, hand]
    assert np.ptp(np.linalg.norm(rel, axis=-1)) > 0.1        # centimetres
    # without --hands the same clip gives the body rig only
    assert main(["process", str(clip), "-q", "-o", str(tmp_path / "body.bvh")]) == 0
    assert "LeftHandIndex4" not in read_bvh(tmp_path / "body.bvh").names
