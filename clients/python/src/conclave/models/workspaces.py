"""Workspaces, their members, invites and audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from ._base import Model
from .identity import PrincipalKind, Role, TokenPair


@dataclass(kw_only=True)
class Workspace(Model):
    id: str
    name: str
    #: the caller's role in it
    role: Role
    created_at: dt.datetime
    #: contract v1.1 (provenance and loop budget)
    loop_budget: int | None = None


@dataclass(kw_only=True)
class Member(Model):
    id: str
    kind: PrincipalKind
    name: str
    role: Role
    joined_at: dt.datetime
    email: str | None = None
    #: contract v1.1: unique in the workspace, written `@handle` in messages
    handle: str | None = None
    #: contract v1.1: `deactivated` people
    status: str | None = None


@dataclass(kw_only=True)
class Invite(Model):
    id: str
    workspace_id: str
    role: Literal["admin", "member", "viewer"]
    max_uses: int
    uses: int
    expires_at: dt.datetime
    created_at: dt.datetime
    revoked: bool


@dataclass(kw_only=True)
class InviteCreated(Invite):
    #: shown only in this response
    token: str
    url: str


@dataclass(kw_only=True)
class InviteAccepted(Model):
    workspace_id: str
    role: Role
    user_id: str


@dataclass(kw_only=True)
class InviteSignedUp(InviteAccepted, TokenPair):
    """A new account made by accepting an invite, signed in."""


@dataclass(kw_only=True)
class AuditActor(Model):
    id: str | None
    kind: Literal["human", "agent", "system", "anonymous"]
    ip: str | None


@dataclass(kw_only=True)
class AuditEntry(Model):
    id: str
    seq: int
    at: dt.datetime
    actor: AuditActor
    action: str
    target: str | None
    workspace_id: str | None
    #: action-specific facts (their shape depends on `action`)
    details: Any
    prev_hash: str
    hash: str
