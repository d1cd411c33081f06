// The QR decoder: the browser's own BarcodeDetector where it reads QR codes, else zxing-wasm
// (static/vendor/, loaded by a classic script before this module; never from a CDN).

let zxingReady = null; // the library's WebAssembly, prepared once for the page
let canvas = null; // one canvas for every frame, made on first use (nothing runs at import)

async function readWithZxing(video) {
  // At most 800 px wide: a ticket fills a good part of the frame; bigger is only slower.
  const scale = Math.min(1, 800 / video.videoWidth);
  canvas = canvas || document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const results = await window.ZXingWASM.readBarcodes(image, { formats: ["QRCode"], maxNumberOfSymbols: 1 });
  return results.length ? results[0].text : null;
}

/**
 * Return a decoder, picked each time the camera starts: `decode(video)` resolves with the text
 * of a QR code in the current frame, or null. wasmUrl: our own copy of the library's WebAssembly.
 */
export async function createDecoder({ wasmUrl }) {
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async (video) => {
          const codes = await detector.detect(video);
          return codes.length ? codes[0].rawValue : null;
        };
      }
    } catch {
      // Fall through to the library.
    }
  }
  if (!window.ZXingWASM) throw new Error("decoder");
  // Point the library at our own copy of its WebAssembly: by default it fetches it from a
  // public CDN, which we never use (privacy; the CSP would block it anyway).
  zxingReady =
    zxingReady ||
    window.ZXingWASM.prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path),
      },
      fireImmediately: true,
    });
  await zxingReady;
  return readWithZxing;
}
