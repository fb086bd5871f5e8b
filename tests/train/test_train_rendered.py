"""mocap_train.train_rendered's options with known answers (the training run itself is
tested in test_render_generate.py)."""
import numpy as np
import pytest

from mocap_app.core.skeleton import J
from mocap_train import train_rendered
from mocap_train.mocap_data import load_sample_clips


def _length(x, a, b):
    return np.linalg.norm(x[:, J[a]] - x[:, J[b]], axis=-1)


def test_varied_limbs_scale_the_segments_of_the_projected_mocap_bodies():
    frames = load_sample_clips()[0].joints[::10].astype(np.float64)
    plain = train_rendered.mocap_batch(frames, 16, np.random.default_rng(3), (0.3, 0.3))[1]
    fixed = {"forearm": (1.2, 1.2), "shin": (0.9, 0.9)}      # lo = hi: known factors
    varied = train_rendered.mocap_batch(frames, 16, np.random.default_rng(3), (0.3, 0.3),
                                        proportions=fixed)[1]
    for side in ("left", "right"):
        fa = _length(varied, f"{side}_elbow", f"{side}_wrist") / \
            _length(varied, f"{side}_shoulder", f"{side}_elbow")
        fa0 = _length(plain, f"{side}_elbow", f"{side}_wrist") / \
            _length(plain, f"{side}_shoulder", f"{side}_elbow")
        np.testing.assert_allclose(fa / fa0, 1.2, rtol=1e-4)
        sh = _length(varied, f"{side}_knee", f"{side}_ankle") / \
            _length(varied, f"{side}_hip", f"{side}_knee")
        sh0 = _length(plain, f"{side}_knee", f"{side}_ankle") / \
            _length(plain, f"{side}_hip", f"{side}_knee")
        np.testing.assert_allclose(sh / sh0, 0.9, rtol=1e-4)


def test_limb_ranges_and_the_option_is_checked():
    assert train_rendered.limb_ranges(0.0) is None
    r = train_rendered.limb_ranges(0.2)
    assert r["forearm"] == pytest.approx((0.8, 1.2)) and r["torso"] == pytest.approx((0.9, 1.1))
    assert "shoulder_width" not in r and "hip_width" not in r
    with pytest.raises(SystemExit):
        train_rendered.main(["--data", "nowhere", "--vary-limbs", "0.7", "--out", "x.pt"])


@pytest.mark.parametrize("flag, value", [("--roll", "200"), ("--roll-share", "1.5")])
def test_the_roll_options_are_checked(flag, value, capsys):
    with pytest.raises(SystemExit):
        train_rendered.main(["--data", "nowhere", flag, value, "--out", "x.pt"])
    assert f"{flag} {float(value)}: must be within 0..{180 if flag == '--roll' else 1}" \
        in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--extra-share", "0.5"],
                                  ["--extra-data", "elsewhere"],
                                  ["--extra-data", "elsewhere", "--extra-share", "1.5"]])
def test_the_extra_rendered_set_needs_its_share_within_range(args, capsys):
    with pytest.raises(SystemExit):
        train_rendered.main(["--data", "nowhere", *args, "--out", "x.pt"])
    err = capsys.readouterr().err
    assert ("--extra-share 1.5: must be within 0..1" in err if "1.5" in args
            else "--extra-data and --extra-share (above 0) go together" in err)
