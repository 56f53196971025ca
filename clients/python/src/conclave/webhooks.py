"""Verifying Conclave's webhook deliveries (Standard Webhooks, https://www.standardwebhooks.com).

    payload = conclave.webhooks.verify(request.body, request.headers, secret="whsec_…")

A delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`:
space-separated `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>` (several while a
secret is rotated; any one that matches is enough). `verify` checks a signature in constant time,
refuses a timestamp more than `tolerance` seconds from now (replays), and returns the payload.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import time
import typing
from typing import Any, Mapping

from .errors import WebhookVerificationError
from .events import EVENT_TYPES
from .models._base import decode

DEFAULT_TOLERANCE = 300
SECRET_PREFIX = "whsec_"


@dataclasses.dataclass
class WebhookPayload:
    """A verified delivery. `data` is typed by `type` (a `Message` for `message.*`, …; JSON for
    types this SDK does not know); `id` is the `webhook-id`, stable across retries (dedupe on it)."""

    id: str
    type: str
    timestamp: dt.datetime | None
    data: Any
    raw: dict[str, Any]


def secret_bytes(secret: str | bytes) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (raw bytes are used as they are)."""
    if isinstance(secret, bytes):
        return secret
    text = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError("the webhook secret is not whsec_ + base64") from exc


def signature(secret: str | bytes, msg_id: str, timestamp: int | str, body: bytes | str) -> str:
    """`v1,<base64 signature>` of one delivery."""
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(secret_bytes(secret), f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify(body: bytes | str, headers: Mapping[str, str], secret: str | bytes | list[str | bytes], *,
           tolerance: float = DEFAULT_TOLERANCE, now: float | None = None) -> WebhookPayload:
    """The delivery's payload once its signature and timestamp check out; otherwise raises
    `WebhookVerificationError`. `secret` may be a list (old and new while rotating). Pass the
    body exactly as received (bytes), before any JSON parsing."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature")
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        sent_at = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not Unix seconds") from None
    current = time.time() if now is None else now
    if sent_at < current - tolerance:
        raise WebhookVerificationError("webhook-timestamp is too old")
    if sent_at > current + tolerance:
        raise WebhookVerificationError("webhook-timestamp is in the future")
    raw = body.encode() if isinstance(body, str) else bytes(body)
    secrets = secret if isinstance(secret, list) else [secret]
    expected = [signature(s, msg_id, stamp, raw).encode() for s in secrets]
    offered = [part.encode() for part in signatures.split() if part.startswith("v1,")]
    matched = False
    for candidate in offered:
        for want in expected:
            # every pair is compared (no early exit) so timing says nothing about which matched
            matched |= hmac.compare_digest(candidate, want)
    if not matched:
        raise WebhookVerificationError("no webhook-signature matches")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return _typed(msg_id, payload)


def _typed(msg_id: str, payload: dict[str, Any]) -> WebhookPayload:
    kind = str(payload.get("type", ""))
    event_class = EVENT_TYPES.get(kind)
    data: Any = payload.get("data")
    if event_class is not None and isinstance(data, dict):
        data = decode(typing.get_type_hints(event_class)["data"], data)
    stamp = payload.get("timestamp")
    when = decode(dt.datetime, stamp) if isinstance(stamp, str) else None
    return WebhookPayload(id=msg_id, type=kind, timestamp=when, data=data, raw=payload)
