"""Auto-paginating lists: `{"data": [...], "next_cursor"}` pages followed with `?cursor=`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Generic, Iterator, TypeVar

from .models._base import decode

if TYPE_CHECKING:
    from ._client import ClientBase

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    data: list[T]
    next_cursor: str | None


class Paginator(Generic[T]):
    """Every item of a list, page after page: `for item in client.channels.list(ws)` (sync) or
    `async for item in ...` (async). `.pages()` / `.apages()` give whole pages; `.first_page()` one.
    Nothing is fetched until iteration starts; each page is one request (with retries)."""

    def __init__(self, client: "ClientBase", path: str, params: dict[str, Any], item_type: type[T]) -> None:
        self._client = client
        self._path = path
        self._params = {k: v for k, v in params.items() if v is not None}
        self._item_type = item_type

    def _page_plan(self, cursor: str | None):
        params = dict(self._params)
        if cursor:
            params["cursor"] = cursor
        return self._client._planner.plan("GET", self._path, params=params, cast=self._decode_page)

    def _decode_page(self, data: dict[str, Any]) -> Page[T]:
        items = [decode(self._item_type, item) for item in data.get("data") or []]
        return Page(data=items, next_cursor=data.get("next_cursor") or None)

    # -- sync -----------------------------------------------------------------------------

    def pages(self) -> Iterator[Page[T]]:
        self._require(sync=True)
        cursor: str | None = None
        while True:
            page = self._client._run(self._page_plan(cursor))
            yield page
            if not page.next_cursor or not page.data:
                return
            cursor = page.next_cursor

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data

    def first_page(self) -> Any:
        """The first page only (a `Page`, or an awaitable of one on the async client)."""
        return self._client._run(self._page_plan(None))

    # -- async ----------------------------------------------------------------------------

    async def apages(self) -> AsyncIterator[Page[T]]:
        self._require(sync=False)
        cursor: str | None = None
        while True:
            page = await self._client._run(self._page_plan(cursor))
            yield page
            if not page.next_cursor or not page.data:
                return
            cursor = page.next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.apages():
            for item in page.data:
                yield item

    def _require(self, *, sync: bool) -> None:
        if self._client.is_async == sync:
            raise TypeError("use `async for` with AsyncConclave and `for` with Conclave")
