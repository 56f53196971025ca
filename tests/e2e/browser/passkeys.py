"""Chromium's virtual WebAuthn authenticator (WebDriver `addVirtualAuthenticator`), for signing
in with a passkey without a person or a security key."""

from __future__ import annotations

from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions

from .session import BrowserSession


def add_passkey_authenticator(browser: BrowserSession) -> None:
    """A platform authenticator (CTAP2, internal transport) that stores resident keys (passkeys)
    and verifies its user every time. Lives as long as the browser session."""
    options = VirtualAuthenticatorOptions(
        protocol=VirtualAuthenticatorOptions.Protocol.CTAP2,
        transport=VirtualAuthenticatorOptions.Transport.INTERNAL,
        has_resident_key=True,
        has_user_verification=True,
        is_user_consenting=True,
        is_user_verified=True,
    )
    browser.driver.add_virtual_authenticator(options)


def stored_passkeys(browser: BrowserSession) -> list:
    """The credentials the virtual authenticator holds (each with rp_id, user handle, ...)."""
    return browser.driver.get_credentials()
