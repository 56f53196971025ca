"""Webhook endpoints (contract v1 "Webhooks" and v1.1 additions).
To check a delivery's signature see `conclave.webhooks.verify`."""

from __future__ import annotations

from typing import Iterable

from .._pagination import Paginator
from ..models.webhooks import Webhook, WebhookCreated, WebhookDelivery
from ._base import Resource, body, path


class WebhooksResource(Resource):
    def create(self, workspace_id: str, url: str, events: Iterable[str], *, channel_ids: Iterable[str] | None = None,
               mentions_only: bool | None = None, agent_id: str | None = None) -> WebhookCreated:
        """A new endpoint; its signing secret (`whsec_…`) is in this answer only."""
        return self._request("POST", path("workspaces", workspace_id, "webhooks"), cast=WebhookCreated,
                             json=body(url=url, events=list(events), mentions_only=mentions_only, agent_id=agent_id,
                                       channel_ids=list(channel_ids) if channel_ids is not None else None))

    def list(self, workspace_id: str, *, limit: int | None = None) -> Paginator[Webhook]:
        return self._paginate(path("workspaces", workspace_id, "webhooks"), Webhook, limit=limit)

    def get(self, workspace_id: str, webhook_id: str) -> Webhook:
        return self._request("GET", path("workspaces", workspace_id, "webhooks", webhook_id), cast=Webhook)

    def update(self, workspace_id: str, webhook_id: str, *, url: str | None = None, events: Iterable[str] | None = None,
               channel_ids: Iterable[str] | None = None, mentions_only: bool | None = None,
               disabled: bool | None = None) -> Webhook:
        """Changes what is given; `disabled=False` re-enables an endpoint a 410 disabled."""
        return self._request("PATCH", path("workspaces", workspace_id, "webhooks", webhook_id), cast=Webhook,
                             json=body(url=url, events=list(events) if events is not None else None,
                                       channel_ids=list(channel_ids) if channel_ids is not None else None,
                                       mentions_only=mentions_only, disabled=disabled))

    def rotate_secret(self, workspace_id: str, webhook_id: str) -> WebhookCreated:
        """A new secret (in this answer only); the old one keeps signing, as a second signature, for 24 h."""
        return self._request("POST", path("workspaces", workspace_id, "webhooks", webhook_id, "rotate-secret"),
                             cast=WebhookCreated)

    def delete(self, workspace_id: str, webhook_id: str) -> None:
        return self._request("DELETE", path("workspaces", workspace_id, "webhooks", webhook_id))

    def deliveries(self, workspace_id: str, webhook_id: str, *, status: str | None = None,
                   limit: int | None = None) -> Paginator[WebhookDelivery]:
        return self._paginate(path("workspaces", workspace_id, "webhooks", webhook_id, "deliveries"),
                              WebhookDelivery, status=status, limit=limit)

    def replay(self, workspace_id: str, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        return self._request("POST", path("workspaces", workspace_id, "webhooks", webhook_id, "deliveries",
                                          delivery_id, "replay"), cast=WebhookDelivery)

    def test(self, workspace_id: str, webhook_id: str) -> WebhookDelivery:
        """Sends a `webhook.test` delivery."""
        return self._request("POST", path("workspaces", workspace_id, "webhooks", webhook_id, "test"),
                             cast=WebhookDelivery)
