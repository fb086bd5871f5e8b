"""Mocap Link: a Blender add-on (Blender 4.2+, as an extension or a legacy add-on) that
listens for the mocap app's live stream on a UDP port and drives an armature with it,
retargeted onto the armature's own rest pose; it can record what arrives into an action.

It ships inside the app (``mocap blender-addon -o mocap_link.zip`` writes the zip). This
file imports nothing from Blender, so the app can import ``wire`` (the message format)
from here without Blender; ``ui`` holds everything that needs ``bpy``.
"""

bl_info = {
    "name": "Mocap Link",
    "author": "mocap_app",
    "version": (1, 0, 0),
    "blender": (4, 2, 0),
    "location": "3D View > Sidebar > Mocap Link",
    "description": "Drive an armature live from the mocap app's stream (UDP, loopback)",
    "category": "Animation",
}


def register():
    from . import ui
    ui.register()


def unregister():
    from . import ui
    ui.unregister()
