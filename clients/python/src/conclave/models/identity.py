"""The caller, sign-in tokens, sessions and bootstrap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ._base import Model

Role = Literal["owner", "admin", "member", "viewer", "agent"]
PrincipalKind = Literal["human", "agent"]


@dataclass(kw_only=True)
class WorkspaceRole(Model):
    id: str
    role: Role


@dataclass(kw_only=True)
class Me(Model):
    id: str
    kind: PrincipalKind
    name: str
    workspaces: list[WorkspaceRole]
    email: str | None = None
    #: the API key's scopes, when the caller authenticated with one
    scopes: list[str] | None = None


@dataclass(kw_only=True)
class TokenPair(Model):
    access_token: str
    #: absent when the browser flow keeps it in a cookie
    refresh_token: str | None
    token_type: str
    expires_in: int
    session_id: str


@dataclass(kw_only=True)
class MfaRequired(Model):
    mfa_required: bool
    mfa_token: str
    methods: list[str]


@dataclass(kw_only=True)
class Session(Model):
    id: str
    created_at: dt.datetime
    last_used_at: dt.datetime
    expires_at: dt.datetime
    ip: str | None
    user_agent: str | None
    current: bool


@dataclass(kw_only=True)
class Bootstrapped(Model):
    workspace_id: str
    user_id: str
    agent_id: str
    api_key: str
    channel_id: str
    invite_url: str
    #: v1 only; contract v1.1 returns no password
    password: str | None = None
