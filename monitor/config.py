"""Configuration: TOML files over built-in defaults, validated on load."""

from __future__ import annotations

from dataclasses import dataclass


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
