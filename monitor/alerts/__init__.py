"""Alert channels: one message per call, by email (SMTP) or webhook (HTTP POST).

    send(channel, alerts)    deliver `alerts` (one event, or several batched as a digest) as ONE
                             message on `channel`; `DeliveryError` with a short reason on failure
    send_test(channel)       a clearly labelled test message, for `monitor alerts test`

Both are synchronous (smtplib, `httpx.Client`): the delivery loop calls them from a worker thread.
Secrets (SMTP password, webhook HMAC secret) are read from the environment variables the channel
names, through the `environ` mapping given, and never appear in a log line or an error message.
`monitor.alerts.render` turns alerts into subjects, bodies and chat payloads.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from monitor.config import Channel, EmailChannel, WebhookChannel
from monitor.errors import DeliveryError
from monitor.models import Alert

__all__ = ["DeliveryError", "send", "send_test", "test_alert"]


def send(channel: Channel, alerts: Sequence[Alert], environ: Mapping[str, str] = os.environ) -> None:
    """Deliver `alerts` as one message on `channel`; DeliveryError on failure.

    `alerts` must not be empty (ValueError: a caller's bug, not a delivery failure).
    """
    alerts = list(alerts)
    if not alerts:
        raise ValueError("send() needs at least one alert")
    if isinstance(channel, EmailChannel):
        from monitor.alerts.email import send_email

        send_email(channel, alerts, environ)
    elif isinstance(channel, WebhookChannel):
        from monitor.alerts.webhook import send_webhook

        send_webhook(channel, alerts, environ)
    else:
        raise TypeError(f"not an alert channel: {channel!r}")


def send_test(channel: Channel, environ: Mapping[str, str] = os.environ) -> None:
    """Send a clearly labelled test message (for `monitor alerts test`)."""
    send(channel, [test_alert(channel.name)], environ)


def test_alert(channel_name: str) -> Alert:
    """A synthetic alert with status "test" and one sample headline change, so that a receiver sees
    the shape of a real payload; its subject and first line say it is a test."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    delivery_id = f"test-{uuid.uuid4().hex}"
    payload = {
        "url": "https://example.com/article-monitor-test",
        "article_id": "test",
        "status": "test",
        "version": None,
        "previous_version": None,
        "changes": [
            {
                "kind": "headline",
                "action": "changed",
                "before": "Sample headline as first published",
                "after": "Sample headline as edited later",
                "context": "Sample headline as edited later",
                "severity": "high",
            }
        ],
        "error": None,
        "http_status": None,
        "final_url": None,
        "summary": "test message: no article changed",
        "stealth": False,
        "suspect": None,
        "headline_test": None,
        "delivery_id": delivery_id,
        "article_name": "article-monitor test message",
        "tags": [],
        "test": True,
    }
    return Alert(delivery_id=delivery_id, channel=channel_name, article_id="test", created_at=now, payload=payload)


test_alert.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported by tests
