"""Messages and what they carry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from ._base import Model
from .identity import PrincipalKind


@dataclass(kw_only=True)
class Sender(Model):
    id: str
    kind: PrincipalKind


@dataclass(kw_only=True)
class FileRef(Model):
    """Contract v1.1: a file attached to a message."""

    id: str
    name: str
    size: int
    content_type: str
    sha256: str


@dataclass(kw_only=True)
class File(FileRef):
    """Contract v1.1: an uploaded file's metadata."""

    workspace_id: str | None = None
    created_at: dt.datetime | None = None
    #: the uploader's principal id
    uploader: str | None = None


@dataclass(kw_only=True)
class Reaction(Model):
    """Contract v1.1: one emoji's reactions on a message."""

    emoji: str
    count: int
    #: whether the reader reacted with it; None in event data, which goes to every reader alike
    me: bool | None = None


@dataclass(kw_only=True)
class Provenance(Model):
    """Contract v1.1: who wrote a message and how many agent hops since a human spoke."""

    kind: PrincipalKind
    hops: int
    trigger_id: str | None
    key_id: str | None = None


@dataclass(kw_only=True)
class Approval(Model):
    """Contract v1.1: an approval request and, once answered, its outcome."""

    approvers: list[str] | None = None
    options: list[str] | None = None
    #: `pending`, `approved`, `denied`, the chosen option, or `expired`
    status: str | None = None
    expires_at: dt.datetime | None = None
    by: str | None = None
    at: dt.datetime | None = None
    comment: str | None = None


@dataclass(kw_only=True)
class Message(Model):
    id: str
    channel_id: str
    workspace_id: str
    #: position in the channel, one more per message
    seq: int
    sender: Sender
    kind: Literal["message", "notice", "approval_request"]
    #: None once deleted
    text: str | None
    #: the thread's top-level message, for a reply
    thread_id: str | None
    reply_count: int
    #: ids mentioned in the text (`channel` for `<!channel>`)
    mentions: list[str]
    metadata: dict[str, Any] | None
    created_at: dt.datetime
    edited_at: dt.datetime | None
    deleted: bool
    client_msg_id: str | None = None
    # contract v1.1
    files: list[FileRef] | None = None
    reactions: list[Reaction] | None = None
    provenance: Provenance | None = None
    streaming: bool | None = None
    approval: Approval | None = None

    @property
    def thread_root(self) -> str:
        """The id replies to this message go under: its thread, or itself when top-level."""
        return self.thread_id or self.id


@dataclass(kw_only=True)
class Highlight(Model):
    """Contract v1.1 search: where a query matched, as `text[start:end]` (code point offsets)."""

    start: int
    end: int


@dataclass(kw_only=True)
class SearchHit(Message):
    """Contract v1.1: a message found by search, with the spans of its text that matched."""

    highlight: list[Highlight]

    @property
    def matched(self) -> list[str]:
        """The matched words (a phrase as one), in text order."""
        return [(self.text or "")[span.start:span.end] for span in self.highlight]


@dataclass(kw_only=True)
class StreamAppend(Model):
    """Where an append went in a streaming reply: its `offset` (in Unicode code points) and the
    text's `length` after it."""

    message_id: str
    offset: int
    length: int
