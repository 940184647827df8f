"""The alert outbox: which channels an event goes to, and the loop that delivers what is due.

An alert is written to the store in the same transaction as the check that raised it, so a
process killed at any moment loses none. The loop sends due alerts, marks them delivered, and
retries failures with exponential back-off until `give_up_after`. Delivery is at least once: a
crash between sending and marking repeats the send with the same `delivery_id`, which receivers
use to drop the duplicate. A digest channel's alerts fall due together when its window closes and
go out as one message.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.config import Channel, ChannelRule, DeliverySettings
from monitor.errors import DeliveryError
from monitor.models import SEVERITY, Alert, Change, CheckResult, WatchedArticle
from monitor.store import Store, iso

_SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}

Sender = Callable[[Channel, Sequence[Alert], Mapping[str, str]], None]


@dataclass(frozen=True)
class DeliveryOutcome:
    """One message sent (or not) on one channel."""

    channel: str
    delivery_ids: tuple[str, ...]
    error: str | None = None


def alerts_for(result: CheckResult, article: WatchedArticle, channels: Sequence[Channel], now: datetime) -> list[Alert]:
    """The alerts a check result raises, one per matching channel, ready for the outbox."""
    alerts = []
    for channel in channels:
        changes = _matching(result, article, channel.rule)
        if changes is None:
            continue
        payload = {
            **result.to_dict(),
            "changes": [change.to_dict() for change in changes],
            "article_name": article.name,
            "tags": list(article.tags),
        }
        delivery_id = _delivery_id(article.id, result, channel.name, now)
        payload["delivery_id"] = delivery_id
        due = now + timedelta(seconds=channel.rule.digest_seconds or 0)
        alerts.append(Alert(delivery_id, channel.name, article.id, iso(now), payload, next_attempt_at=iso(due)))
    return alerts


def _matching(result: CheckResult, article: WatchedArticle, rule: ChannelRule) -> list[Change] | None:
    """The changes `rule` passes on, [] for a gone event it wants, None when it wants nothing."""
    if rule.tags and not set(rule.tags) & set(article.tags):
        return None
    if result.status == "gone":
        return [] if rule.gone and not article.gone else None
    if result.status != "changed" or result.suspect:
        return None
    floor = _SEVERITY_RANK[rule.min_severity]
    changes = [c for c in result.changes if c.kind in rule.kinds and _SEVERITY_RANK[SEVERITY[c.kind]] >= floor]
    return changes or None


def _delivery_id(article_id: str, result: CheckResult, channel: str, now: datetime) -> str:
    event = f"{article_id}|{result.status}|{result.version}|{iso(now)}|{channel}"
    return hashlib.sha256(event.encode("utf-8")).hexdigest()[:24]


def deliver_due(
    store: Store,
    channels: Sequence[Channel],
    now: datetime,
    *,
    policy: DeliverySettings = DeliverySettings(),
    send: Sender | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[DeliveryOutcome]:
    """Send every due alert (digest channels as one message each), record each outcome."""
    from monitor.alerts import send as send_on_channel  # the channels load smtplib and httpx only when used

    send = send or send_on_channel
    by_name = {channel.name: channel for channel in channels}
    batches: dict[str, list[Alert]] = {}
    for alert in store.due_alerts(iso(now)):
        batches.setdefault(alert.channel, []).append(alert)
    outcomes = []
    for name, alerts in batches.items():
        channel = by_name.get(name)
        if channel is None:
            ids = [a.delivery_id for a in alerts]
            store.mark_attempt_failed(ids, f"channel {name!r} is no longer configured", None)
            outcomes.append(DeliveryOutcome(name, tuple(ids), f"channel {name!r} is no longer configured"))
            continue
        messages = [alerts] if channel.rule.digest_seconds else [[alert] for alert in alerts]
        outcomes.extend(_deliver(store, channel, batch, now, policy, send, environ) for batch in messages)
    return outcomes


def _deliver(
    store: Store,
    channel: Channel,
    batch: list[Alert],
    now: datetime,
    policy: DeliverySettings,
    send: Sender,
    environ: Mapping[str, str],
) -> DeliveryOutcome:
    ids = [alert.delivery_id for alert in batch]
    try:
        send(channel, batch, environ)
    except DeliveryError as exc:
        store.mark_attempt_failed(ids, str(exc), _retry_at(batch, now, policy))
        return DeliveryOutcome(channel.name, tuple(ids), str(exc))
    store.mark_delivered(ids)
    return DeliveryOutcome(channel.name, tuple(ids))


def _retry_at(batch: list[Alert], now: datetime, policy: DeliverySettings) -> str | None:
    oldest = min(datetime.fromisoformat(alert.created_at) for alert in batch)
    if (now - oldest).total_seconds() > policy.give_up_after:
        return None
    attempts = max(alert.attempts for alert in batch)
    delay = min(policy.retry_base * 2**attempts, policy.retry_max)
    return iso(now + timedelta(seconds=delay))


