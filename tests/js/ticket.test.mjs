// Ticket codes on the phone: codes signed here with Node's own Ed25519, in qr.py's format.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { test } from "node:test";

import {
  CODE_LENGTH,
  createVerifier,
  CryptoUnavailableError,
  fingerprint,
  parseCode,
  readTicket,
} from "../../static/js/scanner/ticket.js";

const loadNoble = () => import("../../node_modules/@noble/ed25519/index.js");
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes) {
  let out = "";
  let value = 0;
  let bits = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return bits ? out + ALPHABET[(value << (5 - bits)) & 31] : out;
}

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32); // SPKI ends with the key
  return { privateKey, publicB64: Buffer.from(raw).toString("base64") };
}

function payloadOf({ version = 1, eventId, ticketId, seed }) {
  const payload = Buffer.alloc(15);
  payload.writeUInt8(version, 0);
  payload.writeUInt32BE(eventId, 1);
  payload.writeUInt32BE(ticketId, 5);
  Buffer.from(seed).copy(payload, 9);
  return payload;
}

/** Return the code qr.py's encode_ticket would write. */
function encode(privateKey, fields) {
  const payload = payloadOf(fields);
  return base32(Buffer.concat([payload, sign(null, payload, privateKey)]));
}

const KEYS = keyPair();
const SEED = Uint8Array.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0x01]);
const FIELDS = { eventId: 12, ticketId: 4_000_000_001, seed: SEED };
const CODE = encode(KEYS.privateKey, FIELDS);
// A code (unsigned: parseCode checks no signature) with an "s" in it, the same every run.
const ASCII_S = base32(Buffer.concat([payloadOf(FIELDS), Buffer.alloc(64, 0x94)])).toLowerCase();
const sha256Prefix = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 8);

/** WebCrypto as in a browser without Ed25519 (Chrome before 137): SHA digests only. */
const noEd25519 = {
  importKey: async () => {
    throw new DOMException("Unrecognized name.", "NotSupportedError");
  },
  digest: (...args) => crypto.subtle.digest(...args),
};

function flipBit(code, index) {
  const bytes = parseCode(code);
  const raw = Buffer.concat([bytes.payload, bytes.signature]);
  raw[index] ^= 0x01;
  return base32(raw);
}

test("a code reads back as what was signed", () => {
  assert.equal(CODE.length, CODE_LENGTH);
  const parsed = parseCode(CODE);
  assert.equal(parsed.version, 1);
  assert.equal(parsed.eventId, 12);
  assert.equal(parsed.ticketId, 4_000_000_001); // unsigned, not a negative int32
  assert.deepEqual(parsed.seed, SEED);
  assert.ok(parsed.seed instanceof Uint8Array && parsed.payload instanceof Uint8Array);
  assert.deepEqual(parsed.payload, new Uint8Array(payloadOf(FIELDS)));
  assert.equal(parsed.signature.length, 64);
});

test("whitespace around and lower case are accepted, as qr.py accepts them", () => {
  assert.equal(parseCode(CODE.toLowerCase()).ticketId, FIELDS.ticketId);
  assert.equal(parseCode(`  ${CODE}\r\n`).ticketId, FIELDS.ticketId);
  assert.equal(parseCode(`\x1d${CODE}\t`).ticketId, FIELDS.ticketId); // Python strips GS too
});

test("anything but the exact canonical spelling is refused", () => {
  assert.ok(parseCode(ASCII_S) && ASCII_S.includes("s"));
  const refused = {
    empty: "",
    "not text": 42,
    short: CODE.slice(0, -1),
    long: CODE + "A",
    padded: CODE + "=",
    "inner space": CODE.slice(0, 60) + " " + CODE.slice(61),
    "not base32": CODE.slice(0, -1) + "1",
    "non-zero padding bits": CODE.slice(0, -1) + ALPHABET[ALPHABET.indexOf(CODE.at(-1)) | 1],
    "U+FEFF around (Python does not strip it)": "\ufeff" + CODE,
    "non-ASCII that upper-cases to ASCII": ASCII_S.replace("s", "\u017f"), // long s: "ſ" → "S"
    "version 2": encode(KEYS.privateKey, { ...FIELDS, version: 2 }),
  };
  for (const [why, text] of Object.entries(refused)) assert.equal(parseCode(text), null, why);
});

for (const [path, options] of [
  ["WebCrypto", {}],
  ["@noble/ed25519 (no Ed25519 in WebCrypto)", { subtle: noEd25519, loadNoble }],
]) {
  test(`${path}: our codes verify; tampered, other-key and forged ones do not`, async () => {
    const verifier = createVerifier(KEYS.publicB64, options);
    assert.equal(await verifier.verify(parseCode(CODE)), true);
    assert.equal(await verifier.verify(parseCode(CODE.toLowerCase())), true);
    for (const index of [0, 4, 8, 14, 15, 40, 78]) {
      const tampered = parseCode(flipBit(CODE, index));
      if (tampered) assert.equal(await verifier.verify(tampered), false, `byte ${index}`);
    }
    const otherKey = encode(keyPair().privateKey, FIELDS);
    assert.equal(await verifier.verify(parseCode(otherKey)), false);
    const zeros = base32(Buffer.concat([payloadOf(FIELDS), Buffer.alloc(64)]));
    assert.equal(await verifier.verify(parseCode(zeros)), false);
  });
}

test("the key is imported once, and noble is loaded only when WebCrypto lacks Ed25519", async () => {
  let imports = 0;
  let loads = 0;
  const counting = {
    importKey: (...args) => (imports++, crypto.subtle.importKey(...args)),
    verify: (...args) => crypto.subtle.verify(...args),
  };
  const verifier = createVerifier(KEYS.publicB64, { subtle: counting, loadNoble: () => (loads++, loadNoble()) });
  await Promise.all([verifier.verify(parseCode(CODE)), verifier.verify(parseCode(CODE))]);
  assert.equal(await verifier.verify(parseCode(CODE)), true);
  assert.deepEqual([imports, loads], [1, 0]);

  const counted = { ...noEd25519, importKey: (...a) => (imports++, noEd25519.importKey(...a)) };
  const fallback = createVerifier(KEYS.publicB64, { subtle: counted, loadNoble: () => (loads++, loadNoble()) });
  for (let i = 0; i < 3; i++) assert.equal(await fallback.verify(parseCode(CODE)), true);
  assert.deepEqual([imports, loads], [2, 1]);
});

test("without crypto (plain HTTP) verify rejects: the scanner cannot tell, the server will", async () => {
  const verifier = createVerifier(KEYS.publicB64, { subtle: null, loadNoble });
  await assert.rejects(verifier.verify(parseCode(CODE)), CryptoUnavailableError);
  await assert.rejects(readTicket(CODE, verifier), CryptoUnavailableError);
  const noFallback = createVerifier(KEYS.publicB64, { subtle: noEd25519 });
  await assert.rejects(noFallback.verify(parseCode(CODE)), CryptoUnavailableError);
  assert.equal(await fingerprint(SEED, null), null);
});

test("a malformed public key is an error, not a forged ticket", async () => {
  for (const key of ["", "not base64!", Buffer.alloc(31).toString("base64")]) {
    await assert.rejects(createVerifier(key).verify(parseCode(CODE)), /public key/);
  }
});

test("the fingerprint is the first 8 hex characters of SHA-256 over the seed", async () => {
  assert.equal(await fingerprint(SEED), sha256Prefix(SEED));
  const seed = parseCode(CODE).seed;
  assert.equal(await fingerprint(seed), sha256Prefix(Buffer.from(SEED)));
  assert.equal(await fingerprint(seed, noEd25519), sha256Prefix(SEED));
});

test("readTicket: what the snapshot is searched with, or null for codes we did not sign", async () => {
  const verifier = createVerifier(KEYS.publicB64);
  assert.deepEqual(await readTicket(`${CODE.toLowerCase()}\n`, verifier), {
    eventId: 12,
    ticketId: 4_000_000_001,
    fingerprint: sha256Prefix(SEED),
  });
  assert.equal(await readTicket(flipBit(CODE, 20), verifier), null);
  assert.equal(await readTicket(encode(keyPair().privateKey, FIELDS), verifier), null);
  assert.equal(await readTicket("HELLO", verifier), null);
  const fallback = createVerifier(KEYS.publicB64, { subtle: noEd25519, loadNoble });
  assert.equal((await readTicket(CODE, fallback)).ticketId, 4_000_000_001);
});
