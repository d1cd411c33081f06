// Ticket codes read on the phone: parse, check our signature, fingerprint the seed. No DOM, no
// network: the offline verdicts rest on this. The format is eventsvc/rsvps/qr.py's (version 1):
// 127 base32 characters (RFC 4648, upper case, no padding) of 79 bytes =
//   payload (15 bytes: version u8 | event id u32 | ticket id u32 | seed 6 bytes, big-endian)
//   + Ed25519 signature (64 bytes, RFC 8032 pure) over the payload.
// Reading follows qr.py's decode_ticket: surrounding whitespace and lower case are accepted,
// anything that is not exactly the canonical spelling is refused.
//
// Crypto needs a secure context (HTTPS, or localhost), like the camera: on plain HTTP the browser
// has no crypto.subtle, so fingerprint() answers null and verify() rejects with
// CryptoUnavailableError; the scanner then cannot judge offline and keeps the scan for the server.

export const VERSION = 1;
export const CODE_LENGTH = 127;
const PAYLOAD_BYTES = 15;
const SIGNATURE_BYTES = 64;
const SEED_OFFSET = 9;
const SEED_BYTES = 6;
const CODE_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES; // 79 bytes: 632 bits in 635 bits of base32
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// What Python's str.strip() removes (str.isspace()), so both sides trim the same characters:
// unlike JS's trim() it includes the separators \x1c-\x1f and \x85, and not U+FEFF.
const SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const SURROUNDING_SPACE = new RegExp(`^${SPACE}+|${SPACE}+$`, "g");
const CANONICAL = /^[A-Z2-7]+$/;
const ASCII = /^[\x00-\x7f]*$/;

/** Verification cannot run here: no WebCrypto (not a secure context) and no fallback loaded. */
export class CryptoUnavailableError extends Error {}

/** Return the 79 bytes a canonical 127-character code spells, or null. */
function base32Decode(text) {
  if (text.length !== CODE_LENGTH || !CANONICAL.test(text)) return null;
  const bytes = new Uint8Array(CODE_BYTES);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const char of text) {
    value = (value << 5) | ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = (value >> bits) & 0xff;
      value &= (1 << bits) - 1;
    }
  }
  // The 3 bits left over are padding: one spelling per code, so they must be zero.
  return value === 0 ? bytes : null;
}

/**
 * Read a ticket code without checking its signature: `{version, eventId, ticketId, seed,
 * payload, signature}` (the last three Uint8Arrays of 6, 15 and 64 bytes), or null when the
 * text is not a version 1 code spelled canonically. Trust no field before `verify()`.
 */
export function parseCode(text) {
  if (typeof text !== "string") return null;
  const trimmed = text.replace(SURROUNDING_SPACE, "");
  // ASCII before upper-casing, as qr.py: toUpperCase() turns "ſ" into "S" and "ß" into "SS".
  if (trimmed.length !== CODE_LENGTH || !ASCII.test(trimmed)) return null;
  const raw = base32Decode(trimmed.toUpperCase());
  if (!raw) return null;
  const view = new DataView(raw.buffer);
  const version = view.getUint8(0);
  if (version !== VERSION) return null;
  return {
    version,
    eventId: view.getUint32(1), // big-endian: DataView's default
    ticketId: view.getUint32(5),
    seed: raw.slice(SEED_OFFSET, SEED_OFFSET + SEED_BYTES),
    payload: raw.slice(0, PAYLOAD_BYTES),
    signature: raw.slice(PAYLOAD_BYTES),
  };
}

function base64Decode(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function defaultSubtle() {
  return globalThis.crypto?.subtle ?? null;
}

/**
 * Return `{verify(parsed) → Promise<boolean>}` for the public key (base64 of its 32 raw bytes,
 * the page's data-public-key). WebCrypto's Ed25519 when the browser has it, else the vendored
 * @noble/ed25519: `loadNoble()` resolves with that module (the page passes
 * `() => import(root.dataset.nobleUrl)`; loaded only when needed). The key is imported once.
 * verify() rejects with CryptoUnavailableError when neither can run (see the top of this file).
 */
export function createVerifier(publicKeyB64, { subtle = defaultSubtle(), loadNoble = null } = {}) {
  let backend = null; // Promise<(signature, payload) => Promise<boolean>>

  async function webCrypto(key) {
    const imported = await subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
    return (signature, payload) => subtle.verify("Ed25519", imported, signature, payload);
  }

  async function noble(key) {
    if (!loadNoble || !subtle) throw new CryptoUnavailableError("no Ed25519 in this browser");
    const ed = await loadNoble();
    // zip215: false is RFC 8032's strict reading, as OpenSSL's (the server) and WebCrypto's.
    return (signature, payload) => ed.verifyAsync(signature, payload, key, { zip215: false });
  }

  async function choose() {
    let key;
    try {
      key = base64Decode(publicKeyB64 || "");
    } catch {
      key = null;
    }
    if (!key || key.length !== 32) throw new Error("the scanner's public key is not 32 bytes of base64");
    if (!subtle) throw new CryptoUnavailableError("no crypto.subtle: not a secure context");
    try {
      return await webCrypto(key);
    } catch {
      return noble(key); // NotSupportedError: a browser without Ed25519 in WebCrypto
    }
  }

  async function verify(parsed) {
    backend = backend || choose();
    let check;
    try {
      check = await backend;
    } catch (err) {
      backend = null; // a failed module load (say, not cached yet) may work next time
      throw err;
    }
    try {
      return (await check(parsed.signature, parsed.payload)) === true;
    } catch {
      return false; // a malformed signature (noble throws on some): not ours
    }
  }

  return { verify };
}

/**
 * Resolve with the seed's fingerprint: the first 8 hex characters of SHA-256 over its 6 bytes
 * (what the server's snapshot lists per ticket); null without crypto.subtle (plain HTTP).
 */
export async function fingerprint(seed, subtle = defaultSubtle()) {
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest("SHA-256", seed));
  return Array.from(digest.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Resolve with `{eventId, ticketId, fingerprint}` of a code we signed, or null for anything else
 * (malformed, forged, tampered with). Rejects with CryptoUnavailableError when it cannot tell.
 */
export async function readTicket(code, verifier) {
  const parsed = parseCode(code);
  if (!parsed || !(await verifier.verify(parsed))) return null;
  return {
    eventId: parsed.eventId,
    ticketId: parsed.ticketId,
    fingerprint: await fingerprint(parsed.seed),
  };
}
