"""``python -m mocap_app.cli ...``: the same as the ``mocap`` command."""
import sys

from . import main

sys.exit(main())
