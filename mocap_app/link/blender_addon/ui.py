"""The add-on inside Blender: settings, the panel (3D view sidebar, "Mocap Link" tab),
start/stop, and the timer that drains the socket and poses (and records) the armature.

The receiver is a non-blocking socket polled by ``bpy.app.timers`` every
``TICK_SECONDS``: Blender's UI never waits on the network.
"""
from __future__ import annotations

import time

import bpy
from mathutils import Quaternion

from . import rigmap
from .receiver import LOOPBACK, LinkReceiver, check_address, check_port

TICK_SECONDS = 1.0 / 120.0     # the timer's period: at most ~8 ms between arrival and pose
REDRAW_SECONDS = 0.25          # the panel's figures refresh this often
DEFAULT_PORT = 47120


class LinkState:
    """What lives between timer calls (not saved with the file)."""

    def __init__(self):
        self.receiver: LinkReceiver | None = None
        self.rig: rigmap.ArmatureRig | None = None
        self.rig_key = None
        self.record_t0: float | None = None
        self.record_f0 = 0.0
        self.recorded = 0
        self.last_redraw = 0.0
        self.latencies: list[float] = []     # seconds, sent -> armature posed (newest 1000)
        self.apply_seconds: list[float] = []  # seconds to pose and evaluate, per tick
        self.keep_latencies = False          # set by tests and bench/bench_link.py


STATE = LinkState()


# --------------------------------------------------------------------------- settings

def _armature_poll(_self, obj):
    return obj.type == "ARMATURE"


class MocapLinkSettings(bpy.types.PropertyGroup):
    port: bpy.props.IntProperty(name="Port", default=DEFAULT_PORT, min=1, max=65535,
                                description="UDP port the app streams to")
    host: bpy.props.StringProperty(
        name="Listen on", default=LOOPBACK,
        description="address to listen on; 127.0.0.1 accepts this computer only")
    allow_remote: bpy.props.BoolProperty(
        name="Allow other computers", default=False,
        description="listen on another interface; the stream is unauthenticated")
    armature: bpy.props.PointerProperty(name="Armature", type=bpy.types.Object,
                                        poll=_armature_poll)
    preset: bpy.props.EnumProperty(
        name="Bone names", default="MIXAMO",
        items=[("MIXAMO", "Mixamo", "Hips, LeftArm, LeftUpLeg ... (also mixamorig:Hips)"),
               ("RIGIFY", "Rigify", "spine, upper_arm.L, thigh.L ... (meta-rig names)"),
               ("UNREAL", "Unreal", "pelvis, upperarm_l, thigh_l ... (UE mannequin)"),
               ("FILE", "Mapping file", "a JSON file: stream bone -> your bone")])
    mapping_file: bpy.props.StringProperty(name="Mapping file", subtype="FILE_PATH")
    root_motion: bpy.props.BoolProperty(name="Root motion", default=True,
                                        description="move the hips through the room")
    record: bpy.props.BoolProperty(name="Record", default=False,
                                   description="key every pose that arrives into the action")
    status: bpy.props.StringProperty(name="Status", default="stopped")
    fps: bpy.props.FloatProperty(name="Received fps", default=0.0)
    bones_mapped: bpy.props.IntProperty(name="Bones mapped", default=0)


# --------------------------------------------------------------------------- the link

def _settings(scene=None) -> MocapLinkSettings:
    return (scene or bpy.context.scene).mocap_link


def build_rig(arm_obj, settings) -> rigmap.ArmatureRig:
    """The armature's rest pose and the bone mapping, read once per start/change."""
    if settings.preset == "FILE":
        names = rigmap.read_mapping_file(bpy.path.abspath(settings.mapping_file))
    else:
        names = rigmap.preset_names(settings.preset)
    bones = arm_obj.data.bones
    mapping = rigmap.resolve(names, [b.name for b in bones])
    if not mapping:
        raise ValueError(f"no bone of {arm_obj.name!r} is named as the "
                         f"{settings.preset.title()} preset names them; choose another "
                         f"preset or a mapping file")

    def depth(b):
        d = 0
        while b.parent is not None:
            b, d = b.parent, d + 1
        return d
    rows = []
    for b in sorted(bones, key=depth):
        rest = b.matrix_local.to_3x3().normalized()
        rows.append((b.name, b.parent.name if b.parent else None,
                     tuple(tuple(r) for r in rest), tuple(b.head_local)))
    _loc, rot, scale = arm_obj.matrix_world.decompose()
    return rigmap.ArmatureRig(rows, mapping, tuple(tuple(r) for r in rot.to_matrix()),
                              (scale[0] + scale[1] + scale[2]) / 3.0)


def start(scene=None) -> str:
    """Start listening with the scene's settings; returns the status (raises ValueError
    or OSError with a message for the user)."""
    s = _settings(scene)
    stop(scene)
    port = check_port(s.port)
    host = check_address(s.host.strip() or LOOPBACK, s.allow_remote)
    STATE.receiver = LinkReceiver(port, host, allow_remote=s.allow_remote)
    STATE.rig, STATE.rig_key = None, None
    STATE.record_t0 = None
    s.status = f"listening on {host}:{port}"
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=0.0, persistent=True)
    return s.status


def stop(scene=None) -> None:
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)
    if STATE.receiver is not None:
        STATE.receiver.close()
        STATE.receiver = None
    try:
        s = _settings(scene)
        s.status, s.fps = "stopped", 0.0
    except AttributeError:      # unregistering: the settings are gone
        pass


def _rig_for(scene):
    s = _settings(scene)
    arm = s.armature
    if arm is None:
        return None
    key = (arm.name, s.preset, s.mapping_file, len(arm.data.bones),
           tuple(tuple(r) for r in arm.matrix_world))
    if STATE.rig_key != key:
        STATE.rig = build_rig(arm, s)
        STATE.rig_key = key
        s.bones_mapped = len(STATE.rig.mapping)
    return STATE.rig


def _set_rotation(pb, q_wxyz) -> None:
    q = Quaternion(q_wxyz)
    mode = pb.rotation_mode
    if mode == "QUATERNION":
        pb.rotation_quaternion = q
    elif mode == "AXIS_ANGLE":
        axis, angle = q.to_axis_angle()
        pb.rotation_axis_angle = (angle, *axis)
    else:
        pb.rotation_euler = q.to_euler(mode, pb.rotation_euler)


_ROTATION_PATH = {"QUATERNION": "rotation_quaternion", "AXIS_ANGLE": "rotation_axis_angle"}


def apply_packet(arm, rig, packet, root_motion: bool, key_frame: float | None = None):
    """Pose ``arm`` from one packet; with ``key_frame``, also key it there."""
    pose = rig.pose(packet, root_motion)
    bones = arm.pose.bones
    for name, (q, loc) in pose.items():
        pb = bones.get(name)
        if pb is None:
            continue
        _set_rotation(pb, q)
        if loc is not None:
            pb.location = loc
        if key_frame is not None:
            path = _ROTATION_PATH.get(pb.rotation_mode, "rotation_euler")
            pb.keyframe_insert(path, frame=key_frame, group=name)
            if loc is not None:
                pb.keyframe_insert("location", frame=key_frame, group=name)


def _key_frame(scene, packet) -> float:
    if STATE.record_t0 is None:
        STATE.record_t0 = packet.timestamp
        STATE.record_f0 = float(scene.frame_current)
    return rigmap.key_frame(packet.timestamp, STATE.record_t0, STATE.record_f0,
                            scene.render.fps / scene.render.fps_base)


def tick() -> float:
    """The timer: drain the socket, pose the armature with the newest pose (every pose
    when recording), refresh the figures. Never raises into Blender."""
    receiver = STATE.receiver
    if receiver is None:
        return None
    scene = bpy.context.scene
    s = _settings(scene)
    try:
        packets = receiver.poll()
        rig = _rig_for(scene) if packets else None
        if packets and rig is not None:
            t_apply = time.perf_counter()
            arm = s.armature
            if s.record:
                for p in packets:
                    apply_packet(arm, rig, p, s.root_motion, _key_frame(scene, p))
                STATE.recorded += len(packets)
            else:
                STATE.record_t0 = None
                apply_packet(arm, rig, packets[-1], s.root_motion)
            if STATE.keep_latencies:
                bpy.context.view_layer.update()
                STATE.latencies.append(time.time() - packets[-1].sent)
                STATE.apply_seconds.append(time.perf_counter() - t_apply)
                del STATE.latencies[:-1000], STATE.apply_seconds[:-1000]
    except Exception as exc:   # noqa: BLE001 - a bad setting must not kill the timer
        s.status = f"error: {exc}"
        return TICK_SECONDS
    now = time.monotonic()
    if now - STATE.last_redraw >= REDRAW_SECONDS:
        STATE.last_redraw = now
        st = receiver.stats
        s.fps = st.rate(now)
        where = f"{receiver.host}:{receiver.port}"
        if st.accepted == 0:
            s.status = f"listening on {where}, nothing received yet"
        else:
            s.status = (f"{'receiving' if s.fps > 0 else 'idle'} on {where}: "
                        f"{st.accepted} poses, {st.dropped} dropped")
        for window in bpy.context.window_manager.windows:
            for area in window.screen.areas:
                if area.type == "VIEW_3D":
                    area.tag_redraw()
    return TICK_SECONDS


# --------------------------------------------------------------------------- operators

class MOCAPLINK_OT_start(bpy.types.Operator):
    bl_idname = "mocap_link.start"
    bl_label = "Start listening"
    bl_description = "Listen for the mocap app's live stream and pose the armature"

    def execute(self, context):
        try:
            start(context.scene)
        except (ValueError, OSError) as exc:
            _settings(context.scene).status = f"error: {exc}"
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return {"FINISHED"}


class MOCAPLINK_OT_stop(bpy.types.Operator):
    bl_idname = "mocap_link.stop"
    bl_label = "Stop"

    def execute(self, context):
        stop(context.scene)
        return {"FINISHED"}


class MOCAPLINK_PT_panel(bpy.types.Panel):
    bl_label = "Mocap Link"
    bl_idname = "MOCAPLINK_PT_panel"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Mocap Link"

    def draw(self, context):
        s = _settings(context.scene)
        col = self.layout.column()
        running = STATE.receiver is not None
        row = col.row(align=True)
        row.enabled = not running
        row.prop(s, "port")
        col.prop(s, "allow_remote")
        if s.allow_remote:
            sub = col.column()
            sub.enabled = not running
            sub.prop(s, "host")
            col.label(text="The stream is unauthenticated:", icon="ERROR")
            col.label(text="anyone on that network can pose this armature.")
        col.prop(s, "armature")
        col.prop(s, "preset")
        if s.preset == "FILE":
            col.prop(s, "mapping_file")
        col.prop(s, "root_motion")
        col.prop(s, "record", toggle=True, icon="REC")
        if running:
            col.operator("mocap_link.stop", icon="PAUSE")
        else:
            col.operator("mocap_link.start", icon="PLAY")
        box = col.box()
        box.label(text=s.status)
        box.label(text=f"{s.fps:.1f} fps received, {s.bones_mapped} bones mapped")


CLASSES = (MocapLinkSettings, MOCAPLINK_OT_start, MOCAPLINK_OT_stop, MOCAPLINK_PT_panel)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.mocap_link = bpy.props.PointerProperty(type=MocapLinkSettings)


def unregister() -> None:
    stop()
    del bpy.types.Scene.mocap_link
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)


__all__ = ["register", "unregister", "start", "stop", "tick", "STATE"]
