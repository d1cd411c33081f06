// The camera: start and stop it, and read a code from it about eight times a second; switch
// between the phone's cameras and light the flashlight, where the phone and browser can.
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

/** Return whether a camera's track can light its flashlight (Chrome on Android can). */
export function hasTorch(track) {
  const caps = track && typeof track.getCapabilities === "function" ? track.getCapabilities() : {};
  return Boolean(caps && caps.torch);
}

/**
 * Return the video constraints of the camera to switch to, from the current track's settings
 * and the video inputs: the other side (front / back) where the phone says which side this
 * is, else the next camera in the list.
 */
export function otherCamera(settings, inputs) {
  if (settings.facingMode === "user" || settings.facingMode === "environment") {
    return { facingMode: { exact: settings.facingMode === "user" ? "environment" : "user" } };
  }
  const ids = inputs.map((d) => d.deviceId).filter(Boolean);
  const next = ids[(ids.indexOf(settings.deviceId) + 1) % ids.length];
  return next ? { deviceId: { exact: next } } : { facingMode: { exact: "user" } };
}

async function videoInputs() {
  try {
    return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
  } catch {
    return [];
  }
}

/**
 * Return the camera of the page: `start()`, `stop()`, `isOn()`, `setStatus(text)`. els: camera
 * (the box, which holds the #camera-switch and #camera-torch buttons), video, toggle (the
 * button), status (its line); onCode(code): a new code was read; onStarted(): the picture
 * shows; onFailed(): the camera could not be had.
 */
export function createCamera({ els, strings, wasmUrl, onCode, onStarted = () => {}, onFailed = () => {} }) {
  let stream = null;
  let decode = null;
  let timer = null;
  let last = { code: "", at: 0 };
  let session = 0; // +1 at each stop: a camera that opens after it is closed at once
  let torchOn = false;
  const tools = {
    switchCamera: els.camera.querySelector("#camera-switch"),
    torch: els.camera.querySelector("#camera-torch"),
  };

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
    showTools();
  }

  /** Show the switch and flashlight buttons only where this camera and phone can do them. */
  async function showTools() {
    const track = stream && stream.getVideoTracks()[0];
    torchOn = false;
    if (tools.torch) {
      tools.torch.hidden = !hasTorch(track);
      tools.torch.setAttribute("aria-pressed", "false");
    }
    if (!tools.switchCamera) return;
    const cameras = (await videoInputs()).length;
    tools.switchCamera.hidden = !stream || cameras < 2; // stream: not stopped meanwhile
  }

  /** Open the phone's other camera (front / back) in place of this one. */
  async function switchCamera() {
    const track = stream && stream.getVideoTracks()[0];
    if (!track) return;
    const mine = session;
    const video = otherCamera(track.getSettings ? track.getSettings() : {}, await videoInputs());
    tools.switchCamera.disabled = true;
    stream.getTracks().forEach((t) => t.stop()); // many phones open one camera at a time
    let next;
    try {
      next = await navigator.mediaDevices.getUserMedia({ video: { ...video, width: { ideal: 1280 } }, audio: false });
    } catch {
      tools.switchCamera.disabled = false;
      if (mine !== session) return;
      stop();
      return setStatus(strings.camera_switch_failed);
    }
    tools.switchCamera.disabled = false;
    if (mine !== session) return next.getTracks().forEach((t) => t.stop()); // stopped meanwhile
    stream = next;
    els.video.srcObject = stream;
    await els.video.play().catch(() => {});
    showTools();
  }

  /** Light or put out the flashlight (a track with the torch capability). */
  async function toggleTorch() {
    const track = stream && stream.getVideoTracks()[0];
    if (!track) return;
    try {
      await track.applyConstraints({ advanced: [{ torch: !torchOn }] });
      torchOn = !torchOn;
    } catch {
      setStatus(strings.torch_failed);
    }
    tools.torch.setAttribute("aria-pressed", torchOn ? "true" : "false");
  }

  if (tools.switchCamera) tools.switchCamera.addEventListener("click", switchCamera);
  if (tools.torch) tools.torch.addEventListener("click", toggleTorch);

  function stop() {
    session += 1;
    torchOn = false;
    if (tools.switchCamera) tools.switchCamera.hidden = true;
    if (tools.torch) tools.torch.hidden = true;
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
