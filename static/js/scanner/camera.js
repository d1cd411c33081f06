// The camera: start and stop it, and read a code from it about eight times a second.
import { createDecoder } from "./decoder.js";

const FRAME_MS = 125; // ~8 decodes per second: enough at a door, gentle on a phone
/** The camera sees the same ticket in many frames: the same code again within this is one scan. */
export const SAME_CODE_MS = 3000;

/** Return whether code, seen at `at` ms, is a new scan after the last one ({code, at}). */
export function isNewScan(last, code, at) {
  return Boolean(code) && (code !== last.code || at - last.at > SAME_CODE_MS);
}

/** Say why there is no camera, up front, instead of failing when the button is pressed. */
export function cameraUnavailable(strings) {
  if (!window.isSecureContext) return strings.camera_insecure;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return strings.camera_unsupported;
  return null;
}

/**
 * Return the camera of the page: `start()`, `stop()`, `isOn()`, `setStatus(text)`. els: camera
 * (the box), video, toggle (the button), status (its line); onCode(code): a new code was read;
 * onStarted(): the picture shows; onFailed(): the camera could not be had.
 */
export function createCamera({ els, strings, wasmUrl, onCode, onStarted = () => {}, onFailed = () => {} }) {
  let stream = null;
  let decode = null;
  let timer = null;
  let last = { code: "", at: 0 };

  const setStatus = (text) => {
    els.status.textContent = text;
  };

  async function loop() {
    if (!stream) return;
    try {
      const video = els.video;
      const code = video.readyState >= 2 && video.videoWidth ? ((await decode(video)) || "").trim() : "";
      const now = Date.now();
      if (isNewScan(last, code, now)) onCode(code);
      if (code) last = { code, at: now };
    } catch {
      // One bad frame: try the next.
    }
    if (stream) timer = setTimeout(loop, FRAME_MS);
  }

  async function start() {
    const why = cameraUnavailable(strings);
    if (why) return setStatus(why);
    setStatus(strings.camera_starting);
    els.toggle.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } },
        audio: false,
      });
    } catch (err) {
      stream = null;
      els.toggle.disabled = false;
      const name = err && err.name;
      if (name === "NotAllowedError" || name === "SecurityError") setStatus(strings.camera_denied);
      else if (name === "NotFoundError" || name === "OverconstrainedError") setStatus(strings.camera_missing);
      else setStatus(strings.camera_failed);
      onFailed();
      return;
    }
    try {
      decode = await createDecoder({ wasmUrl });
    } catch {
      stop();
      setStatus(strings.decoder_failed);
      return;
    }
    els.video.srcObject = stream;
    els.camera.hidden = false;
    await els.video.play().catch(() => {});
    els.toggle.disabled = false;
    els.toggle.textContent = strings.stop_camera;
    setStatus(strings.camera_on);
    onStarted();
    loop();
  }

  function stop() {
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    els.video.srcObject = null;
    els.camera.hidden = true;
    els.toggle.disabled = false;
    els.toggle.textContent = strings.start_camera;
    setStatus("");
  }

  return { start, stop, isOn: () => stream !== null, setStatus };
}
