"""Workspaces, members, invites and the audit log."""

from __future__ import annotations

from typing import Any

from .._pagination import Paginator
from ..models._base import decode
from ..models.workspaces import (AuditEntry, Invite, InviteAccepted, InviteCreated, InviteSignedUp, Member,
                                 Workspace)
from ._base import Resource, body, path


class WorkspacesResource(Resource):
    def create(self, name: str) -> Workspace:
        return self._request("POST", path("workspaces"), json={"name": name}, cast=Workspace)

    def list(self, *, limit: int | None = None) -> Paginator[Workspace]:
        return self._paginate(path("workspaces"), Workspace, limit=limit)

    def get(self, workspace_id: str) -> Workspace:
        return self._request("GET", path("workspaces", workspace_id), cast=Workspace)

    def update(self, workspace_id: str, *, name: str | None = None, loop_budget: int | None = None) -> Workspace:
        return self._request("PATCH", path("workspaces", workspace_id),
                             json=body(name=name, loop_budget=loop_budget), cast=Workspace)

    def delete(self, workspace_id: str) -> None:
        return self._request("DELETE", path("workspaces", workspace_id))


class MembersResource(Resource):
    def list(self, workspace_id: str, *, limit: int | None = None) -> Paginator[Member]:
        return self._paginate(path("workspaces", workspace_id, "members"), Member, limit=limit)

    def update(self, workspace_id: str, member_id: str, *, role: str | None = None, handle: str | None = None,
               status: str | None = None) -> Member:
        """Change a member's role (and, per contract v1.1, `handle` or `status="deactivated"`)."""
        return self._request("PATCH", path("workspaces", workspace_id, "members", member_id),
                             json=body(role=role, handle=handle, status=status), cast=Member)

    def remove(self, workspace_id: str, member_id: str) -> None:
        return self._request("DELETE", path("workspaces", workspace_id, "members", member_id))


class InvitesResource(Resource):
    def create(self, workspace_id: str, *, role: str | None = None, max_uses: int | None = None,
               expires_in: int | None = None) -> InviteCreated:
        return self._request("POST", path("workspaces", workspace_id, "invites"),
                             json=body(role=role, max_uses=max_uses, expires_in=expires_in), cast=InviteCreated)

    def list(self, workspace_id: str, *, limit: int | None = None) -> Paginator[Invite]:
        return self._paginate(path("workspaces", workspace_id, "invites"), Invite, limit=limit)

    def revoke(self, workspace_id: str, invite_id: str) -> None:
        return self._request("DELETE", path("workspaces", workspace_id, "invites", invite_id))

    def accept(self, token: str, *, email: str | None = None, password: str | None = None,
               name: str | None = None) -> InviteAccepted | InviteSignedUp:
        """Accept as the signed-in person, or (with `email` and `password`) sign a new person up;
        then the client is signed in as them."""
        token = token.rsplit("#", 1)[-1].rsplit("/", 1)[-1]  # a whole invite link works too
        if email is None and password is None:
            return self._request("POST", path("invites", token, "accept"), cast=InviteAccepted)
        return self._request("POST", path("invites", token, "accept"), authenticated=False,
                             json=body(email=email, password=password, name=name), cast=self._signed_up)

    def _signed_up(self, data: dict[str, Any]) -> InviteSignedUp:
        signed_up = decode(InviteSignedUp, data)
        self._client._config.credentials.adopt(signed_up)
        return signed_up


class AuditResource(Resource):
    def list(self, workspace_id: str, *, action: str | None = None, actor: str | None = None,
             limit: int | None = None) -> Paginator[AuditEntry]:
        return self._paginate(path("workspaces", workspace_id, "audit"), AuditEntry,
                              action=action, actor=actor, limit=limit)
