"""`monitor demo` runs offline and catches every edit without a false change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.demo import run_demo
from monitor.demo_article import EDITS
from monitor.store import Store


def test_demo_catches_every_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(tmp_path) is True
    out = capsys.readouterr().out
    assert "every edit caught, no false change" in out
    for number, edit in enumerate(EDITS, start=1):
        assert f"Edit {number}: {edit.description}" in out
    with Store.open(tmp_path) as store:
        [article] = store.articles()
        assert [v.kinds for v in store.versions(article.id)] == [()] + [tuple(sorted(e.kinds)) for e in EDITS]
        assert store.verify() == (len(EDITS) + 1, [])


def test_demo_json_prints_one_check_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(tmp_path, as_json=True) is True
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["status"] for r in results] == ["new", "unchanged"] + ["changed", "unchanged"] * len(EDITS)
