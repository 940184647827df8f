"""The daemon's event log: one line per event, plain or JSON."""

from __future__ import annotations

import json
import logging

import pytest

from monitor.logs import configure_logging


@pytest.fixture(autouse=True)
def restore_loggers():
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level) for name in ("monitor", "apscheduler")}
    yield
    for name, (handlers, level) in saved.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).setLevel(level)


def test_plain_lines_quote_values_with_spaces(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("plain")
    logging.getLogger("monitor").info("check", extra={"fields": {"status": "changed", "summary": "headline rewritten"}})
    line = capsys.readouterr().err.strip()
    assert line.endswith(' check status=changed summary="headline rewritten"')
    assert line[:4].isdigit() and "Z " in line


def test_json_lines_carry_fields_and_scheduler_warnings_stay_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json")
    logging.getLogger("monitor").info("check", extra={"fields": {"article_id": "abc", "lag_s": 0.2}})
    logging.getLogger("apscheduler.scheduler").warning("job skipped")
    logging.getLogger("apscheduler.scheduler").info("chatter that is not shown")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("monitor").exception("check-failed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(entry["event"], entry["level"]) for entry in lines] == [("check", "info"), ("job skipped", "warning"), ("check-failed", "error")]
    assert lines[0]["article_id"] == "abc" and lines[0]["lag_s"] == 0.2
    assert "ValueError: boom" in lines[2]["exception"]
