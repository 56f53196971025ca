"""Contract v1 "Webhooks" and its v1.1 additions (management routes and the delivery log)."""

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
    #: why the endpoint is disabled (a receiver's 410, or a manager)
    disabled_reason: str | None = None
    workspace_id: str | None = None
    updated_at: dt.datetime | None = None
    #: while a rotated-out secret still signs deliveries (a second signature)
    previous_secret_expires_at: dt.datetime | None = None


@dataclass(kw_only=True)
class WebhookCreated(Webhook):
    #: `whsec_…`, shown only in this response
    secret: str


@dataclass(kw_only=True)
class WebhookDelivery(Model):
    #: the `webhook-id` of every attempt
    id: str
    #: `pending`, `delivered` or `dead`
    status: str | None = None
    webhook_id: str | None = None
    type: str | None = None
    event_seq: int | None = None
    #: why the last attempt failed (never the receiver's response body)
    error: str | None = None
    next_attempt_at: dt.datetime | None = None
    last_attempt_at: dt.datetime | None = None
    response_status: int | None = None
    latency_ms: int | None = None
    attempt: int | None = None
    created_at: dt.datetime | None = None
