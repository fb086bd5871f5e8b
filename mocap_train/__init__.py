"""The training kit of mocap_app: data, training and evaluation of the shipped models.

It imports the runtime (``mocap_app``); nothing in ``mocap_app`` imports it, and neither
the wheel nor the installer bundle carries it. Run it from a checkout:

    .venv/bin/python -m mocap_train.train ...           # the lifter (models/LIFTER_CARD.md)
    .venv/bin/python -m mocap_train.train_refiner ...   # the TP-Net refiners (REFINER_CARD.md)
    .venv/bin/python -m mocap_train.evaluate ...        # the lifter on the held-out split

Rooms: ``mocap_data`` (mocap clips, joint mapping, splits), ``camera_sim`` (virtual
cameras and the detector noise model, ``detector_*.json``), ``multiview`` (calibrated
views, triangulation), ``losses`` and ``metrics``, ``train``, ``train_refiner``,
``evaluate``.
"""
