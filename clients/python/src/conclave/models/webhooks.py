"""Contract v1 "Webhooks" (management routes; the server does not serve them yet)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ._base import Model


@dataclass(kw_only=True)
class Webhook(Model):
    id: str
    url: str
    events: list[str]
    channel_ids: list[str] | None = None
    mentions_only: bool | None = None
    agent_id: str | None = None
    created_at: dt.datetime | None = None
    disabled: bool | None = None


@dataclass(kw_only=True)
class WebhookCreated(Webhook):
    #: `whsec_…`, shown only in this response
    secret: str


@dataclass(kw_only=True)
class WebhookDelivery(Model):
    id: str
    status: str | None = None
    response_status: int | None = None
    latency_ms: int | None = None
    attempt: int | None = None
    created_at: dt.datetime | None = None
