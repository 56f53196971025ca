"""Signing in with a password (and a second factor), refreshing, signing out, sessions."""

from __future__ import annotations

from typing import Any

from .._pagination import Paginator
from ..models._base import decode
from ..models.identity import MfaRequired, Session, TokenPair
from ._base import Resource, path


class AuthResource(Resource):
    def login(self, email: str, password: str) -> TokenPair | MfaRequired:
        """Signs in; on success the client uses the new tokens from then on (and refreshes them
        when they expire). With a second factor enabled, returns `MfaRequired`: finish with
        `complete_mfa`."""
        return self._request("POST", path("auth", "login"), json={"email": email, "password": password},
                             cast=self._adopt, authenticated=False)

    def complete_mfa(self, mfa_token: str, code: str) -> TokenPair:
        return self._request("POST", path("auth", "mfa"), json={"mfa_token": mfa_token, "code": code},
                             cast=self._adopt, authenticated=False)

    def refresh(self) -> TokenPair:
        """A new token pair for the session (the old refresh token stops working)."""
        token = self._client._config.credentials.refresh_token
        return self._request("POST", path("auth", "refresh"), json={"refresh_token": token},
                             cast=self._adopt, authenticated=False)

    def logout(self) -> None:
        return self._request("POST", path("auth", "logout"))

    def change_password(self, current_password: str, new_password: str) -> Any:
        """Revokes every other session; returns `{"sessions_revoked": n}`."""
        return self._request("POST", path("auth", "password"),
                             json={"current_password": current_password, "new_password": new_password})

    def _adopt(self, data: dict[str, Any]) -> TokenPair | MfaRequired:
        if data.get("mfa_required"):
            return decode(MfaRequired, data)
        pair = decode(TokenPair, data)
        self._client._config.credentials.adopt(pair)
        return pair


class SessionsResource(Resource):
    def list(self) -> Paginator[Session]:
        return self._paginate(path("auth", "sessions"), Session)

    def revoke(self, session_id: str) -> None:
        return self._request("DELETE", path("auth", "sessions", session_id))
