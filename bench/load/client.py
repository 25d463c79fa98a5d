"""A small HTTP client for the exam API on the standard library (http.client).

It signs in through the real form (the CSRF token from the page's <meta> tag),
keeps the session cookie, and sends X-CSRFToken on API calls, as the exam page's
script does. Each request opens its own connection (Connection: close), so a
worker killed mid-request shows up as a connection error on that request only,
and a retry cannot be confused with a stale keep-alive socket. It may talk to
several servers in turn (the scale-out test): the cookie is valid on any
instance that shares the SECRET_KEY.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class ApiError(RuntimeError):
    """An answer other than the one expected; carries the status and body."""

    def __init__(self, message: str, reply: Reply) -> None:
        super().__init__(f"{message}: HTTP {reply.status} {reply.text[:300]}")
        self.reply = reply


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    base: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    def __init__(self, bases: str | Sequence[str], timeout: float = 60) -> None:
        self.bases = [bases] if isinstance(bases, str) else list(bases)
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.turn = 0

    def _next_base(self) -> str:
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        return base

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        base: str | None = None,
    ) -> Reply:
        """One request on a new connection; connection errors propagate (OSError)."""
        base = base or self._next_base()
        parsed = urllib.parse.urlsplit(base)
        all_headers = {"Connection": "close", "Accept-Language": "zh-CN"} | (headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        reply = Reply(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            data,
            time.perf_counter() - started,
            base,
        )
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def page(self, path: str) -> Reply:
        """GET a page, following redirects on the same server, and keep its CSRF token."""
        base = self._next_base()
        for _ in range(5):
            reply = self.request("GET", path, base=base)
            if reply.status in (301, 302, 303) and "location" in reply.headers:
                path = urllib.parse.urlsplit(reply.headers["location"]).path or "/"
                continue
            break
        match = CSRF_META.search(reply.text)
        if match:
            self.csrf = match.group(1)
        return reply

    def login(self, username: str, password: str) -> None:
        self.page("/auth/login")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": self.csrf}
        ).encode()
        reply = self.request(
            "POST",
            "/auth/login",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if reply.status != 302:
            raise ApiError(f"login of {username} failed", reply)
        # The token the exam page's script would read, from the page signing in lands on.
        self.page("/")

    def api(self, method: str, path: str, payload: object = None) -> Reply:
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json"}
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        return self.request(method, path, body=body, headers=headers)

    def expect(self, method: str, path: str, payload: object = None, ok=(200, 201)) -> Any:
        reply = self.api(method, path, payload)
        if reply.status not in ok:
            raise ApiError(f"{method} {path}", reply)
        return reply.json()


def first_choice(item: dict[str, Any], rng: Any) -> list[str]:
    """A valid answer for an item as the API shows it: one key, or two for a multiple."""
    keys = [option["key"] for option in item["options"]]
    if item["type"] == "multiple":
        return sorted(rng.sample(keys, 2))
    return [rng.choice(keys)]


def items_of(attempt_body: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in attempt_body["sections"] for item in section["items"]]
