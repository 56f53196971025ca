"""`conclave.webhooks.verify` against an independent Standard Webhooks implementation: deliveries
signed by the PyPI `standardwebhooks` package verify, anything altered does not, and ours verify
there too."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets

import pytest
from standardwebhooks.webhooks import Webhook

from conclave import WebhookVerificationError, webhooks
from conclave.models import Message
from conftest import make_channel

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def delivery(client, ws):
    """A delivery as the contract shapes it, around a real message of the server."""
    message = client.messages.send(make_channel(client, ws).id, "hook me")
    data = dict(message.to_dict(), occurred_at=NOW.isoformat().replace("+00:00", "Z"), cursor="c1.abc")
    body = json.dumps({"type": "message.created", "timestamp": data["occurred_at"], "data": data}).encode()
    return message, body


def signed(secret: str, body: bytes, msg_id: str = "msg_2Kd9", when: dt.datetime = NOW) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, when, body)}


def test_a_delivery_signed_by_standardwebhooks_verifies_and_is_typed(delivery):
    message, body = delivery
    secret = new_secret()
    payload = webhooks.verify(body, signed(secret, body), secret)
    assert payload.id == "msg_2Kd9" and payload.type == "message.created" and payload.timestamp == NOW
    assert isinstance(payload.data, Message) and payload.data.id == message.id and payload.data.text == "hook me"
    assert payload.data.extra["cursor"] == "c1.abc"
    # header names are case-insensitive; an unpadded secret is the same secret
    upper = {k.title(): v for k, v in signed(secret, body).items()}
    assert webhooks.verify(body, upper, secret.rstrip("=")).id == "msg_2Kd9"


def test_rotation_several_signatures_and_several_secrets(delivery):
    _, body = delivery
    old, new = new_secret(), new_secret()
    headers = signed(new, body)
    headers["webhook-signature"] = f"{signed(old, body)['webhook-signature']} v2,ignored {headers['webhook-signature']}"
    assert webhooks.verify(body, headers, new).type == "message.created"
    assert webhooks.verify(body, headers, old).type == "message.created"
    assert webhooks.verify(body, signed(old, body), [new, old]).type == "message.created"


@pytest.mark.parametrize("change", ["body", "secret", "id", "timestamp", "old", "future", "missing", "v2 only"])
def test_anything_altered_is_refused(delivery, change):
    _, body = delivery
    secret = new_secret()
    headers = signed(secret, body)
    if change == "body":
        body = body.replace(b"hook me", b"hook ME")
    elif change == "secret":
        secret = new_secret()
    elif change == "id":
        headers["webhook-id"] = "msg_other"
    elif change == "timestamp":
        headers["webhook-timestamp"] = str(int(NOW.timestamp()) + 1)
    elif change == "old":
        # from the clock now, not NOW: the module may have been imported minutes ago
        headers = signed(secret, body, when=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=6))
    elif change == "future":
        headers = signed(secret, body, when=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6))
    elif change == "missing":
        del headers["webhook-signature"]
    elif change == "v2 only":
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(body, headers, secret)


def test_our_signature_verifies_with_standardwebhooks(delivery):
    _, body = delivery
    secret = new_secret()
    stamp = int(NOW.timestamp())
    headers = {"webhook-id": "msg_x1", "webhook-timestamp": str(stamp),
               "webhook-signature": webhooks.signature(secret, "msg_x1", stamp, body)}
    assert Webhook(secret).verify(body, headers)["type"] == "message.created"
