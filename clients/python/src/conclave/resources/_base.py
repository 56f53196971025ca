"""What every resource shares: the client it calls through and path building.

Each resource method is written once: on `Conclave` it returns the result, on `AsyncConclave`
the same call returns an awaitable of it (the client decides how to carry the request out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .._core import API
from .._pagination import Paginator

if TYPE_CHECKING:
    from .._client import ClientBase


def path(*segments: str) -> str:
    """`/api/v1/` + the segments, each one percent-encoded (ids can never change the path)."""
    return API + "".join("/" + quote(str(s), safe="") for s in segments)


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body of the fields that were given (None = leave out)."""
    return {k: v for k, v in fields.items() if v is not None}


class Resource:
    def __init__(self, client: "ClientBase") -> None:
        self._client = client

    def _request(self, method: str, route: str, **kwargs: Any) -> Any:
        return self._client._request(method, route, **kwargs)

    def _paginate(self, route: str, item_type: type, **params: Any) -> Paginator:
        return Paginator(self._client, route, params, item_type)
