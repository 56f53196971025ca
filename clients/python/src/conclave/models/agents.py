"""Agents and their API keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ._base import Model

Scope = Literal[
    "messages:read", "messages:write", "channels:read", "channels:write",
    "files:read", "files:write", "members:read", "webhooks:manage",
]


@dataclass(kw_only=True)
class Agent(Model):
    id: str
    workspace_id: str
    name: str
    description: str
    status: Literal["active", "paused"]
    role: str
    created_by: str
    created_at: dt.datetime
    last_seen_at: dt.datetime | None
    #: contract v1.1
    handle: str | None = None


@dataclass(kw_only=True)
class APIKey(Model):
    id: str
    name: str
    #: the key's first 12 characters, for recognising it
    prefix: str
    owner_id: str
    scopes: list[str]
    allowed_cidrs: list[str]
    expires_at: dt.datetime | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    last_used_ip: str | None


@dataclass(kw_only=True)
class APIKeyCreated(APIKey):
    #: the secret, shown only in this response
    key: str
