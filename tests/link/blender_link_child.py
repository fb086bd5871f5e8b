"""Real Blender (bpy) receiving the live link, in a child process: ``python
blender_link_child.py REQUEST.json``. Used by tests/link/test_blender_addon.py and
bench/bench_link.py.

1. Installs the add-on zip with Blender's own extension installer (which checks
   blender_manifest.toml) into ``$BLENDER_USER_RESOURCES`` (the caller's temporary
   folder).
2. Imports the request's BVH twice: ``reference`` keeps its animation (the BVH export of
   the streamed frames), ``live`` loses it and is the add-on's target.
3. Starts the add-on's receiver, prints ``READY`` and then does what Blender's event loop
   does with the add-on's timer: calls ``tick`` and sleeps the interval it returns, until
   ``expect`` datagrams have arrived (or ``timeout``).
4. Writes the result JSON: the receiver's counters and status, the live armature's bone
   heads after the stream, the recorded action's range and heads on ``frames``, the
   reference's heads there, the heads of an A-posed armature with Rigify names posed by
   the last packet, and of an armature as a Mixamo FBX imports (``mixamorig:`` names,
   centimetres, a rotated and scaled object), the latencies (sent -> armature updated)
   and the longest tick; what
   a tick does when the preset matches no bone while poses arrive; then
   whether Start refused a non-loopback address without the opt-in, and whether the same
   zip installs and enables as a legacy add-on.
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path


def heads(bpy, arm) -> dict:
    bpy.context.view_layer.update()
    mw = arm.matrix_world
    return {pb.name: list(mw @ pb.head) for pb in arm.pose.bones}


def a_posed_rigify(bpy, ref, scale: float, arm_down_deg: float):
    """An armature with Rigify names whose rest differs from ours: every length x
    ``scale``, the arms ``arm_down_deg`` below the horizontal (an A-pose), and every
    bone's tail (hence roll and local axes) pointing somewhere else than the BVH's."""
    from mathutils import Matrix, Vector
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from mocap_app.export.presets import bone_name
    data = bpy.data.armatures.new("aposed")
    obj = bpy.data.objects.new("aposed", data)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    rest = {b.name: Vector(b.head_local) * scale for b in ref.data.bones}
    parent = {b.name: (b.parent.name if b.parent else None) for b in ref.data.bones}
    # the A-pose: each arm chain turned down about the front axis (Blender -Y) at its
    # shoulder joint
    for side, sign in (("Left", 1.0), ("Right", -1.0)):
        pivot = rest[side + "Arm"].copy()
        turn = Matrix.Rotation(math.radians(sign * arm_down_deg), 3, "Y")
        for part in ("ForeArm", "Hand", "HandMiddle1"):
            rest[side + part] = pivot + turn @ (rest[side + part] - pivot)
    edit = {}
    for name in rest:
        eb = data.edit_bones.new(bone_name(name, "rigify"))
        eb.head = rest[name]
        # tails off the bone's direction and rolls of their own
        eb.tail = rest[name] + Vector((0.03, 0.05, 0.08))
        eb.roll = 0.7
        edit[name] = eb
    for name, eb in edit.items():
        if parent[name]:
            eb.parent = edit[parent[name]]
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def fbx_like_mixamo(bpy, ref):
    """An armature as Blender imports a Mixamo FBX: ``mixamorig:`` names, bones in
    centimetres in Y-up space, the object turned 90 degrees about X and scaled 0.01."""
    from mathutils import Vector
    data = bpy.data.armatures.new("fbx_like")
    obj = bpy.data.objects.new("fbx_like", data)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    edit = {}
    for b in ref.data.bones:
        x, y, z = b.head_local                       # Blender Z-up metres -> Y-up cm
        eb = data.edit_bones.new("mixamorig:" + b.name)
        eb.head = Vector((x, z, -y)) * 100.0
        eb.tail = eb.head + Vector((0.0, 5.0, 0.0))
        edit[b.name] = eb
    for b in ref.data.bones:
        if b.parent:
            edit[b.name].parent = edit[b.parent.name]
    bpy.ops.object.mode_set(mode="OBJECT")
    obj.rotation_euler = (math.pi / 2, 0.0, 0.0)
    obj.scale = (0.01, 0.01, 0.01)
    bpy.context.view_layer.update()
    return obj


class RecordingLayout:
    """Stands in for a panel's layout (there is no UI in bpy's background mode): records
    what the panel draws and checks that every property and operator it names exists."""

    def __init__(self, bpy, log):
        self.bpy, self.log = bpy, log
        self.enabled = True

    def column(self, **_kw):
        return self

    row = box = column

    def prop(self, data, name, **_kw):
        assert name in data.bl_rna.properties, name
        self.log.append(("prop", name))

    def label(self, text="", **_kw):
        self.log.append(("label", text))

    def operator(self, idname, **_kw):
        group, op = idname.split(".")
        assert hasattr(getattr(self.bpy.ops, group), op), idname
        self.log.append(("operator", idname))


def draw_panel(bpy, ui) -> list:
    log = []
    panel = type("P", (), {"layout": RecordingLayout(bpy, log)})()
    ui.MOCAPLINK_PT_panel.draw(panel, bpy.context)
    return log


def main(argv: list[str]) -> int:
    req = json.loads(Path(argv[1]).read_text())
    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = int(req["scene_fps"]), 1.0
    bpy.ops.extensions.package_install_files(filepath=req["zip"], repo="user_default",
                                             enable_on_install=True)
    ui = sys.modules["bl_ext.user_default.mocap_link.ui"]

    bpy.ops.import_anim.bvh(filepath=req["bvh"], global_scale=0.01, frame_start=1,
                            update_scene_duration=True)
    ref = bpy.context.view_layer.objects.active
    ref.name = "reference"
    bpy.ops.import_anim.bvh(filepath=req["bvh"], global_scale=0.01, frame_start=1)
    live = bpy.context.view_layer.objects.active
    live.name = "live"
    live.animation_data_clear()
    for pb in live.pose.bones:
        pb.location = (0, 0, 0)
        pb.rotation_euler = (0, 0, 0)
    scene.frame_set(1)

    s = scene.mocap_link
    s.port = int(req["port"])
    s.armature = live
    s.preset = "MIXAMO"
    s.root_motion = True
    s.record = True
    ui.STATE.keep_latencies = True
    ui.start(scene)
    print("READY", flush=True)

    longest_tick = 0.0
    end = time.monotonic() + float(req["timeout"])
    receiver = ui.STATE.receiver
    while receiver.stats.received < int(req["expect"]) and time.monotonic() < end:
        t0 = time.perf_counter()
        interval = ui.tick()
        longest_tick = max(longest_tick, time.perf_counter() - t0)
        time.sleep(interval)
    ui.tick()
    ui.STATE.last_redraw = 0.0
    ui.tick()                        # the figures of the panel, refreshed
    panel_running = draw_panel(bpy, ui)
    out = {"stats": receiver.stats.as_dict(), "status": s.status, "fps": s.fps,
           "panel_running": panel_running,
           "bones_mapped": s.bones_mapped, "latencies": list(ui.STATE.latencies),
           "apply_seconds": list(ui.STATE.apply_seconds),
           "longest_tick": longest_tick, "live_heads": heads(bpy, live)}
    last = receiver.last_packet

    # a setting that cannot work (no bone has an Unreal name) while poses arrive: the
    # timer reports it in the status line and keeps running
    wire = sys.modules["bl_ext.user_default.mocap_link.wire"]
    s.preset = "UNREAL"
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        tx.sendto(wire.encode_pose(last.stream_id, last.seq + 1, last.timestamp + 1,
                                   time.time(), last.root, last.rotations, last.offsets),
                  ("127.0.0.1", receiver.port))
    time.sleep(0.05)
    out["bad_setting_tick"] = ui.tick()
    out["bad_setting_status"] = s.status
    s.preset = "MIXAMO"
    ui.stop(scene)

    ad = live.animation_data
    out["action_range"] = list(ad.action.frame_range) if ad and ad.action else None
    out["recorded"], out["reference"] = {}, {}
    for f in req["frames"]:
        scene.frame_set(int(f))
        out["recorded"][str(f)] = heads(bpy, live)
        out["reference"][str(f)] = heads(bpy, ref)

    # the last packet again, onto an A-posed armature with Rigify names
    if last is not None:
        aposed = a_posed_rigify(bpy, ref, float(req["aposed_scale"]),
                                float(req["aposed_arm_down"]))
        s.armature, s.preset = aposed, "RIGIFY"
        rig = ui.build_rig(aposed, s)
        ui.apply_packet(aposed, rig, last, True)
        out["aposed_heads"] = heads(bpy, aposed)
        ui.apply_packet(aposed, rig, last, False)           # root motion off
        out["aposed_heads_in_place"] = heads(bpy, aposed)
        out["aposed_mapped"] = len(rig.mapping)
        out["last_seq"] = last.seq
        fbx = fbx_like_mixamo(bpy, ref)
        s.armature, s.preset = fbx, "MIXAMO"
        rig = ui.build_rig(fbx, s)
        ui.apply_packet(fbx, rig, last, True)
        out["fbx_like_heads"] = heads(bpy, fbx)
        out["fbx_like_mapped"] = len(rig.mapping)

    # the Start button refuses another interface without the opt-in, saying why
    s.host, s.allow_remote = "10.1.2.3", False
    try:
        bpy.ops.mocap_link.start()
        out["refused"] = None
    except RuntimeError as exc:         # the operator's error report
        out["refused"] = str(exc)
    out["listening_after_refusal"] = ui.STATE.receiver is not None
    s.allow_remote = True
    out["panel_remote"] = draw_panel(bpy, ui)
    # the same zip installs as a legacy add-on too
    import addon_utils
    addon_utils.disable("bl_ext.user_default.mocap_link")
    bpy.ops.preferences.addon_install(filepath=req["zip"])
    bpy.ops.preferences.addon_enable(module="mocap_link")
    out["legacy_enabled"] = ("mocap_link" in bpy.context.preferences.addons
                             and hasattr(bpy.types.Scene, "mocap_link"))
    Path(req["result"]).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
