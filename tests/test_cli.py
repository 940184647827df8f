"""The `monitor` command end to end: pages from a real local site, a real store in a temporary folder."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor import cli
from monitor.demo_article import EDITS, ORIGINAL, page_renderer
from monitor.localsite import LocalSite

PATH = "/news/dam"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    def json_lines(self):
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A config that lets the monitor fetch from the loopback site, with its own data folder."""
    path = tmp_path / "monitor.toml"
    path.write_text('data_dir = "data"\n[http]\nallow_private_addresses = true\nretries = 0\nread_timeout = 5\n')
    return path


@pytest.fixture
def run(config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the real entry point in-process; returns exit code, stdout and stderr."""

    def invoke(*args: str, stdin: bytes = b"") -> Ran:
        monkeypatch.setattr(sys, "argv", ["monitor", "--config", str(config_file), *args])
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        with pytest.raises(SystemExit) as exited:
            cli.main()
        captured = capsys.readouterr()
        return Ran(exited.value.code, captured.out, captured.err)

    return invoke


def assert_one_line_error(ran: Ran, code: int, fragment: str) -> None:
    assert ran.code == code, ran
    assert fragment in ran.err, ran.err
    assert "Traceback" not in ran.err + ran.out
    assert len(ran.err.strip().splitlines()) == 1, ran.err


def test_tour_add_check_log_diff_show(site: LocalSite, run) -> None:
    url = site.publish(PATH, page_renderer(ORIGINAL))
    added = run("add", url, "--name", "Dam", "--tag", "flood", "--json")
    assert added.code == 0, added
    [first] = added.json_lines()
    assert (first["status"], first["version"], first["error"]) == ("new", 1, None)
    article_id = first["article_id"]

    assert run("check", url, "--json").json_lines()[0]["status"] == "unchanged"

    site.publish(PATH, page_renderer(EDITS[0].story))
    [changed] = run("check", "--all", "--json").json_lines()
    assert (changed["status"], changed["version"], changed["previous_version"]) == ("changed", 2, 1)
    assert [c["kind"] for c in changed["changes"]] == ["headline"]
    assert changed["changes"][0]["before"] == ORIGINAL.headline
    assert changed["changes"][0]["after"] == EDITS[0].story.headline

    log = run("log", article_id[:6], "--json").json()
    assert [(v["version"], v["kinds"]) for v in log] == [(1, []), (2, ["headline"])]
    assert log[1]["headline"] == EDITS[0].story.headline

    diff = run("diff", url, "--json").json()
    assert (diff["from_version"], diff["to_version"], diff["article_id"]) == (1, 2, article_id)
    assert diff["changes"] == changed["changes"]
    text_diff = run("diff", url)
    assert "HEADLINE" in text_diff.out and "[-" in text_diff.out and "{+" in text_diff.out

    shown = run("show", url, "--version", "1", "--json").json()
    assert shown["headline"] == ORIGINAL.headline
    assert shown["paragraphs"][0].startswith("HARLOW FORD")
    assert shown["body"] == "\n\n".join(shown["paragraphs"])
    assert EDITS[0].story.headline in run("show", article_id).out.replace("\n", " ")

    listed = run("list", "--json").json()
    assert [(a["article_id"], a["name"], a["tags"], a["versions"]) for a in listed] == [(article_id, "Dam", ["flood"], 2)]
    assert run("verify").code == 0

    assert run("remove", article_id).code == 0
    assert run("list", "--json").json() == []


def test_blame_and_diff_summary(site: LocalSite, run) -> None:
    url = site.publish(PATH, page_renderer(ORIGINAL))
    run("add", url)
    site.publish(PATH, page_renderer(EDITS[2].story))
    run("check", url)
    lines = run("blame", url, "--json").json()
    assert {line["version"] for line in lines} == {1, 2}
    assert [line["sentence"] for line in lines if line["version"] == 2] == [
        EDITS[2].story.paragraphs[0],
        EDITS[2].story.paragraphs[3],
    ]
    assert " ".join(line["sentence"] for line in lines if line["paragraph"] == 0) == EDITS[2].story.paragraphs[0]
    diff = run("diff", url, "--json").json()
    assert diff["stealth"] is False and "headline rewritten" in diff["summary"]
    assert "v2" in run("blame", url).out


def test_add_reads_urls_from_stdin(run) -> None:
    urls = b"# watched\nhttps://news.example/a\n\nhttps://news.example/b\nhttps://news.example/a\n"
    assert run("add", "-", "--no-fetch").code == 0, "an empty list is not an error"
    assert run("list", "--json").json() == []
    ran = run("add", "-", "--no-fetch", stdin=urls)
    assert ran.code == 0, ran
    listed = run("list", "--json").json()
    assert [a["url"] for a in listed] == ["https://news.example/a", "https://news.example/b"]
    assert all(a["versions"] == 0 for a in listed)


def test_add_records_interval_and_rejects_bad_ones(run) -> None:
    assert run("add", "https://news.example/a", "--no-fetch", "--interval", "15m").code == 0
    assert run("list", "--json").json()[0]["interval_seconds"] == 900
    assert_one_line_error(run("add", "https://news.example/b", "--no-fetch", "--interval", "often"), 2, "not an interval")


def test_extract_file_and_stdin(tmp_path: Path, run) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(page_renderer(ORIGINAL)())
    from_file = run("extract", str(page), "--json").json()
    from_stdin = run("extract", "-", "--json", stdin=page.read_bytes()).json()
    assert from_file == from_stdin
    assert from_file["headline"] == ORIGINAL.headline
    assert len(from_file["paragraphs"]) == len(ORIGINAL.paragraphs)
    text = run("extract", str(page))
    assert text.code == 0 and ORIGINAL.headline in text.out


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("add", "not-a-url"), 2, "not a URL: 'not-a-url'"),
        (("add", "https://news.example/a", "https://news.example/b", "--name", "x"), 2, "--name needs exactly one URL"),
        (("diff", "https://unknown.example/a"), 2, "no watched article matches"),
        (("show", "abcdef"), 2, "no watched article matches"),
        (("check",), 2, "pass --all"),
        (("extract", "/nonexistent/page.html"), 2, "cannot read /nonexistent/page.html"),
    ],
)
def test_usage_errors_are_one_line(run, args: tuple[str, ...], code: int, fragment: str) -> None:
    assert_one_line_error(run(*args), code, fragment)


def test_unknown_command_is_a_usage_error(run) -> None:
    ran = run("frobnicate")
    assert ran.code == 2
    assert "No such command 'frobnicate'" in ran.err and "Traceback" not in ran.err


def test_diff_and_show_need_versions(run) -> None:
    run("add", "https://news.example/a", "--no-fetch")
    assert_one_line_error(run("diff", "https://news.example/a"), 2, "no stored version yet")
    assert_one_line_error(run("show", "https://news.example/a"), 2, "no stored version yet")


def closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/article"


@pytest.mark.parametrize(
    ("setup", "status", "fragment"),
    [
        ("unreachable", "error", "refused"),
        ("404", "gone", "404"),
        ("pdf", "error", "not an HTML page"),
        ("huge", "error", "larger than"),
        ("empty", "error", ""),
        ("no-article", "error", "no article text"),
    ],
)
def test_bad_pages_are_recorded_not_crashes(site: LocalSite, run, setup: str, status: str, fragment: str) -> None:
    url = {
        "unreachable": closed_port_url,
        "404": lambda: site.url("/missing"),
        "pdf": lambda: site.publish("/doc", b"%PDF-1.7 ...", content_type="application/pdf"),
        "huge": lambda: site.publish("/huge", b"<html><body>" + b"<p>word </p>" * 5_000_000),
        "empty": lambda: site.publish("/empty", b""),
        "no-article": lambda: site.publish("/nav", b"<html><body><nav><a href='/'>Home</a></nav><script>x()</script></body></html>"),
    }[setup]()
    ran = run("add", url, "--json")
    assert ran.code == 1, ran
    [result] = ran.json_lines()
    assert result["status"] == status
    assert fragment in result["error"]
    assert "Traceback" not in ran.err
    assert run("log", url, "--json").json() == []
    assert run("verify").code == 0


def test_broken_html_still_yields_what_it_can(site: LocalSite, run) -> None:
    url = site.publish(
        "/broken",
        b"<html><body><article><h1>Ferry fares frozen</h1><div><p>The board froze fares for a year.<p>Crews welcomed it.</span></table>",
    )
    [result] = run("add", url, "--json").json_lines()
    assert result["status"] == "new"
    shown = run("show", url, "--json").json()
    assert shown["headline"] == "Ferry fares frozen"
    assert shown["paragraphs"] == ["The board froze fares for a year.", "Crews welcomed it."]


def test_config_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for body, fragment in (("[http]\nmax_byts = 3\n", "unknown key http.max_byts"), ("[http\n", "not valid TOML")):
        path = tmp_path / "bad.toml"
        path.write_text(body)
        monkeypatch.setattr(sys, "argv", ["monitor", "--config", str(path), "list"])
        with pytest.raises(SystemExit) as exited:
            cli.main()
        err = capsys.readouterr().err
        assert exited.value.code == 2
        assert fragment in err and str(path) in err and "Traceback" not in err


def test_unusable_data_folder_exits_1(tmp_path: Path, run) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the data folder should be")
    assert_one_line_error(run("--data", str(blocker), "list"), 1, "cannot use data folder")


def test_verify_reports_tampering(site: LocalSite, run, config_file: Path) -> None:
    url = site.publish(PATH, page_renderer(ORIGINAL))
    article_id = run("add", url, "--json").json_lines()[0]["article_id"]
    snapshot = config_file.parent / "data" / article_id / "v0001.json"
    snapshot.write_text(snapshot.read_text().replace("HARLOW FORD", "HARLOW FJORD"))
    ran = run("verify", "--json")
    assert ran.code == 1
    assert ran.json()["problems"][0]["article_id"] == article_id


def test_python_dash_m_and_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "--data", str(tmp_path), "add", "not-a-url"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "monitor: error: not a URL: 'not-a-url' (expected http:// or https://...)"
    helped = subprocess.run([sys.executable, "-m", "monitor", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0
    for command in ("add", "list", "remove", "check", "log", "diff", "show", "extract", "verify", "demo"):
        assert command in helped.stdout


def test_readme_commands_are_what_ci_runs() -> None:
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text().splitlines()
    block = readme[readme.index("```sh") + 1 : readme.index("```sh") + 3]
    assert "monitor demo" in block[0]
    assert "pytest" in block[1]
    assert block[1] in (root / ".ci" / "run").read_text()


def test_site_rule_that_stops_matching_is_reported_once_per_host(site: LocalSite, run, config_file: Path) -> None:
    sites = config_file.parent / "sites"
    sites.mkdir()
    (sites / "local.toml").write_text("hosts = ['127.0.0.1']\nbody = 'div.story-body'\n")
    urls = [site.publish(f"/news/{n}", page_renderer(ORIGINAL)) for n in range(3)]
    ran = run("add", *urls)
    assert ran.code == 1
    failures = [line for line in ran.out.splitlines() if "extraction failed for host 127.0.0.1" in line]
    assert failures == ["error     extraction failed for host 127.0.0.1: site rule 'local' body selector 'div.story-body' matched nothing (3 articles)"]
    assert all(entry["versions"] == 0 for entry in run("list", "--json").json())
    [result, *_] = run("check", urls[0], "--json").json_lines()
    assert result["status"] == "error" and result["error"].startswith("extraction failed for host 127.0.0.1")


@pytest.fixture
def alerting_config(tmp_path: Path, receiver, unused_port: int, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config with a working webhook channel and an email channel whose server is down."""
    monkeypatch.setenv("TEST_HOOK_SECRET", "s3cret")
    path = tmp_path / "alerting.toml"
    path.write_text(
        'data_dir = "data"\n[http]\nallow_private_addresses = true\nretries = 0\n'
        f'[[alerts]]\nname = "hook"\ntype = "webhook"\nurl = "{receiver.url("/hook")}"\nsecret_env = "TEST_HOOK_SECRET"\n'
        f'[[alerts]]\nname = "mail"\ntype = "email"\nsmtp_host = "127.0.0.1"\nsmtp_port = {unused_port}\nsecurity = "plain"\n'
        'from = "monitor@news.example"\nto = ["desk@news.example"]\ntimeout = 2\n'
    )
    return path


def test_check_delivers_alerts_and_alerts_lists_what_failed(site: LocalSite, run, receiver, alerting_config: Path) -> None:
    url = site.publish(PATH, page_renderer(ORIGINAL))
    config = ("--config", str(alerting_config))
    assert run(*config, "add", url).code == 0
    assert receiver.received() == [], "a first version is not an edit"
    site.publish(PATH, page_renderer(EDITS[0].story))
    ran = run(*config, "check", "--all")
    assert ran.code == 0
    assert "alert on hook: 1 sent" in ran.err and "alert on mail: 1 failed (cannot connect" in ran.err
    [delivered] = receiver.received("/hook")
    payload = json.loads(delivered.body)
    assert [c["kind"] for c in payload["changes"]] == ["headline"]
    assert delivered.headers["X-Monitor-Delivery-Id"] == payload["delivery_id"]
    [waiting] = run(*config, "alerts", "--json").json()
    assert (waiting["channel"], waiting["status"], waiting["attempts"], waiting["kinds"]) == ("mail", "pending", 1, ["headline"])
    assert "cannot connect" in waiting["last_error"]
    assert "mail" in run(*config, "alerts").out


def test_alerts_test_reports_each_channel(run, receiver, alerting_config: Path) -> None:
    ran = run("--config", str(alerting_config), "alerts", "test", "--json")
    assert ran.code == 1
    results = {result["channel"]: result for result in ran.json()}
    assert results["hook"]["ok"] is True and results["mail"]["ok"] is False
    assert "cannot connect" in results["mail"]["error"]
    [test_message] = receiver.received("/hook")
    assert json.loads(test_message.body)["status"] == "test"


def test_alerts_test_without_channels_is_a_usage_error(run) -> None:
    assert_one_line_error(run("alerts", "test"), 2, "no alert channels are configured")


def test_status_without_a_daemon(site: LocalSite, run) -> None:
    url = site.publish(PATH, page_renderer(ORIGINAL))
    run("add", url)
    report = run("status", "--json").json()
    assert report["daemon_pid"] is None
    assert report["checks_last_hour"] == {"new": 1}
    assert report["alerts"] == {} and report["failing"] == []
    assert "daemon: not running" in run("status").out
