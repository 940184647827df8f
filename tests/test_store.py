"""The versioned store: index, snapshot files, ids, migrations and verification (real SQLite files)."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from monitor.errors import StorageError, UsageError
from monitor.models import Article, Change, Page
from monitor.store import SCHEMA_VERSION, Store, article_id_for, content_hash

URL = "https://news.example/2026/11/28/harbour-fire"


def story(*paragraphs: str, headline: str = "Fire at the harbour") -> Article:
    return Article(headline=headline, byline="A. Writer", paragraphs=list(paragraphs))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "data") as opened:
        yield opened


def page(html: bytes = b"<html>page</html>", status: int = 200, etag: str | None = '"e1"', last_modified: str | None = None) -> Page:
    text = html.decode() if status == 200 else None
    return Page(URL, URL, status, text, html, "utf-8", etag, last_modified, 12.5)


def save(store: Store, article: Article, html: bytes = b"<html>page</html>", changes: tuple[Change, ...] = ()):
    watched = store.find_by_url(URL) or store.add_article(URL)[0]
    latest = store.latest_version(watched.id)
    return store.save_version(
        watched, article, number=(latest.number if latest else 0) + 1, page=page(html), duration_ms=12.5, changes=changes
    )


def test_content_hash_covers_text_not_dates() -> None:
    base = story("One.", "Two.")
    assert content_hash(base) == content_hash(Article(headline=base.headline, byline=base.byline, paragraphs=["One.", "Two."], modified="2026-01-01"))
    assert content_hash(base) != content_hash(story("One.", "Two!"))
    assert content_hash(base) != content_hash(story("One. Two."))
    assert content_hash(base) != content_hash(story("One.", "Two.", headline="Fire"))


def test_add_is_idempotent_and_ids_are_stable(store: Store) -> None:
    first, is_new = store.add_article(URL, name="Harbour", tags=["b", "a", "a"])
    again, is_new_again = store.add_article(URL)
    assert is_new and not is_new_again
    assert first == again
    assert first.id == article_id_for(URL) and len(first.id) == 10
    assert first.tags == ("a", "b")


def test_resolve_by_url_and_id_prefix(store: Store) -> None:
    article, _ = store.add_article(URL)
    assert store.resolve(URL) == article
    assert store.resolve(article.id[:6]) == article
    with pytest.raises(UsageError, match="no watched article matches"):
        store.resolve("https://news.example/other")
    with pytest.raises(UsageError):
        store.resolve("zz")


def test_versions_are_numbered_and_snapshots_written(store: Store) -> None:
    v1 = save(store, story("One."), html=b"<p>One.</p>")
    change = Change(kind="text", action="added", before=None, after="Two.", context="Two.")
    v2 = save(store, story("One.", "Two."), changes=(change,))
    assert (v1.number, v2.number) == (1, 2)
    assert v2.kinds == ("text",)
    article_id = article_id_for(URL)
    folder = store.root / article_id
    assert sorted(p.name for p in folder.iterdir()) == ["v0001.html.gz", "v0001.json", "v0002.html.gz", "v0002.json"]
    assert gzip.decompress((folder / "v0001.html.gz").read_bytes()) == b"<p>One.</p>"
    snapshot = json.loads((folder / "v0002.json").read_text())
    assert snapshot["content_hash"] == v2.content_hash
    assert snapshot["changes"][0]["kind"] == "text"
    assert store.load_article(article_id, 1) == story("One.")
    assert [v.number for v in store.versions(article_id)] == [1, 2]
    assert store.latest_version(article_id) == v2
    assert store.resolve(URL).latest_version == 2
    assert [c["status"] for c in store.checks(article_id)] == ["changed", "new"]
    assert not list(folder.glob(".*.tmp")), "no temporary files are left behind"


def test_record_check_updates_validators_and_status(store: Store) -> None:
    article, _ = store.add_article(URL)
    store.record_check(article, status="unchanged", page=page(status=304, etag='"abc"', last_modified="Tue, 01 Dec 2026 00:00:00 GMT"))
    refreshed = store.resolve(URL)
    assert (refreshed.etag, refreshed.last_status, refreshed.gone) == ('"abc"', "unchanged", False)
    assert refreshed.last_modified == "Tue, 01 Dec 2026 00:00:00 GMT" and refreshed.raw_hash is None, "a 304 has no body to hash"
    store.record_check(refreshed, status="unchanged", page=page(b"<html>same</html>", etag=None))
    assert store.resolve(URL).raw_hash == page(b"<html>same</html>").raw_hash
    store.record_check(refreshed, status="gone", http_status=410, error="gone (HTTP 410)")
    gone = store.resolve(URL)
    assert gone.gone and gone.etag == '"abc"'
    assert store.checks(gone.id)[0] == {
        "checked_at": store.checks(gone.id)[0]["checked_at"], "status": "gone", "http_status": 410,
        "duration_ms": 0.0, "version": None, "error": "gone (HTTP 410)",
    }


def test_verify_finds_tampered_and_missing_snapshots(store: Store) -> None:
    save(store, story("One."))
    save(store, story("One.", "Two."))
    save(store, story("Three."))
    assert store.verify() == (3, [])
    folder = store.root / article_id_for(URL)
    tampered = json.loads((folder / "v0002.json").read_text())
    tampered["article"]["paragraphs"][0] = "Uno."
    (folder / "v0002.json").write_text(json.dumps(tampered))
    (folder / "v0003.json").unlink()
    (folder / "v0001.html.gz").write_bytes(b"not gzip")
    count, problems = store.verify()
    assert count == 3
    assert [(p.version, p.problem.split()[0]) for p in problems] == [(1, "raw"), (2, "content"), (3, "snapshot")]


def test_remove_deletes_rows_and_files(store: Store) -> None:
    save(store, story("One."))
    article = store.resolve(URL)
    store.remove_article(article)
    assert store.articles() == []
    assert not (store.root / article.id).exists()


def test_schema_is_versioned_and_reopened(tmp_path: Path) -> None:
    with Store.open(tmp_path) as first:
        first.add_article(URL)
    connection = sqlite3.connect(tmp_path / "monitor.db")
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    connection.close()
    with Store.open(tmp_path) as second:
        assert [a.url for a in second.articles()] == [URL]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    connection = sqlite3.connect(tmp_path / "monitor.db")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StorageError, match="schema version"):
        Store.open(tmp_path)


def test_unusable_data_folder_is_a_storage_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(StorageError, match="cannot use data folder"):
        Store.open(not_a_folder)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "monitor.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="cannot open the store"):
        Store.open(corrupt)


def test_interrupted_save_leaves_store_consistent(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    save(store, story("One."))

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("monitor.store._write_atomic", crash)
    with pytest.raises(StorageError, match="No space left on device"):
        save(store, story("One.", "Two."))
    monkeypatch.undo()
    assert [v.number for v in store.versions(article_id_for(URL))] == [1]
    assert store.verify() == (1, [])
