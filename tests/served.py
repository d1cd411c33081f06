"""A second app served from threads on 127.0.0.1, and a burst of requests from 16 clients."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

THREADS = 16


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def post(url: str, data: dict | None = None, *, json_body=None, headers=None) -> tuple[int, str]:
    """POST a form (or JSON); return the status and the Location (or the JSON body's text)."""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    else:
        body = urllib.parse.urlencode(data or {}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with OPENER.open(request, timeout=60) as r:
            text = r.read().decode() if json_body is not None else ""
            return r.status, r.headers.get("Location", "") or text
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location", "") or e.read().decode()


def burst(requests: list[tuple]) -> list[tuple[int, str]]:
    """Send the requests from THREADS client threads at once; keep their order in the answer."""
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(lambda r: post(*r[:2], **(r[2] if len(r) > 2 else {})), requests))
