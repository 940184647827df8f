"""Alerts by webhook: one HTTP POST of JSON per delivery.

Body by `format`:

* `json`: the alert's payload itself, i.e. the check result (`CheckResult.to_dict()`, changes
  filtered by the channel's rule) plus `delivery_id`, `article_name` and `tags`. A digest of
  several alerts is sent as `{"alerts": [payload, payload, ...]}` (oldest first), so a receiver
  tells the two apart by the top-level `"alerts"` key.
* `slack`: a Slack incoming-webhook message `{"text": ..., "blocks": [...]}` in mrkdwn.
* `discord`: a Discord webhook message `{"content": ..., "embeds": [...], "allowed_mentions": ...}`
  within Discord's length limits.

Headers: `Content-Type: application/json`, `X-Monitor-Delivery-Id` (the delivery ids, comma
separated: a receiver drops a delivery it has seen, as delivery is at least once) and, when the
channel names `secret_env`, `X-Monitor-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes
keyed with the secret>`. Verify it on the raw body before parsing, e.g.

    expected = "sha256=" + hmac.new(secret, request_body, hashlib.sha256).hexdigest()
    hmac.compare_digest(expected, request.headers["X-Monitor-Signature"])

Any answer outside 2xx (redirects are not followed), a timeout or a connection failure is a
`DeliveryError` with a short reason. The URL's path and query are never put in a message: Slack and
Discord webhook URLs carry their token there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from monitor.alerts import render
from monitor.config import WebhookChannel
from monitor.errors import DeliveryError
from monitor.models import Alert

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Monitor-Signature"
DELIVERY_HEADER = "X-Monitor-Delivery-Id"
USER_AGENT = "article-monitor/0.1 (alerts)"


def body_for(channel: WebhookChannel, alerts: Sequence[Alert]) -> Any:
    """The JSON document to post for `alerts` in the channel's format."""
    if channel.format == "json":
        return dict(alerts[0].payload) if len(alerts) == 1 else {"alerts": [dict(a.payload) for a in alerts]}
    if channel.format == "slack":
        return render.slack_payload(alerts)
    if channel.format == "discord":
        return render.discord_payload(alerts)
    raise DeliveryError(f"webhook channel {channel.name}: unknown format {channel.format!r}")


def sign(secret: str, body: bytes) -> str:
    """The `X-Monitor-Signature` value for `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def build_request(channel: WebhookChannel, alerts: Sequence[Alert], environ: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """The exact body bytes and the headers of the POST."""
    secret = None
    if channel.secret_env:
        secret = environ.get(channel.secret_env)
        if not secret:
            raise DeliveryError(
                f"environment variable {channel.secret_env} is not set (needed by webhook channel {channel.name})"
            )
    try:
        body = json.dumps(body_for(channel, alerts), ensure_ascii=False, default=str).encode("utf-8")
    except DeliveryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a payload that cannot be rendered: a reason, not a traceback
        raise DeliveryError(f"cannot build the webhook body: {type(exc).__name__}") from None
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: ", ".join(alert.delivery_id for alert in alerts),
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    return body, headers


def send_webhook(channel: WebhookChannel, alerts: Sequence[Alert], environ: Mapping[str, str]) -> None:
    """POST one message for `alerts`; DeliveryError with a short reason on any failure."""
    body, headers = build_request(channel, alerts, environ)
    where = _where(channel.url)
    try:
        with httpx.Client(timeout=channel.timeout, follow_redirects=False) as client:
            response = client.post(channel.url, content=body, headers=headers)
    except httpx.TimeoutException:
        raise DeliveryError(f"webhook timed out after {channel.timeout:g} s") from None
    except httpx.ConnectError as exc:
        raise DeliveryError(_connect_reason(str(exc), where)) from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise DeliveryError(f"webhook channel {channel.name}: invalid URL") from None
    except httpx.RemoteProtocolError:
        raise DeliveryError(f"webhook {where} closed the connection without an answer") from None
    except Exception as exc:  # noqa: BLE001 - anything else httpx or the socket layer raises: a reason, not a traceback
        raise DeliveryError(f"webhook {where} failed: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code} from webhook")
    log.info("webhook sent on channel %s to %s: HTTP %d", channel.name, where, response.status_code)


def _where(url: str) -> str:
    """`host:port` of a URL: enough to say where, without the token a webhook path may hold."""
    try:
        parsed = httpx.URL(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        return f"{parsed.host}:{port}"
    except Exception:  # noqa: BLE001 - an unparsable URL: name no place rather than fail here
        return "the webhook"


def _connect_reason(text: str, where: str) -> str:
    lowered = text.lower()
    if "refused" in lowered:
        return f"cannot connect to {where}: connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return f"cannot resolve {where.rpartition(':')[0]}"
    if "certificate" in lowered:
        return f"TLS certificate of {where} not trusted"
    if "ssl" in lowered or "tls" in lowered:
        return f"TLS error with {where}"
    if "unreachable" in lowered:
        return f"cannot connect to {where}: network unreachable"
    return f"cannot connect to {where}"
