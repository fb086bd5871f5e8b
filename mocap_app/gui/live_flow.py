"""The live flow of the main window: cameras, start and stop, recording takes,
streaming the live poses out (the live link), click-to-track, the camera-lost path, and drawing the newest live result with its
status-bar figures. A mixin of ``MainWindow``."""
from __future__ import annotations

import time
from pathlib import Path

from .live_job import LiveEnded, LiveJob
from .source_panel import CameraListJob
from .worker import JobRunner


class LiveFlow:
    """Drives the window's ``live_runner``, ``live_results``, ``recording_folder``,
    ``last_live_end`` and ``last_live_result`` (all made in ``MainWindow.__init__``)."""

    # ------------------------------------------------------------------ cameras
    def refresh_cameras(self) -> None:
        job = CameraListJob()
        job.done.connect(lambda cams: self.source_panel.set_cameras(
            cams, self.settings.get("camera/last", None, int)))
        job.failed.connect(lambda msg: self.source_panel.set_cameras([]))
        runner = JobRunner(job, "cameras")
        self.other_runners.append(runner)
        runner.start()

    def start_live(self, source_factory=None, description: str | None = None,
                   estimator=None) -> bool:
        """Start live capture from the chosen camera, or from ``source_factory`` (a
        callable returning a frame source; the fake camera in tests)."""
        if self._busy("start the camera") or self.live_runner is not None:
            self.source_panel.set_live(self.mode == "live")
            return False
        if source_factory is None:
            dev = self.source_panel.device()
            if dev is None:
                self.source_panel.set_live(False)
                self.show_error("No camera", "No camera was found. Plug one in and press ↻, "
                                "or open a video file instead.")
                return False
            self.settings.set("camera/last", int(dev))
            from ..capture.webcam import WebcamSource

            def source_factory(dev=dev):
                return WebcamSource(dev)
            description = description or f"camera {dev}"
        self._stop_playback()
        self.view3d.clear()
        self.live_results.take()
        job = LiveJob(source_factory, self.config, self.live_results, estimator=estimator)
        job.recording_changed.connect(self._recording_changed)
        job.ready.connect(lambda d: self.mode_label.setText(f"live: {d}"))
        job.progress.connect(self._live_message)
        job.done.connect(self._live_ended)
        job.failed.connect(self._live_failed)
        self.live_runner = JobRunner(job, "live")
        self.mode = "live"
        self.mode_label.setText(f"live: opening {description or 'camera'}…")
        self.source_panel.set_live(True)
        self.live_runner.start()
        return True

    def stop_live(self) -> None:
        if self.live_runner is not None:
            self.live_runner.stop()     # the job ends and reports through _live_ended

    def toggle_recording(self, on: bool | None = None) -> None:
        if self.live_runner is None:
            self.source_panel.set_recording(False)
            return
        on = (self.recording_folder is None) if on is None else on
        job = self.live_runner.job
        if on and self.recording_folder is None:
            from ..takes.manage import unique_take_folder
            folder = unique_take_folder(self.takes_root, "take")
            self.takes_root.mkdir(parents=True, exist_ok=True)
            job.request_recording(folder, {"detector": self.config.detector,
                                           "lifter": self.config.lifter,
                                           "tilt_deg": self.config.tilt_deg})
        elif not on and self.recording_folder is not None:
            job.request_recording(None)
        self.source_panel.set_recording(on)

    def toggle_streaming(self, on: bool | None = None) -> bool:
        """Start or stop the live link (Stream beside Record). Where it sends comes from
        the target chosen beside the button and the settings ``link/port_blender``,
        ``link/port_vmc``, ``link/host`` and ``link/allow_remote`` (loopback unless opted
        in); a bad setting is refused with a message naming what is allowed."""
        if self.live_runner is None:
            self.source_panel.set_streaming(False)
            return False
        on = (self.streamer is None) if on is None else on
        if on and self.streamer is None:
            from ..link import LiveStreamer, StreamSettings
            target = self.source_panel.stream_target.currentData()
            try:
                settings = StreamSettings(
                    target, self.settings.get(f"link/port_{target}", None),
                    str(self.settings.get("link/host", "127.0.0.1")),
                    self.settings.get("link/allow_remote", False, bool))
                streamer = LiveStreamer(settings)
            except (ValueError, OSError) as exc:
                self.source_panel.set_streaming(False)
                self.show_error("Cannot stream", f"The live link was not started: {exc}.")
                return False
            if settings.warning:
                self.show_error("Streaming off this computer", settings.warning)
            self.streamer = streamer
            self.live_runner.job.set_streamer(streamer)
            host, port = settings.address
            self.source_panel.set_streaming(True)
            self.source_panel.show_streaming(f"→ {host}:{port}")
        elif not on:
            self._stop_streaming()
        return self.streamer is not None

    def _stop_streaming(self) -> None:
        if self.live_runner is not None:
            self.live_runner.job.set_streamer(None)
        streamer, self.streamer = self.streamer, None
        if streamer is not None:
            streamer.close()
            self.last_stream_stats = streamer.stats
        self.source_panel.set_streaming(False)

    def _subject_clicked(self, x: float, y: float) -> None:
        if self.live_runner is None:
            return
        detector = getattr(getattr(self.live_runner.job.session, "estimator", None),
                           "detector", None)
        if not hasattr(detector, "select_subject"):
            self.statusBar().showMessage("This detector tracks one person; click-to-track "
                                         "needs the multi-person detector.", 5000)
            return
        self.live_runner.job.select_subject((x, y))
        self.statusBar().showMessage(f"tracking the person at ({x:.0f}, {y:.0f})", 3000)

    def _recording_changed(self, folder) -> None:
        if folder is not None:
            self.recording_folder = Path(folder)
            self._recording_started = time.monotonic()
            self.source_panel.set_recording(True)
        else:
            done = self.recording_folder
            self.recording_folder = None
            self.source_panel.set_recording(False)
            self.take_list.refresh(select=done)
            if done is not None:
                self.statusBar().showMessage(f"Take saved: {done}", 8000)

    def _live_message(self, msg) -> None:
        if isinstance(msg, tuple) and msg and msg[0] == "recording_error":
            self.show_error("Recording stopped", msg[1])

    def _live_finish(self) -> None:
        self._stop_streaming()
        if self.live_runner is not None:
            self.live_runner.shutdown()
            self.live_runner = None
        self.mode = "idle"
        self.mode_label.setText("idle")
        self.source_panel.set_live(False)
        self.recording_folder = None
        self.take_list.refresh()

    def _live_ended(self, ended: LiveEnded) -> None:
        self.last_live_end = ended
        self._live_finish()
        if ended.error:
            text = f"The camera stopped: {ended.error}."
            if ended.take_folder is not None:
                text += (f"\n\nThe take being recorded was kept with everything recorded "
                         f"up to then:\n{ended.take_folder}")
                self.take_list.refresh(select=ended.take_folder)
            self.show_error("Camera lost", text)

    def _live_failed(self, message: str) -> None:
        self._live_finish()
        self.show_error("The camera could not be started", message)

    def _redraw_live(self) -> None:
        r = self.live_results.take()
        if r is not None:
            self.last_live_result = r
            pose = r.pose
            st = self.live_runner.job.status if self.live_runner is not None else None
            # boxes found up to a second ago still mark the people (they move little)
            others = st.people if st is not None and \
                r.frame.index - st.people_frame <= 30 else ()
            self.frame_view.show_frame(r.frame.image, r.frame.index, pose.keypoints_2d,
                                       pose.visibility, pose.box, others, pose.hands_2d)
            joints = r.refined_joints if r.refined_joints is not None else pose.joints_3d
            self._show_3d_throttled(joints, pose.root_position, pose.hands_3d)
            if pose.heatmaps is not None:
                self.heatmap_panel.show_heatmaps(pose.heatmaps, r.frame.index)
            elif pose.has_person and self.live_runner is not None:
                est = getattr(self.live_runner.job.session, "estimator", None)
                if est is not None and not est.uses_lifter and self.heatmap_panel.available:
                    self.heatmap_panel.set_unavailable(
                        "no lifter loaded (lift/inference.py or models/lifter.pt "
                        "missing): 3D comes from the detector, no heatmaps")
            self.frames_drawn += 1
        if self.live_runner is not None:
            st = self.live_runner.job.status
            self.capture_label.setText(f"capture {st.capture_fps:.1f} fps")
            self.processing_label.setText(f"processing {st.processing_fps:.1f} fps")
            self.latency_label.setText(f"latency {st.latency_ms:.0f} ms")
            self.dropped_label.setText(f"dropped {st.dropped}" + (
                f", left/right put right on {st.side_fixed}" if st.side_fixed else ""))
            self.device_label.setText(f"device {st.device}")
            session = getattr(self.live_runner.job, "session", None)
            self._show_hands_cost(getattr(session, "estimator", None))
            if self.streamer is not None:
                ss = self.streamer.stats
                host, port = self.streamer.settings.address
                self.source_panel.show_streaming(
                    f"→ {port}: {ss.sent} sent, {ss.dropped + ss.superseded} dropped, "
                    f"{ss.late} late")
            if self.recording_folder is not None:
                self.source_panel.show_recording(
                    time.monotonic() - self._recording_started, st.recording_frames,
                    st.dropped)
