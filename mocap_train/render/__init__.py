"""The rendered set: anny bodies moved by real mocap, rendered (moderngl), seen by our own
BlazePose detector, the exact 3D kept (``python -m mocap_train.render``)."""
