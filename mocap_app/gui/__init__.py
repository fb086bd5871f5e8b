"""The desktop app (PySide6, pyqtgraph, vispy): the only package that imports them.

``app.main`` is the ``mocap-app`` entry point; ``main_window.MainWindow`` puts the panels
together from the flow mixins ``window_actions``, ``import_flow``, ``live_flow`` and
``take_flow``; ``worker`` is the job machinery that runs the headless pipeline off the GUI
thread, with the jobs in ``offline_jobs``, ``live_job`` and ``heatmap_job``.
"""
