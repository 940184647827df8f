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

from monitor.errors import ConfigError
from monitor.models import SiteRule

DEFAULT_CONFIG = Path("config") / "monitor.toml"
DEFAULT_DATA_DIR = Path("snapshots")
DEFAULT_SITES_DIR = Path("config") / "sites"
DEFAULT_INTERVAL_SECONDS = 3600

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
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class ArticleEntry:
    """An article the config file asks to watch."""

    url: str
    name: str | None = None
    interval_seconds: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """Everything the monitor reads from its configuration."""

    path: Path | None = None
    data_dir: Path = DEFAULT_DATA_DIR
    default_interval_seconds: int = DEFAULT_INTERVAL_SECONDS
    http: HttpSettings = field(default_factory=HttpSettings)
    articles: tuple[ArticleEntry, ...] = ()
    site_rules: tuple[SiteRule, ...] = ()


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
    top.reject_unknown({"data_dir", "sites_dir", "default_interval", "http", "articles"})
    base = path.parent
    data_dir = base / top.get("data_dir", str, str(Path("..") / DEFAULT_DATA_DIR), lambda v: bool(v.strip()), "a folder path")
    sites_dir = base / top.get("sites_dir", str, "sites", lambda v: bool(v.strip()), "a folder path")
    default_interval = top.interval("default_interval") or DEFAULT_INTERVAL_SECONDS
    articles = _build_articles(path, data.get("articles", []))
    site_rules = load_site_rules(sites_dir) if sites_dir.is_dir() else ()
    return Config(
        path=path,
        data_dir=data_dir,
        default_interval_seconds=default_interval,
        http=_build_http(top.child("http")),
        articles=articles,
        site_rules=site_rules,
    )


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
        except Exception as exc:  # UsageError from validate_url: re-worded as a config error
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
