"""The desktop app (PySide6, pyqtgraph, vispy): the only package that imports them.

``app.main`` is the ``mocap-app`` entry point; ``main_window.MainWindow`` puts the panels
together; ``worker`` holds the jobs that run the headless pipeline off the GUI thread.
"""
