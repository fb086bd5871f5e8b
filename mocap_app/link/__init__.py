"""The live link: each refined live pose streamed out as it is made, to the Blender
add-on this package ships (``blender_addon/``, written as a zip by ``addon_zip``) or to
any VMC receiver (``vmc``). docs/LINK.md documents the message format and its use.

Floor 3: above ``pipeline/`` (whose live results it sends), below ``gui/`` and ``cli/``
(which start and stop it). python-osc is imported only here.
"""
from .frames import LinkFrame, LiveRetargeter, take_frames
from .sender import LinkSender, SenderStats
from .settings import DEFAULT_PORTS, TARGETS, StreamSettings
from .stream import LiveStreamer, make_sender, stream_frames

__all__ = ["LinkFrame", "LiveRetargeter", "take_frames", "LinkSender", "SenderStats",
           "make_sender", "StreamSettings", "TARGETS", "DEFAULT_PORTS", "LiveStreamer",
           "stream_frames"]
