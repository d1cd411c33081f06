// Which QR decoder reads our tickets from a phone camera? Accuracy first, then speed.
//
// Reads the samples benchmarks/qr_samples.py wrote (640x480 grey camera frames of real ticket
// codes: clean, blurred, small, dim and noisy) and, for each candidate decoder, counts the
// frames it reads *correctly* (the exact 127-character code) and times each decode.
//
//   .venv/bin/python benchmarks/qr_samples.py /tmp/qr-samples
//   npm install --prefix /tmp/qrbench --no-save jsqr @zxing/library zxing-wasm qr-scanner
//   node benchmarks/qr_decoders.mjs /tmp/qr-samples /tmp/qrbench/node_modules
//
// The candidates are installed outside the project on purpose: only the chosen one belongs in
// package.json. All run in Node on the same CPU; browsers are in the same range (V8 again).

import { readFileSync, statSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";

const [samplesDir = "/tmp/qr-samples", modulesDir = "/tmp/qrbench/node_modules"] =
  process.argv.slice(2);
const REPEAT = Number(process.env.QR_REPEAT || 5); // decodes per frame, for the timing
const require = createRequire(join(modulesDir, "noop.js"));

/** Turn a grey frame into the RGBA ImageData a browser canvas would give. */
function toRgba(gray, width, height) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < gray.length; i++) {
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = gray[i];
    rgba[4 * i + 3] = 255;
  }
  return { data: rgba, width, height, colorSpace: "srgb" };
}

/** Luminance of RGBA pixels, as @zxing/library's HTMLCanvasElementLuminanceSource computes it. */
function grey(img) {
  const out = new Uint8ClampedArray(img.width * img.height);
  const d = img.data;
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    out[i] = (306 * d[j] + 601 * d[j + 1] + 117 * d[j + 2] + 0x200) >> 10;
  }
  return out;
}

function dirSize(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + dirSize(join(path, name)), 0);
}

// --- the candidates: each is {name, shipped: files a browser would load, decode(img) → text} ---

async function jsqr() {
  const jsQR = require("jsqr");
  return {
    name: "jsqr",
    shipped: ["jsqr/dist/jsQR.js"],
    // "dontInvert": a ticket is dark on light; the browser scanner would use the same.
    decode: (img) => jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" })?.data,
  };
}

async function zxingLibrary() {
  const ZX = require("@zxing/library");
  const hints = new Map([
    [ZX.DecodeHintType.POSSIBLE_FORMATS, [ZX.BarcodeFormat.QR_CODE]],
    [ZX.DecodeHintType.TRY_HARDER, true],
  ]);
  const reader = new ZX.QRCodeReader();
  return {
    name: "@zxing/library",
    shipped: ["@zxing/library/umd/index.min.js"],
    decode(img) {
      // What BrowserQRCodeReader does with a canvas: luminance → hybrid binarizer → reader.
      // (Given a Uint8ClampedArray, RGBLuminanceSource takes it as grey bytes, not RGBA.)
      const lum = new ZX.RGBLuminanceSource(grey(img), img.width, img.height);
      const bitmap = new ZX.BinaryBitmap(new ZX.HybridBinarizer(lum));
      try {
        return reader.decode(bitmap, hints).getText();
      } catch {
        return null; // NotFoundException, ChecksumException, FormatException
      } finally {
        reader.reset();
      }
    },
  };
}

async function zxingWasm() {
  const url = pathToFileURL(join(modulesDir, "zxing-wasm/dist/es/reader/index.js")).href;
  const zx = await import(url);
  // Never the default (a public CDN): hand it the bytes of our own copy.
  const wasm = join(modulesDir, "zxing-wasm/dist/reader/zxing_reader.wasm");
  await zx.prepareZXingModule({ overrides: { wasmBinary: readFileSync(wasm) }, fireImmediately: true });
  globalThis.ImageData ??= class ImageData {
    constructor(data, width, height) {
      Object.assign(this, { data, width, height, colorSpace: "srgb" });
    }
  };
  return {
    name: "zxing-wasm (reader)",
    shipped: ["zxing-wasm/dist/es/reader/index.js", "zxing-wasm/dist/reader/zxing_reader.wasm"],
    async decode(img) {
      const data = new ImageData(img.data, img.width, img.height);
      const results = await zx.readBarcodes(data, { formats: ["QRCode"], maxNumberOfSymbols: 1 });
      return results[0]?.text;
    },
  };
}

async function qrScanner() {
  // qr-scanner decodes in a Web Worker whose source is a string inside this module; run that
  // worker source in a sandbox with a fake `self` and call its message handler directly.
  const source = readFileSync(join(modulesDir, "qr-scanner/qr-scanner-worker.min.js"), "utf8");
  const literal = source.slice(source.indexOf("[`") + 1, source.lastIndexOf("`]") + 1);
  const workerCode = vm.runInNewContext(literal); // evaluate the template literal: the source
  let reply;
  const self = { postMessage: (m) => (reply = m), close() {} };
  new Function("self", workerCode)(self); // in this realm: a vm sandbox would slow it down
  return {
    name: "qr-scanner",
    shipped: ["qr-scanner/qr-scanner.min.js", "qr-scanner/qr-scanner-worker.min.js"],
    decode(img) {
      self.onmessage({ data: { id: 1, type: "decode", data: img } });
      return reply.data;
    },
  };
}

// --- the run ------------------------------------------------------------------------------------

const manifest = JSON.parse(readFileSync(join(samplesDir, "manifest.json"), "utf8"));
const frames = manifest.samples.map((s) => ({
  ...s,
  img: toRgba(readFileSync(join(samplesDir, s.file)), s.width, s.height),
}));
const variants = [...new Set(frames.map((f) => f.variant))];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};

const rows = [];
for (const make of [jsqr, zxingLibrary, zxingWasm, qrScanner]) {
  const decoder = await make();
  await decoder.decode({ ...frames[0].img, data: new Uint8ClampedArray(frames[0].img.data) }); // warm-up
  const perVariant = Object.fromEntries(variants.map((v) => [v, 0]));
  const times = [];
  let read = 0;
  for (const frame of frames) {
    let text;
    for (let i = 0; i < REPEAT; i++) {
      // A fresh copy each time, as a camera gives a fresh frame: jsQR and qr-scanner use the
      // frame's buffer as scratch space (canOverwriteImage), which would spoil the next decode.
      const img = { ...frame.img, data: new Uint8ClampedArray(frame.img.data) };
      const t0 = performance.now();
      text = await decoder.decode(img);
      times.push(performance.now() - t0);
    }
    if (text === frame.code) {
      read++;
      perVariant[frame.variant]++;
    }
  }
  const size = decoder.shipped.reduce((sum, f) => sum + dirSize(join(modulesDir, f)), 0);
  rows.push({ name: decoder.name, read, total: frames.length, perVariant, median: median(times), size });
}

const perCode = frames.length / variants.length;
console.log(`${frames.length} frames (${variants.length} variants x ${perCode} codes), ${REPEAT} decodes each\n`);
console.log("| decoder | read | median ms/frame | shipped KiB | " + variants.join(" | ") + " |");
console.log("|---|---|---|---|" + variants.map(() => "---").join("|") + "|");
for (const r of rows) {
  const cells = variants.map((v) => `${r.perVariant[v]}/${perCode}`);
  console.log(
    `| ${r.name} | ${r.read}/${r.total} | ${r.median.toFixed(1)} | ${Math.round(r.size / 1024)} | ${cells.join(" | ")} |`,
  );
}
