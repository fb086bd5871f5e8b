"""mocap_train.fit_fusion: the limb-fusion table's fit, with a known answer."""
import numpy as np

from mocap_app.core.skeleton import J
from mocap_app.lift.fusion import LIMBS
from tests.conftest import axis_turn


def test_the_fit_trusts_the_detector_where_the_two_passes_disagree(mocap_poses):
    """Synthetic val: where the lifter's two passes agree, it is exact and the detector
    has the limbs bent wrong; where they part, the other way round. The fitted table then
    gives the detector no weight at low doubt and the most the grid allows at high doubt."""
    from mocap_train.fit_fusion import GRID, fit
    gt = np.concatenate([mocap_poses] * 20)
    n = len(gt)
    flip, one, det = gt.copy(), gt.copy(), gt.copy()
    rng = np.random.default_rng(2)
    far = rng.random(n) < 0.5
    for name, (chain, _) in LIMBS.items():
        side, limb = name.split("_")
        parent = J[f"{side}_shoulder"] if limb == "arm" else J[f"{side}_hip"]
        for t in range(n):
            wrong = flip if far[t] else det
            turn = axis_turn(rng.normal(size=3), 0.8)
            for j in chain:
                wrong[t, J[j]] = gt[t, parent] + turn @ (gt[t, J[j]] - gt[t, parent])
        one[far, J[LIMBS[name][1][0]]] += 0.2          # the passes disagree there
    table, scores = fit({"one": one, "flip": flip, "det": det, "gt": gt, "scale": 1.0})
    assert table.weight[0] == 0.0 and table.weight[-1] == max(GRID)
    assert scores["pa_mpjpe_with"] < 0.5 * scores["pa_mpjpe_without"]
