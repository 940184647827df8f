"""Config loading: discovery order, defaults, validation messages and site rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import HttpSettings, find_config_path, load_config, load_site_rules, parse_interval
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800), ("1w", 604800), (" 2H ", 7200)])
def test_parse_interval_accepts_units(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m15", "1x", "0m", "15 minutes"])
def test_parse_interval_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_config_path(None, {}) is None
    write(tmp_path / "config" / "monitor.toml", "")
    assert find_config_path(None, {}) == Path("config/monitor.toml")
    assert find_config_path(None, {"MONITOR_CONFIG": "/etc/m.toml"}) == Path("/etc/m.toml")
    assert find_config_path("mine.toml", {"MONITOR_CONFIG": "/etc/m.toml"}) == Path("mine.toml")


def test_builtin_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {})
    assert config.path is None
    assert config.data_dir == Path("snapshots")
    assert config.http == HttpSettings()
    assert config.articles == ()


def test_shipped_example_config_loads() -> None:
    config = load_config(str(REPO / "config" / "monitor.toml"), {})
    assert config.data_dir.resolve() == (REPO / "snapshots").resolve()
    assert config.http.max_bytes == 5_000_000
    assert [rule.name for rule in config.site_rules] == ["example"]
    assert config.site_rules[0].matches("www.news.example")


def test_full_config_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.toml",
        """
data_dir = "data"
[http]
user_agent = "tester"
connect_timeout = 2
max_bytes = 1000
per_host_concurrency = 1
allow_private_addresses = true
[[articles]]
url = "https://news.example/a"
name = "A"
interval = "15m"
tags = ["x", "y"]
""",
    )
    config = load_config(str(path), {})
    assert config.data_dir == tmp_path / "data"
    assert config.http.connect_timeout == 2.0
    assert config.http.allow_private_addresses is True
    assert config.articles[0].url == "https://news.example/a"
    assert config.articles[0].interval_seconds == 900
    assert config.articles[0].tags == ("x", "y")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("datadir = 'x'", "unknown key datadir"),
        ("[http]\ntimeout = 3", "unknown key http.timeout"),
        ("[http]\nmax_bytes = 'big'", "http.max_bytes: expected a positive number of bytes, got 'big'"),
        ("[http]\nconcurrency = 0", "http.concurrency: expected an integer from 1 to 256, got 0"),
        ("[http]\nallow_private_addresses = 'yes'", "http.allow_private_addresses: expected a bool, got 'yes'"),
        ("[[articles]]\nurl = 'not-a-url'", "articles[0].url: not a URL"),
        ("[[articles]]\nname = 'x'", "articles[0].url: missing"),
        ("[[articles]]\nurl = 'https://a.example/'\ninterval = 'often'", "articles[0].interval: expected an interval"),
        ("[[articles]]\nurl = 'https://a.example/'\ncolour = 'red'", "unknown key articles[0].colour"),
        ("http = 3", "http: expected a table, got 3"),
        ("data_dir = [", "not valid TOML"),
    ],
)
def test_bad_config_names_file_key_and_value(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path / "bad.toml", body)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path), {})
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.toml"), {})


def test_site_rules_are_validated(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    write(sites / "good.toml", "hosts = ['News.Example']\nbody = 'div.story'\ndrop = ['.ad']")
    rules = load_site_rules(sites)
    assert rules[0].name == "good" and rules[0].hosts == ("news.example",) and rules[0].drop == (".ad",)
    write(sites / "zbad.toml", "hosts = ['x.example']\nbody = 'div[['")
    with pytest.raises(ConfigError, match=r"zbad.toml: body: not a valid CSS selector: 'div\[\['"):
        load_site_rules(sites)
    write(sites / "zbad.toml", "hosts = []")
    with pytest.raises(ConfigError, match="hosts: expected at least one host pattern"):
        load_site_rules(sites)
    write(sites / "zbad.toml", "hosts = ['x.example']\nheadlines = 'h1'")
    with pytest.raises(ConfigError, match="unknown key headlines"):
        load_site_rules(sites)


def test_alert_channels_schedule_and_delivery_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.toml",
        """
[schedule]
tiers = [["1h", "5m"], ["1d", "30m"]]
final_interval = "12h"
gone_after = 5
[delivery]
interval = "2s"
retry_base = "10s"
[[alerts]]
name = "desk"
type = "email"
kinds = ["headline", "quote"]
min_severity = "high"
digest = "30m"
smtp_host = "smtp.news.example"
smtp_port = 465
security = "tls"
username_env = "SMTP_USER"
password_env = "SMTP_PASSWORD"
from = "monitor@news.example"
to = ["desk@news.example"]
[[alerts]]
type = "webhook"
url = "https://hooks.example/abc"
format = "slack"
secret_env = "HOOK_SECRET"
tags = ["politics"]
gone = false
""",
    )
    config = load_config(str(path), {})
    email, hook = config.channels
    assert (email.name, email.host, email.port, email.security, email.recipients) == ("desk", "smtp.news.example", 465, "tls", ("desk@news.example",))
    assert (email.rule.kinds, email.rule.min_severity, email.rule.digest_seconds) == (("headline", "quote"), "high", 1800)
    assert (hook.name, hook.format, hook.secret_env, hook.rule.tags, hook.rule.gone) == ("webhook-2", "slack", "HOOK_SECRET", ("politics",), False)
    assert config.schedule.tiers == ((3600, 300), (86400, 1800))
    assert (config.schedule.final_interval, config.schedule.gone_after) == (43200, 5)
    assert (config.delivery.interval, config.delivery.retry_base, config.delivery.retry_max) == (2, 10, 600)


EMAIL = "type = 'email'\nsmtp_host = 'smtp.example'\nfrom = 'a@example.com'\nto = ['b@example.com']\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[alerts]]\nurl = 'https://h.example/'", "alerts[0].type: missing"),
        ("[[alerts]]\ntype = 'pager'", "alerts[0].type: expected one of \"email\", \"webhook\", got 'pager'"),
        ("[[alerts]]\n" + EMAIL + "kinds = ['headlines']", "alerts[0].kinds: unknown kind 'headlines'"),
        ("[[alerts]]\n" + EMAIL + "min_severity = 'urgent'", "alerts[0].min_severity: expected one of"),
        ("[[alerts]]\n" + EMAIL + "username_env = 'U'", "alerts[0].password_env: set both username_env and password_env"),
        ("[[alerts]]\n" + EMAIL + "password = 'hunter2'", "unknown key alerts[0].password"),
        ("[[alerts]]\ntype = 'email'\nsmtp_host = 'smtp.example'\nfrom = 'a@example.com'", "alerts[0].to: missing"),
        ("[[alerts]]\ntype = 'webhook'\nurl = 'hooks'", "alerts[0].url: not a URL"),
        ("[[alerts]]\ntype = 'webhook'\nurl = 'https://h.example/'\nformat = 'teams'", "alerts[0].format: expected one of"),
        ("[[alerts]]\nname = 'x'\n" + EMAIL + "[[alerts]]\nname = 'x'\ntype = 'webhook'\nurl = 'https://h.example/'", "alerts[1].name: duplicate channel name 'x'"),
        ("[schedule]\ntiers = [['1d', '1h'], ['1h', '5m']]", "schedule.tiers: ages must increase"),
        ("[schedule]\ntiers = '15m'", "schedule.tiers: expected a list of [age, interval] pairs"),
        ("[schedule]\njitter = 2", "schedule.jitter: expected a fraction from 0 to 0.5, got 2"),
        ("[delivery]\nretry_base = 30", "delivery.retry_base: expected an interval"),
        ("[delivery]\nbackoff = '1m'", "unknown key delivery.backoff"),
    ],
)
def test_bad_alert_and_schedule_config(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path / "bad.toml", body)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path), {})
    assert message in str(caught.value) and str(caught.value).startswith(f"{path}: ")
