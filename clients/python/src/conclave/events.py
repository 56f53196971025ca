"""Typed events of the real-time stream (WebSocket frames and long-poll answers alike).

`parse_event(frame)` picks the class by the frame's `event` name; a name this SDK does not know
yet (a newer server) becomes an `UnknownEvent` that keeps its raw `data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models._base import Model, decode
from .models.channels import Channel, ChannelStatus, ReadMarker
from .models.messages import Approval, Message


@dataclass(kw_only=True)
class Event(Model):
    """One event. `cursor` is the position to resume after it: persist it once the event is handled."""

    cursor: str
    event: str
    workspace_id: str
    channel_id: str | None = None
    #: `message.created` only: whether the message mentions the receiving principal (or `<!channel>`)
    mentioned: bool | None = None
    #: True for events that are not in the log (`status.updated`): live sockets only, never
    #: replayed; `cursor` is the stream's position when it came, not a position of its own
    ephemeral: bool = False

    @property
    def name(self) -> str:
        return self.event


@dataclass(kw_only=True)
class MessageEvent(Event):
    """`message.created`, `message.updated`, `message.deleted` (a tombstone: `text` None)."""

    data: Message

    @property
    def message(self) -> Message:
        return self.data


@dataclass(kw_only=True)
class ChannelEvent(Event):
    """`channel.created` (with `member_ids`) and `channel.updated` (`deleted=True` once deleted)."""

    data: Channel


@dataclass(kw_only=True)
class Membership(Model):
    """Who joined or left: a channel (`channel_id`) or a workspace (`workspace_id`, `role` on joining)."""

    member_id: str
    channel_id: str | None = None
    workspace_id: str | None = None
    role: str | None = None


@dataclass(kw_only=True)
class MemberEvent(Event):
    """`member.joined`, `member.left`."""

    data: Membership


@dataclass(kw_only=True)
class ReadEvent(Event):
    """`read.updated`, only on the reader's own streams."""

    data: ReadMarker


@dataclass(kw_only=True)
class AgentPausedData(Model):
    agent_id: str


@dataclass(kw_only=True)
class AgentPausedEvent(Event):
    """`agent.paused`: the agent's sockets close (4423) right after it."""

    data: AgentPausedData


@dataclass(kw_only=True)
class MessageDelta(Model):
    message_id: str
    offset: int
    append: str


@dataclass(kw_only=True)
class MessageDeltaEvent(Event):
    """Contract v1.1 `message.delta`: text appended to a streaming reply (ephemeral)."""

    data: MessageDelta


@dataclass(kw_only=True)
class ReactionChange(Model):
    """Who reacted (or took it back) with what, and the emoji's count after it. Once the
    message is deleted, only `message_id` and `channel_id` remain (`deleted=True`)."""

    message_id: str
    channel_id: str
    emoji: str | None = None
    principal_id: str | None = None
    count: int | None = None
    deleted: bool | None = None


@dataclass(kw_only=True)
class ReactionEvent(Event):
    """Contract v1.1 `reaction.added`, `reaction.removed`; never on `mentions_only` streams."""

    data: ReactionChange


@dataclass(kw_only=True)
class ApprovalOutcome(Model):
    """An approval request's outcome: answered (`approval.by`) or `expired`. Once the message is
    deleted, only `message_id` and `channel_id` remain (`deleted=True`)."""

    message_id: str
    channel_id: str
    requester_id: str | None = None
    approval: Approval | None = None
    deleted: bool | None = None


@dataclass(kw_only=True)
class ApprovalEvent(Event):
    """Contract v1.1 `approval.resolved`: reaches the requester even on `mentions_only` streams."""

    data: ApprovalOutcome


@dataclass(kw_only=True)
class StatusEvent(Event):
    """Contract v1.1 `status.updated` (ephemeral): someone is typing, thinking or working in a
    channel, or stopped (`state == "idle"`)."""

    data: ChannelStatus

    @property
    def status(self) -> ChannelStatus:
        return self.data


@dataclass(kw_only=True)
class UnknownEvent(Event):
    """An event this SDK version does not know; `data` is left as JSON."""

    data: dict[str, Any]


EVENT_TYPES: dict[str, type[Event]] = {
    "message.created": MessageEvent,
    "message.updated": MessageEvent,
    "message.deleted": MessageEvent,
    "approval.resolved": ApprovalEvent,
    "channel.created": ChannelEvent,
    "channel.updated": ChannelEvent,
    "member.joined": MemberEvent,
    "member.left": MemberEvent,
    "read.updated": ReadEvent,
    "agent.paused": AgentPausedEvent,
    "message.delta": MessageDeltaEvent,
    "reaction.added": ReactionEvent,
    "reaction.removed": ReactionEvent,
    "status.updated": StatusEvent,
}


def parse_event(frame: dict[str, Any]) -> Event:
    """An event frame (`{"type": "event", "cursor", "event", ...}`) as its typed event."""
    cls = EVENT_TYPES.get(str(frame.get("event")), UnknownEvent)
    body = {k: v for k, v in frame.items() if k != "type"}
    return decode(cls, body)


@dataclass
class EventBatch:
    """One long-poll answer: the events (possibly none) and the cursor to poll after next."""

    events: list[Event]
    cursor: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EventBatch":
        return cls(events=[parse_event(e) for e in data.get("events") or []], cursor=data.get("cursor") or "")
