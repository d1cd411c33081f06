"""The scanner's ticket.js reads the codes qr.py writes: same ids, same seed fingerprint."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from eventsvc.rsvps.qr import encode_ticket, generate_private_key_b64, load_private_key
from eventsvc.rsvps.qr import public_key_b64 as public_key_of

ROOT = Path(__file__).resolve().parents[2]
TICKET_JS = ROOT / "static" / "js" / "scanner" / "ticket.js"

# Reads a code and a public key on stdin, prints what readTicket() makes of the code (with
# WebCrypto, then with @noble/ed25519 as in a browser without Ed25519 in WebCrypto).
SCRIPT = """
import { readFileSync } from "node:fs";
import { createVerifier, readTicket } from %(module)s;
const { code, key, noble } = JSON.parse(readFileSync(0, "utf8"));
const noEd25519 = {
  importKey: async () => { throw new DOMException("no Ed25519", "NotSupportedError"); },
  digest: (...args) => crypto.subtle.digest(...args),
};
const answers = [];
for (const options of [{}, { subtle: noEd25519, loadNoble: () => import(noble) }]) {
  answers.push(await readTicket(code, createVerifier(key, options)));
}
console.log(JSON.stringify(answers));
"""


def read_with_js(code: str, key: str) -> list[dict | None]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is missing: the scanner's modules are tested with it.")
    noble = ROOT / "node_modules" / "@noble" / "ed25519" / "index.js"
    script = SCRIPT % {"module": json.dumps(TICKET_JS.as_uri())}
    result = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps({"code": code, "key": key, "noble": noble.as_uri()}),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_scanner_reads_a_python_code_as_python_wrote_it():
    private_key = load_private_key(generate_private_key_b64())
    seed = bytes([0, 255, 16, 128, 127, 1])
    code = encode_ticket(event_id=7, ticket_id=2**32 - 2, seed=seed, private_key=private_key)
    expected = {
        "eventId": 7,
        "ticketId": 2**32 - 2,
        "fingerprint": hashlib.sha256(seed).hexdigest()[:8],
    }
    assert read_with_js(code, public_key_of(private_key)) == [expected, expected]
    assert read_with_js(f" {code.lower()}\n", public_key_of(private_key)) == [expected, expected]


def test_the_scanner_refuses_a_code_signed_with_another_key():
    signer = load_private_key(generate_private_key_b64())
    code = encode_ticket(event_id=7, ticket_id=1, seed=bytes(6), private_key=signer)
    other = public_key_of(load_private_key(generate_private_key_b64()))
    assert read_with_js(code, other) == [None, None]
