"""Channels, DMs, channel membership and read markers."""

from __future__ import annotations

import datetime as _dt

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ._base import Model


@dataclass(kw_only=True)
class Channel(Model):
    """A channel or DM. A `channel.updated` event for a deleted channel carries only `id` and
    `deleted=True`."""

    id: str
    workspace_id: str
    kind: Literal["channel", "dm"]
    #: None for a DM
    name: str | None
    private: bool
    topic: str
    created_by: str
    created_at: dt.datetime
    last_seq: int
    #: a DM's members (and a new channel's first members in `channel.created`)
    member_ids: list[str] | None = None
    deleted: bool = False


@dataclass(kw_only=True)
class ChannelDetail(Channel):
    """A channel with the caller's membership and read state (`channels.get`, and each item of
    `channels.list`). `mention_count`: the unread messages that mention the caller."""

    is_member: bool
    last_read_seq: int | None
    unread_count: int
    mention_count: int


@dataclass(kw_only=True)
class ChannelMembership(Model):
    channel_id: str
    member_id: str


@dataclass(kw_only=True)
class ReadMarker(Model):
    channel_id: str
    last_read_seq: int


@dataclass(kw_only=True)
class ChannelStatus(Model):
    """What a principal is doing in a channel (contract v1.1): `typing`, `thinking`, `working`,
    or `idle` once it ended (`reason`: `expired`, `cleared` or `message`). Never stored."""

    principal_id: str
    channel_id: str
    state: str
    text: str | None = None
    expires_at: _dt.datetime | None = None
    reason: str | None = None
