"""Agents and their API keys."""

from __future__ import annotations

from typing import Iterable

from .._pagination import Paginator
from ..models.agents import Agent, APIKey, APIKeyCreated
from ._base import Resource, body, path


class AgentsResource(Resource):
    def create(self, workspace_id: str, name: str, *, description: str | None = None) -> Agent:
        return self._request("POST", path("workspaces", workspace_id, "agents"),
                             json=body(name=name, description=description), cast=Agent)

    def list(self, workspace_id: str, *, limit: int | None = None) -> Paginator[Agent]:
        return self._paginate(path("workspaces", workspace_id, "agents"), Agent, limit=limit)

    def get(self, workspace_id: str, agent_id: str) -> Agent:
        return self._request("GET", path("workspaces", workspace_id, "agents", agent_id), cast=Agent)

    def update(self, workspace_id: str, agent_id: str, *, name: str | None = None, description: str | None = None,
               status: str | None = None, handle: str | None = None) -> Agent:
        return self._request("PATCH", path("workspaces", workspace_id, "agents", agent_id),
                             json=body(name=name, description=description, status=status, handle=handle), cast=Agent)

    def pause(self, workspace_id: str, agent_id: str) -> Agent:
        return self.update(workspace_id, agent_id, status="paused")

    def resume(self, workspace_id: str, agent_id: str) -> Agent:
        return self.update(workspace_id, agent_id, status="active")

    def delete(self, workspace_id: str, agent_id: str) -> None:
        return self._request("DELETE", path("workspaces", workspace_id, "agents", agent_id))


class KeysResource(Resource):
    def create(self, workspace_id: str, agent_id: str, scopes: Iterable[str], *, name: str | None = None,
               expires_at: str | None = None, allowed_cidrs: Iterable[str] | None = None) -> APIKeyCreated:
        """A new key; its secret (`.key`) is in this answer only."""
        return self._request("POST", path("workspaces", workspace_id, "agents", agent_id, "keys"),
                             json=body(name=name, scopes=list(scopes), expires_at=expires_at,
                                       allowed_cidrs=list(allowed_cidrs) if allowed_cidrs is not None else None),
                             cast=APIKeyCreated)

    def list(self, workspace_id: str, agent_id: str, *, limit: int | None = None) -> Paginator[APIKey]:
        return self._paginate(path("workspaces", workspace_id, "agents", agent_id, "keys"), APIKey, limit=limit)

    def revoke(self, workspace_id: str, agent_id: str, key_id: str) -> None:
        return self._request("DELETE", path("workspaces", workspace_id, "agents", agent_id, "keys", key_id))
