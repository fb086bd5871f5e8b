"""The script Blender runs in a child process: ``python -m mocap_app.export.blender_child
REQUEST.json``. It is the only module that imports ``bpy`` (Blender is ~800 MB, slow to
start and keeps global state, so the app never imports it in its own process).

The request holds a list of tasks, run in order in one Blender session, and the path of
the JSON result file. Each task starts from Blender's factory settings with an empty
scene. Tasks:

- ``convert``: import our BVH (default axes, ``global_scale`` 0.01), set the scene to the
  take's frame rate and range, export FBX or GLB with baked, unsimplified animation.
- ``inspect``: import a BVH, FBX or GLB and report the armature's bone world heads on
  some frames, the frame range and the scene frame rate (used by tests and checks).
- ``render``: import a BVH and render one frame to PNG with the workbench engine.

Errors are written to the result file as Blender's own message (no traceback).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

class TaskError(Exception):
    """A task failed; the message is shown to the user as is."""


def scene_fps_settings(fps: float) -> tuple[int, float]:
    """(render.fps, render.fps_base) for a frame rate: integers and NTSC rates exactly
    (29.97 = 30 / 1.001), anything else as round(fps) / base."""
    for base in (1.0, 1.001):
        n = fps * base
        if abs(n - round(n)) < 1e-6 * n:
            return int(round(n)), base
    n = max(1, int(round(fps)))
    return n, n / fps


def _reset(bpy) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _armature(bpy):
    arms = [o for o in bpy.context.scene.objects if o.type == "ARMATURE"]
    if not arms:
        raise TaskError("no armature in the imported file")
    return arms[0]


def _action_range(obj) -> tuple[int, int]:
    ad = obj.animation_data
    if ad is None or ad.action is None:
        raise TaskError(f"the armature {obj.name!r} has no animation")
    start, end = ad.action.frame_range
    return int(round(start)), int(round(end))


def _set_fps(bpy, fps: float | None) -> None:
    if fps:
        scene = bpy.context.scene
        scene.render.fps, scene.render.fps_base = scene_fps_settings(float(fps))


def _import(bpy, path: str, fps: float | None, update_scene_fps: bool = False):
    """Import a BVH (default axes, scale 0.01), FBX or GLB; returns the armature."""
    suffix = Path(path).suffix.lower()
    _set_fps(bpy, fps)   # before import: FBX and glTF convert their seconds to frames
    if suffix == ".bvh":
        bpy.ops.import_anim.bvh(filepath=path, global_scale=0.01, frame_start=1,
                                update_scene_fps=update_scene_fps,
                                update_scene_duration=True)
    elif suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=path)
    elif suffix in (".glb", ".gltf"):
        bpy.ops.import_scene.gltf(filepath=path)
    else:
        raise TaskError(f"cannot import {suffix} files")
    arm = _armature(bpy)
    start, end = _action_range(arm)
    bpy.context.scene.frame_start, bpy.context.scene.frame_end = start, end
    return arm


def _shift_keys(arm, frames: int) -> None:
    """Move every key of the armature's action by ``frames``."""
    for fc in arm.animation_data.action.fcurves:
        for kp in fc.keyframe_points:
            kp.co.x += frames
            kp.handle_left.x += frames
            kp.handle_right.x += frames
        fc.update()


def task_convert(bpy, task: dict) -> dict:
    _reset(bpy)
    arm = _import(bpy, task["bvh"], task["fps"])
    for obj in bpy.context.scene.objects:
        obj.select_set(obj == arm)
    bpy.context.view_layer.objects.active = arm
    out = task["out"]
    if task["format"] == "fbx":
        # FBX stores seconds as frame / fps: start the take at frame 0 so that its first
        # frame is at 0 s (Blender's FBX importer adds its own start offset of 1)
        _shift_keys(arm, -1)
        scene = bpy.context.scene
        scene.frame_start, scene.frame_end = scene.frame_start - 1, scene.frame_end - 1
        bpy.ops.export_scene.fbx(
            filepath=out, use_selection=True, object_types={"ARMATURE"},
            add_leaf_bones=False, bake_anim=True, bake_anim_use_all_bones=True,
            bake_anim_use_nla_strips=False, bake_anim_use_all_actions=False,
            bake_anim_force_startend_keying=True, bake_anim_step=1.0,
            bake_anim_simplify_factor=0.0, axis_forward="-Z", axis_up="Y")
    elif task["format"] == "glb":
        bpy.ops.export_scene.gltf(
            filepath=out, export_format="GLB", use_selection=True, export_animations=True,
            export_animation_mode="ACTIONS", export_bake_animation=True,
            export_force_sampling=True, export_frame_range=True, export_frame_step=1,
            export_optimize_animation_size=False, export_leaf_bone=False,
            export_def_bones=False, export_yup=True)
    else:
        raise TaskError(f"unknown format {task['format']!r}")
    if not Path(out).is_file():
        raise TaskError(f"Blender wrote no file at {out}")
    return {"out": out, "frame_range": list(_action_range(arm))}


def task_inspect(bpy, task: dict) -> dict:
    _reset(bpy)
    arm = _import(bpy, task["path"], task.get("fps"), task.get("update_scene_fps", False))
    scene = bpy.context.scene
    start, end = _action_range(arm)
    frames = task.get("frames") or [start]
    names = [b.name for b in arm.pose.bones]
    heads = {}
    for f in frames:
        scene.frame_set(int(f))
        mw = arm.matrix_world
        heads[str(f)] = [list(mw @ pb.head) for pb in arm.pose.bones]
    return {"bones": names, "heads": heads, "frame_range": [start, end],
            "scene_fps": scene.render.fps / scene.render.fps_base,
            "render_fps": scene.render.fps, "render_fps_base": scene.render.fps_base,
            "parents": [b.parent.name if b.parent else None for b in arm.data.bones]}


def _figure_mesh(bpy, arm):
    """A stick figure skinned to the armature (armatures themselves do not render): a
    box along every bone, a bar from a parent to each child that starts away from the
    parent's tail (the hip bar), and a block for the head."""
    from mathutils import Vector
    verts, faces, groups = [], [], {}

    def box(a, b, r, bone_name):
        axis = b - a
        if axis.length < 1e-6:
            return
        side = axis.cross(Vector((0, 0, 1)))
        if side.length < 1e-6 * axis.length:
            side = axis.cross(Vector((1, 0, 0)))
        side = side.normalized() * r
        up = axis.cross(side).normalized() * r
        base = len(verts)
        for end in (a, b):
            for sx, sz in ((1, 1), (1, -1), (-1, -1), (-1, 1)):
                verts.append(end + side * sx + up * sz)
        faces.extend((base + i, base + j, base + k, base + m) for i, j, k, m in
                     ((0, 1, 2, 3), (7, 6, 5, 4), (0, 4, 5, 1), (1, 5, 6, 2), (2, 6, 7, 3),
                      (3, 7, 4, 0)))
        groups.setdefault(bone_name, []).extend(range(base, base + 8))

    for bone in arm.data.bones:
        length = bone.length
        is_head = bone.children and any(c.name.lower().startswith(("headtop", "head_end",
                                                                    "spine.007"))
                                        for c in bone.children)
        r = 0.07 if is_head else max(0.015, min(0.03, 0.1 * length))
        if length > 0.005:
            box(bone.head_local, bone.tail_local, r, bone.name)
        parent = bone.parent
        if parent is not None and (bone.head_local - parent.tail_local).length > 0.01:
            box(parent.head_local, bone.head_local, 0.025, parent.name)
    mesh = bpy.data.meshes.new("figure")
    mesh.from_pydata([tuple(v) for v in verts], [], faces)
    mesh.update()
    obj = bpy.data.objects.new("figure", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.matrix_world = arm.matrix_world.copy()
    for name, idx in groups.items():
        obj.vertex_groups.new(name=name).add(idx, 1.0, "REPLACE")
    mod = obj.modifiers.new("armature", "ARMATURE")
    mod.object = arm
    return obj


def task_render(bpy, task: dict) -> dict:
    from mathutils import Vector
    _reset(bpy)
    arm = _import(bpy, task["bvh"], task.get("fps"))
    scene = bpy.context.scene
    frame = int(task.get("frame", scene.frame_start))
    scene.frame_set(frame)
    _figure_mesh(bpy, arm)
    points = [arm.matrix_world @ pb.head for pb in arm.pose.bones]
    points += [arm.matrix_world @ pb.tail for pb in arm.pose.bones]
    lo = Vector((min(p.x for p in points), min(p.y for p in points), min(p.z for p in points)))
    hi = Vector((max(p.x for p in points), max(p.y for p in points), max(p.z for p in points)))
    centre = (lo + hi) / 2
    width, height = task.get("size", (480, 640))
    cam_data = bpy.data.cameras.new("preview")
    cam_data.type = "ORTHO"
    extent = max(hi.z - lo.z, (hi.x - lo.x) * height / width, 0.5)
    cam_data.ortho_scale = 1.25 * extent * max(1.0, width / height)
    cam = bpy.data.objects.new("preview", cam_data)
    scene.collection.objects.link(cam)
    # the character faces Blender's -Y (the front view): look at it from there
    # three-quarter front view, slightly from above
    view = Vector((math.sin(math.radians(25)), -math.cos(math.radians(25)), 0.25)).normalized()
    cam.location = centre + 10.0 * view
    cam.rotation_euler = (-view).to_track_quat("-Z", "Y").to_euler()
    scene.camera = cam
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = int(width), int(height)
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.render.image_settings.file_format = "PNG"
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "SINGLE"
    shading.single_color = (0.85, 0.45, 0.15)
    world = bpy.data.worlds.new("preview")
    world.color = (0.92, 0.92, 0.92)
    scene.world = world
    scene.render.filepath = task["png"]
    bpy.ops.render.render(write_still=True)
    if not Path(task["png"]).is_file():
        raise TaskError("Blender rendered no image")
    return {"png": task["png"], "frame": frame}


TASKS = {"convert": task_convert, "inspect": task_inspect, "render": task_render}


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[1]).read_text())
    result_path = Path(request["result"])
    out: dict = {"ok": True, "results": []}
    try:
        import bpy
    except ImportError as exc:
        out = {"ok": False, "error": f"cannot import bpy: {exc}", "missing_bpy": True}
        result_path.write_text(json.dumps(out))
        return 3
    for task in request["tasks"]:
        try:
            out["results"].append(TASKS[task["op"]](bpy, task))
        except (TaskError, RuntimeError, TypeError, KeyError, ValueError) as exc:
            # bpy.ops raise RuntimeError("Error: <Blender's report>")
            message = str(exc).strip().splitlines()
            out = {"ok": False, "error": " ".join(message) or type(exc).__name__,
                   "task": task["op"]}
            break
    result_path.write_text(json.dumps(out))
    return 0 if out["ok"] else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
