"""Configuration: TOML files over built-in defaults, validated on load.

The file is found by `--config PATH`, then `$MONITOR_CONFIG`, then `./config/monitor.toml`; with
none of them the built-in defaults apply. Relative paths in a file are relative to that file's
folder. Every unknown key and bad value is a `ConfigError` naming the file, the key path and the
value, so a typo never passes silently.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError, MonitorError
from monitor.models import CHANGE_KINDS, SiteRule

DEFAULT_CONFIG = Path("config") / "monitor.toml"
DEFAULT_DATA_DIR = Path("snapshots")
DEFAULT_SITES_DIR = Path("config") / "sites"

_INTERVAL_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class HttpSettings:
    """How pages are fetched; every value is checked when the config is loaded."""

    user_agent: str = "article-monitor/0.1 (+https://github.com/article-monitor)"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_bytes: int = 5_000_000
    concurrency: int = 8
    per_host_concurrency: int = 2
    retries: int = 1
    per_host_delay: float = 0.0
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class ArticleEntry:
    """An article the config file asks to watch."""

    url: str
    name: str | None = None
    interval_seconds: int | None = None
    tags: tuple[str, ...] = ()


SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class ScheduleSettings:
    """When `monitor run` checks each article.

    By default an article is checked more often while it is young and after it changed: `tiers`
    pairs an age limit with the interval used below it (seconds); older articles use
    `final_interval`. An article with its own interval (config or `add --interval`) keeps it.
    """

    tiers: tuple[tuple[int, int], ...] = ((3 * 3600, 900), (86400, 3600), (7 * 86400, 3 * 3600), (30 * 86400, 86400))
    final_interval: int = 7 * 86400
    after_change: int = 900
    recent_change: int = 3 * 3600
    jitter: float = 0.1
    restart_spread: int = 300
    gone_after: int = 3
    max_backoff: int = 86400
    sync_interval: int = 30


@dataclass(frozen=True)
class DeliverySettings:
    """How the daemon delivers alerts: how often it looks for due ones, and how it retries failures
    (retry_base * 2**attempts, capped at retry_max, until an alert is give_up_after old)."""

    interval: int = 5
    retry_base: int = 30
    retry_max: int = 600
    give_up_after: int = 7 * 86400


@dataclass(frozen=True)
class ChannelRule:
    """Which events a channel receives: change kinds, a minimum severity, article tags, gone events,
    and an optional digest window that batches everything due in it into one message."""

    kinds: tuple[str, ...] = CHANGE_KINDS
    min_severity: str = "low"
    tags: tuple[str, ...] = ()
    gone: bool = True
    digest_seconds: int | None = None


@dataclass(frozen=True)
class EmailChannel:
    """An SMTP channel; the user name and password are read from the environment variables named."""

    name: str
    rule: ChannelRule
    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    security: str = "starttls"  # "starttls", "tls" (implicit TLS) or "plain"
    username_env: str | None = None
    password_env: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class WebhookChannel:
    """An HTTP POST channel; `secret_env` names the environment variable holding the HMAC secret."""

    name: str
    rule: ChannelRule
    url: str
    format: str = "json"  # "json", "slack" or "discord"
    secret_env: str | None = None
    timeout: float = 10.0


Channel = EmailChannel | WebhookChannel


@dataclass(frozen=True)
class Config:
    """Everything the monitor reads from its configuration."""

    path: Path | None = None
    data_dir: Path = DEFAULT_DATA_DIR
    http: HttpSettings = field(default_factory=HttpSettings)
    articles: tuple[ArticleEntry, ...] = ()
    site_rules: tuple[SiteRule, ...] = ()
    channels: tuple[Channel, ...] = ()
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)


def parse_interval(text: str) -> int:
    """Seconds in an interval such as "90s", "15m", "1h30m", "2d" or "1w"; ValueError otherwise."""
    compact = text.strip().lower()
    parts = _INTERVAL_PART.findall(compact)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != compact.replace(" ", ""):
        raise ValueError(f"not an interval: {text!r} (expected e.g. 15m, 1h, 1h30m, 2d)")
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f"interval must be positive: {text!r}")
    return seconds


def find_config_path(explicit: str | None, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The config file to read: explicit path, then $MONITOR_CONFIG, then ./config/monitor.toml."""
    if explicit:
        return Path(explicit)
    if environ.get("MONITOR_CONFIG"):
        return Path(environ["MONITOR_CONFIG"])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_config(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Load and validate the configuration; built-in defaults when no file is found."""
    path = find_config_path(explicit, environ)
    if path is None:
        sites_dir = DEFAULT_SITES_DIR
        return Config(site_rules=load_site_rules(sites_dir) if sites_dir.is_dir() else ())
    data = _read_toml(path)
    return _build_config(path, data)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


class _Checker:
    """Reads typed values out of a TOML table, naming file and key path in every error."""

    def __init__(self, path: Path, table: Mapping[str, Any], prefix: str = "") -> None:
        self.path = path
        self.table = table
        self.prefix = prefix

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {self.prefix}{key}: {message}")

    def reject_unknown(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                raise ConfigError(f"{self.path}: unknown key {self.prefix}{key}")

    def child(self, key: str) -> _Checker:
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {value!r}")
        return _Checker(self.path, value, f"{self.prefix}{key}.")

    def get(self, key: str, kind: type, default: Any, check: Callable[[Any], bool] | None = None, hint: str = "") -> Any:
        if key not in self.table:
            return default
        value = self.table[key]
        ok_type = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok_type = float(value), True
        if not ok_type or (check is not None and not check(value)):
            expected = hint or f"a {kind.__name__}"
            raise self.fail(key, f"expected {expected}, got {value!r}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise self.fail(key, f"expected a list of non-empty strings, got {value!r}")
        return tuple(item.strip() for item in value)

    def interval(self, key: str) -> int | None:
        if key not in self.table:
            return None
        value = self.table[key]
        problem = self.fail(key, f"expected an interval such as \"15m\" or \"2h\", got {value!r}")
        if not isinstance(value, str):
            raise problem
        try:
            return parse_interval(value)
        except ValueError:
            raise problem from None


def _build_config(path: Path, data: dict[str, Any]) -> Config:
    top = _Checker(path, data)
    top.reject_unknown({"data_dir", "sites_dir", "http", "articles", "alerts", "schedule", "delivery"})
    base = path.parent
    data_dir = base / top.get("data_dir", str, str(Path("..") / DEFAULT_DATA_DIR), lambda v: bool(v.strip()), "a folder path")
    sites_dir = base / top.get("sites_dir", str, "sites", lambda v: bool(v.strip()), "a folder path")
    articles = _build_articles(path, data.get("articles", []))
    site_rules = load_site_rules(sites_dir) if sites_dir.is_dir() else ()
    return Config(
        path=path,
        data_dir=data_dir,
        http=_build_http(top.child("http")),
        articles=articles,
        site_rules=site_rules,
        channels=_build_channels(path, data.get("alerts", [])),
        schedule=_build_schedule(top.child("schedule")),
        delivery=_build_delivery(top.child("delivery")),
    )


def _build_delivery(table: _Checker) -> DeliverySettings:
    defaults = DeliverySettings()
    table.reject_unknown({"interval", "retry_base", "retry_max", "give_up_after"})
    return DeliverySettings(
        interval=table.interval("interval") or defaults.interval,
        retry_base=table.interval("retry_base") or defaults.retry_base,
        retry_max=table.interval("retry_max") or defaults.retry_max,
        give_up_after=table.interval("give_up_after") or defaults.give_up_after,
    )


def _build_schedule(table: _Checker) -> ScheduleSettings:
    defaults = ScheduleSettings()
    table.reject_unknown(
        {"tiers", "final_interval", "after_change", "recent_change", "jitter", "restart_spread", "gone_after", "max_backoff", "sync_interval"}
    )
    return ScheduleSettings(
        tiers=_tiers(table) if "tiers" in table.table else defaults.tiers,
        final_interval=table.interval("final_interval") or defaults.final_interval,
        after_change=table.interval("after_change") or defaults.after_change,
        recent_change=table.interval("recent_change") or defaults.recent_change,
        jitter=table.get("jitter", float, defaults.jitter, lambda v: 0 <= v <= 0.5, "a fraction from 0 to 0.5"),
        restart_spread=table.interval("restart_spread") or defaults.restart_spread,
        gone_after=table.get("gone_after", int, defaults.gone_after, lambda v: v >= 1, "a positive integer"),
        max_backoff=table.interval("max_backoff") or defaults.max_backoff,
        sync_interval=table.interval("sync_interval") or defaults.sync_interval,
    )


def _tiers(table: _Checker) -> tuple[tuple[int, int], ...]:
    value = table.table["tiers"]
    problem = table.fail("tiers", f"expected a list of [age, interval] pairs such as [[\"3h\", \"15m\"]], got {value!r}")
    if not isinstance(value, list) or not value:
        raise problem
    tiers = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair)):
            raise problem
        try:
            tiers.append((parse_interval(pair[0]), parse_interval(pair[1])))
        except ValueError:
            raise problem from None
    if [age for age, _ in tiers] != sorted({age for age, _ in tiers}):
        raise table.fail("tiers", f"ages must increase, got {value!r}")
    return tuple(tiers)


def _build_channels(path: Path, entries: Any) -> tuple[Channel, ...]:
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: alerts: expected an array of tables ([[alerts]]), got {entries!r}")
    channels: list[Channel] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: alerts[{index}]: expected a table, got {entry!r}")
        table = _Checker(path, entry, f"alerts[{index}].")
        kind = table.get("type", str, None, lambda v: v in ("email", "webhook"), 'one of "email", "webhook"')
        if kind is None:
            raise table.fail("type", 'missing (expected "email" or "webhook")')
        name = table.get("name", str, f"{kind}-{index + 1}", lambda v: bool(v.strip()), "a non-empty string")
        if any(channel.name == name for channel in channels):
            raise table.fail("name", f"duplicate channel name {name!r}")
        rule = _channel_rule(table)
        channels.append(_email_channel(table, name, rule) if kind == "email" else _webhook_channel(table, name, rule))
    return tuple(channels)


_RULE_KEYS = {"type", "name", "kinds", "min_severity", "tags", "gone", "digest"}


def _channel_rule(table: _Checker) -> ChannelRule:
    kinds = table.strings("kinds") or CHANGE_KINDS
    unknown = [kind for kind in kinds if kind not in CHANGE_KINDS]
    if unknown:
        raise table.fail("kinds", f"unknown kind {unknown[0]!r} (known: {', '.join(CHANGE_KINDS)})")
    return ChannelRule(
        kinds=kinds,
        min_severity=table.get("min_severity", str, "low", lambda v: v in SEVERITIES, 'one of "low", "medium", "high"'),
        tags=table.strings("tags"),
        gone=table.get("gone", bool, True),
        digest_seconds=table.interval("digest"),
    )


def _email_channel(table: _Checker, name: str, rule: ChannelRule) -> EmailChannel:
    table.reject_unknown(_RULE_KEYS | {"smtp_host", "smtp_port", "security", "username_env", "password_env", "from", "to", "timeout"})
    for required in ("smtp_host", "from", "to"):
        if required not in table.table:
            raise table.fail(required, "missing")
    recipients = table.strings("to")
    if not recipients:
        raise table.fail("to", "expected at least one address")
    if ("username_env" in table.table) != ("password_env" in table.table):
        raise table.fail("password_env" if "username_env" in table.table else "username_env", "set both username_env and password_env, or neither")
    return EmailChannel(
        name=name,
        rule=rule,
        host=table.get("smtp_host", str, "", lambda v: bool(v.strip()), "a host name"),
        sender=table.get("from", str, "", lambda v: "@" in v, "an email address"),
        recipients=recipients,
        port=table.get("smtp_port", int, 587, lambda v: 1 <= v <= 65535, "a port from 1 to 65535"),
        security=table.get("security", str, "starttls", lambda v: v in ("starttls", "tls", "plain"), 'one of "starttls", "tls", "plain"'),
        username_env=table.get("username_env", str, None, _env_name, "an environment variable name"),
        password_env=table.get("password_env", str, None, _env_name, "an environment variable name"),
        timeout=table.get("timeout", float, 30.0, lambda v: v > 0, "a positive number of seconds"),
    )


def _webhook_channel(table: _Checker, name: str, rule: ChannelRule) -> WebhookChannel:
    from monitor.fetch import validate_url  # fetch imports this module's settings

    table.reject_unknown(_RULE_KEYS | {"url", "format", "secret_env", "timeout"})
    if "url" not in table.table:
        raise table.fail("url", "missing")
    try:
        url = validate_url(table.get("url", str, ""))
    except MonitorError as exc:
        raise table.fail("url", str(exc)) from None
    return WebhookChannel(
        name=name,
        rule=rule,
        url=url,
        format=table.get("format", str, "json", lambda v: v in ("json", "slack", "discord"), 'one of "json", "slack", "discord"'),
        secret_env=table.get("secret_env", str, None, _env_name, "an environment variable name"),
        timeout=table.get("timeout", float, 10.0, lambda v: v > 0, "a positive number of seconds"),
    )


def _env_name(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) is not None


def _build_http(table: _Checker) -> HttpSettings:
    defaults = HttpSettings()
    table.reject_unknown({f.name for f in fields(HttpSettings)})
    positive = lambda v: v > 0  # noqa: E731 - a one-line predicate reads best inline
    return HttpSettings(
        user_agent=table.get("user_agent", str, defaults.user_agent, lambda v: bool(v.strip()), "a non-empty string"),
        connect_timeout=table.get("connect_timeout", float, defaults.connect_timeout, positive, "a positive number of seconds"),
        read_timeout=table.get("read_timeout", float, defaults.read_timeout, positive, "a positive number of seconds"),
        max_bytes=table.get("max_bytes", int, defaults.max_bytes, positive, "a positive number of bytes"),
        concurrency=table.get("concurrency", int, defaults.concurrency, lambda v: 1 <= v <= 256, "an integer from 1 to 256"),
        per_host_concurrency=table.get(
            "per_host_concurrency", int, defaults.per_host_concurrency, lambda v: 1 <= v <= 64, "an integer from 1 to 64"
        ),
        retries=table.get("retries", int, defaults.retries, lambda v: 0 <= v <= 10, "an integer from 0 to 10"),
        per_host_delay=table.get("per_host_delay", float, defaults.per_host_delay, lambda v: 0 <= v <= 600, "seconds from 0 to 600"),
        allow_private_addresses=table.get("allow_private_addresses", bool, defaults.allow_private_addresses),
    )


def _build_articles(path: Path, entries: Any) -> tuple[ArticleEntry, ...]:
    from monitor.fetch import validate_url  # fetch imports this module's settings

    if not isinstance(entries, list):
        raise ConfigError(f"{path}: articles: expected an array of tables ([[articles]]), got {entries!r}")
    built = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: articles[{index}]: expected a table, got {entry!r}")
        table = _Checker(path, entry, f"articles[{index}].")
        table.reject_unknown({"url", "name", "interval", "tags"})
        if "url" not in entry:
            raise table.fail("url", "missing")
        try:
            url = validate_url(table.get("url", str, ""))
        except MonitorError as exc:  # validate_url's UsageError, re-worded as a config error
            raise table.fail("url", str(exc)) from None
        built.append(
            ArticleEntry(
                url=url,
                name=table.get("name", str, None),
                interval_seconds=table.interval("interval"),
                tags=table.strings("tags"),
            )
        )
    return tuple(built)


def load_site_rules(folder: Path) -> tuple[SiteRule, ...]:
    """Every `*.toml` site rule in `folder`, sorted by file name, each validated."""
    return tuple(_build_site_rule(path, _read_toml(path)) for path in sorted(folder.glob("*.toml")))


def _build_site_rule(path: Path, data: dict[str, Any]) -> SiteRule:
    table = _Checker(path, data)
    table.reject_unknown({"hosts", "headline", "standfirst", "byline", "body", "drop"})
    hosts = table.strings("hosts")
    if not hosts:
        raise table.fail("hosts", "expected at least one host pattern such as \"example.com\" or \"*.example.com\"")
    selectors = {key: table.get(key, str, None) for key in ("headline", "standfirst", "byline", "body")}
    drop = table.strings("drop")
    for key, selector in [*selectors.items(), *(("drop", s) for s in drop)]:
        if selector is not None:
            _check_selector(table, key, selector)
    return SiteRule(name=path.stem, hosts=tuple(h.lower() for h in hosts), drop=drop, **selectors)


def _check_selector(table: _Checker, key: str, selector: str) -> None:
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        raise table.fail(key, f"not a valid CSS selector: {selector!r} ({exc})") from None
