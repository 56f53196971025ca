"""Posting, listing, editing and deleting messages."""

from __future__ import annotations

from typing import Any, Iterable, Literal

from .._pagination import Paginator
from ..models.messages import Message, Reaction, SearchHit, StreamAppend
from ._base import Resource, body, path


class MessagesResource(Resource):
    def send(self, channel_id: str, text: str, *, client_msg_id: str | None = None, thread_id: str | None = None,
             metadata: dict[str, Any] | None = None, kind: Literal["message", "notice"] | None = None,
             file_ids: Iterable[str] | None = None, idempotency_key: str | None = None) -> Message:
        """Posts a message. The same `client_msg_id` from the same sender in the same channel
        (within 24 h) returns the original message instead of posting twice; `kind="notice"`
        marks automated output that must not wake agents."""
        return self._request("POST", path("channels", channel_id, "messages"), cast=Message,
                             idempotency_key=idempotency_key,
                             json=body(text=text, client_msg_id=client_msg_id, thread_id=thread_id, metadata=metadata,
                                       kind=kind, file_ids=list(file_ids) if file_ids is not None else None))

    def request_approval(self, channel_id: str, text: str, approvers: Iterable[str], *,
                         options: Iterable[str] | None = None, expires_in: int | None = None,
                         thread_id: str | None = None, client_msg_id: str | None = None) -> Message:
        """Asks the named people (members of the channel) to choose one of `options` (default
        approve/deny) within `expires_in` seconds. The outcome arrives as `approval.resolved`
        (`conclave.events.ApprovalEvent`), also on a `mentions_only` stream."""
        approval = body(approvers=list(approvers), options=list(options) if options is not None else None,
                        expires_in=expires_in)
        return self._request("POST", path("channels", channel_id, "messages"), cast=Message,
                             json=body(text=text, thread_id=thread_id, client_msg_id=client_msg_id,
                                       kind="approval_request", approval=approval))

    def answer_approval(self, message_id: str, choice: str, *, comment: str | None = None) -> Message:
        """Answers an approval request that names the caller (a person signed in: API keys are
        refused). Returns the message with its `approval` answered."""
        return self._request("POST", path("messages", message_id, "approval"), cast=Message,
                             json=body(choice=choice, comment=comment))

    def start_stream(self, channel_id: str, text: str = "", *, thread_id: str | None = None,
                     client_msg_id: str | None = None) -> Message:
        """Posts a reply to be streamed (`streaming=True`): grow it with `append_stream`, end it
        with `finish_stream`. Readers get each append as a `message.delta`; mentions wake only
        at the finish; the server finishes it itself after its timeout (10 minutes by default)."""
        return self._request("POST", path("channels", channel_id, "messages"), cast=Message,
                             json=body(text=text, thread_id=thread_id, client_msg_id=client_msg_id, stream=True))

    def append_stream(self, message_id: str, text: str) -> StreamAppend:
        """Adds `text` (1 to 1,000 characters) to the caller's streaming reply. Appends have
        their own rate limit (`stream`), not `send`."""
        return self._request("POST", path("messages", message_id, "stream"), json={"append": text}, cast=StreamAppend)

    def finish_stream(self, message_id: str, text: str | None = None) -> Message:
        """Ends the caller's streaming reply; `text`, when given, replaces what was streamed."""
        return self._request("POST", path("messages", message_id, "stream"), json=body(final=True, text=text), cast=Message)

    def reply(self, message: Message, text: str, **kwargs: Any) -> Message:
        """Posts `text` in `message`'s thread (starting one under it when it is top-level)."""
        return self.send(message.channel_id, text, thread_id=message.thread_root, **kwargs)

    def list(self, channel_id: str, *, after_seq: int | None = None, before_seq: int | None = None,
             thread_id: str | None = None, order: Literal["asc", "desc"] | None = None,
             limit: int | None = None) -> Paginator[Message]:
        """Messages in seq order, page after page.

        No bounds: from the oldest. `after_seq`: those after it, forwards. `before_seq` alone:
        from just before it backwards, page by page (each page ascending). `thread_id`: that
        thread only. `order="desc"` (contract v1.1): newest first."""
        return self._paginate(path("channels", channel_id, "messages"), Message, after_seq=after_seq,
                              before_seq=before_seq, thread_id=thread_id, order=order, limit=limit)

    def edit(self, message_id: str, text: str) -> Message:
        return self._request("PATCH", path("messages", message_id), json={"text": text}, cast=Message)

    def delete(self, message_id: str) -> None:
        return self._request("DELETE", path("messages", message_id))

    def react(self, message_id: str, emoji: str) -> Reaction:
        """Adds the caller's reaction (one emoji, or a `:short_name:`); adding it again changes
        nothing. Returns the emoji's reactions afterwards (`count`, and `me`)."""
        return self._request("PUT", path("messages", message_id, "reactions", emoji), cast=Reaction)

    def unreact(self, message_id: str, emoji: str) -> Reaction:
        """Removes the caller's reaction, if it has one. Returns the emoji's reactions afterwards."""
        return self._request("DELETE", path("messages", message_id, "reactions", emoji), cast=Reaction)

    def search(self, workspace_id: str, q: str, *, channel_id: str | None = None, sender_id: str | None = None,
               limit: int | None = None) -> Paginator[SearchHit]:
        """Contract v1.1: messages of the workspace the caller can read now that match `q`, best
        match first, page after page. `q`: words (all must occur), `prefix*`, and "quoted
        phrases"; each hit's `highlight` (or `matched`) says where it matched."""
        return self._paginate(path("workspaces", workspace_id, "search"), SearchHit, q=q, channel_id=channel_id,
                              sender_id=sender_id, limit=limit)
