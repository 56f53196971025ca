"""Channels, DMs, channel membership and read markers."""

from __future__ import annotations

from typing import Iterable

from .._pagination import Paginator
from ..models.channels import Channel, ChannelDetail, ChannelMembership, ChannelStatus, ReadMarker
from ._base import Resource, body, path


class ChannelsResource(Resource):
    def create(self, workspace_id: str, name: str, *, private: bool = False, topic: str | None = None) -> Channel:
        return self._request("POST", path("workspaces", workspace_id, "channels"),
                             json=body(name=name, private=private, topic=topic), cast=Channel)

    def list(self, workspace_id: str, *, limit: int | None = None) -> Paginator[ChannelDetail]:
        """The channels the caller can see, each with its read state."""
        return self._paginate(path("workspaces", workspace_id, "channels"), ChannelDetail, limit=limit)

    def get(self, channel_id: str) -> ChannelDetail:
        return self._request("GET", path("channels", channel_id), cast=ChannelDetail)

    def update(self, channel_id: str, *, name: str | None = None, topic: str | None = None) -> Channel:
        return self._request("PATCH", path("channels", channel_id), json=body(name=name, topic=topic), cast=Channel)

    def delete(self, channel_id: str) -> None:
        return self._request("DELETE", path("channels", channel_id))

    def add_member(self, channel_id: str, member_id: str) -> ChannelMembership:
        return self._request("POST", path("channels", channel_id, "members"), json={"member_id": member_id},
                             cast=ChannelMembership)

    def remove_member(self, channel_id: str, member_id: str) -> None:
        return self._request("DELETE", path("channels", channel_id, "members", member_id))

    def join(self, channel_id: str) -> Channel:
        return self._request("POST", path("channels", channel_id, "join"), cast=Channel)

    def leave(self, channel_id: str) -> None:
        return self._request("POST", path("channels", channel_id, "leave"))

    def mark_read(self, channel_id: str, seq: int) -> ReadMarker:
        """Moves the caller's read marker forward to `seq` (never back)."""
        return self._request("POST", path("channels", channel_id, "read"), json={"seq": seq}, cast=ReadMarker)

    def set_status(self, channel_id: str, state: str, *, text: str | None = None,
                   ttl_s: int | None = None) -> ChannelStatus:
        """Shows the channel's members that the caller is `typing`, `thinking` or `working`
        (with an optional one-line `text`) for `ttl_s` seconds (default 10, at most 120), or
        clears it with `idle`. The caller's next message in the channel clears it too."""
        return self._request("POST", path("channels", channel_id, "status"),
                             json=body(state=state, text=text, ttl_s=ttl_s), cast=ChannelStatus)


class DMsResource(Resource):
    def open(self, workspace_id: str, member_ids: Iterable[str]) -> Channel:
        """The one DM for this set of members (the caller included), made on first use."""
        return self._request("POST", path("workspaces", workspace_id, "dms"), json={"member_ids": list(member_ids)},
                             cast=Channel)
