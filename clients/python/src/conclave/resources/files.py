"""Files (contract v1.1 "Files"): upload bytes to a workspace, attach them with
`messages.send(..., file_ids=[...])`, read their metadata and bytes, delete them."""

from __future__ import annotations

from ..models.messages import File
from ._base import Resource, path


class FilesResource(Resource):
    def upload(self, workspace_id: str, data: bytes, name: str, *,
               content_type: str = "application/octet-stream") -> File:
        """Uploads `data` (at most the server's CONCLAVE_MAX_FILE_BYTES, else a 413 error)."""
        return self._request("POST", path("workspaces", workspace_id, "files"), params={"name": name}, content=data,
                             headers={"Content-Type": content_type}, cast=File)

    def get(self, file_id: str) -> File:
        return self._request("GET", path("files", file_id), cast=File)

    def download(self, file_id: str) -> bytes:
        """The file's bytes."""
        return self._request("GET", path("files", file_id, "content"), cast=bytes)

    def delete(self, file_id: str) -> None:
        return self._request("DELETE", path("files", file_id))
