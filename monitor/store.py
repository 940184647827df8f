"""Versioned storage: a SQLite index plus one folder of snapshot files per article.

Layout of the data folder:

    monitor.db                      articles, versions, checks (schema version in PRAGMA user_version)
    <article id>/v0001.json         the extracted article of version 1 and its metadata
    <article id>/v0001.html.gz      the raw HTML that version was extracted from

A version is stored only when the content hash (headline, standfirst, byline and paragraphs,
already normalised by extraction) differs from the latest one. Snapshot files are written to a
temporary name, fsynced and renamed before the index row that points at them is committed, so a
process killed at any moment leaves either no version or a complete one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.errors import StorageError, UsageError
from monitor.models import Alert, Article, Change, Page, VersionRecord, WatchedArticle

INDEX_NAME = "monitor.db"
ID_LENGTH = 10
MIN_ID_PREFIX = 4

# Each entry moves the schema one version forward; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT,
        interval_seconds INTEGER,
        tags TEXT NOT NULL DEFAULT '[]',
        added_at TEXT NOT NULL,
        final_url TEXT,
        etag TEXT,
        last_modified TEXT,
        gone INTEGER NOT NULL DEFAULT 0,
        last_checked_at TEXT,
        last_status TEXT
    );
    CREATE TABLE versions (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        headline TEXT,
        kinds TEXT NOT NULL DEFAULT '[]',
        final_url TEXT,
        PRIMARY KEY (article_id, number)
    );
    CREATE TABLE checks (
        id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        checked_at TEXT NOT NULL,
        status TEXT NOT NULL,
        http_status INTEGER,
        duration_ms REAL,
        version INTEGER,
        error TEXT
    );
    CREATE INDEX checks_by_article ON checks(article_id, checked_at);
    """,
    # 2: a version can be suspect (paywall, consent wall, error page, collapsed body): the reason.
    "ALTER TABLE versions ADD COLUMN suspect TEXT",
    # 3: the daemon's schedule state per article, and the alert outbox.
    """
    ALTER TABLE articles ADD COLUMN next_due_at TEXT;
    ALTER TABLE articles ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE articles ADD COLUMN gone_checks INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE articles ADD COLUMN last_changed_at TEXT;
    ALTER TABLE articles ADD COLUMN published_at TEXT;
    CREATE TABLE alerts (
        delivery_id TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        article_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        delivered_at TEXT,
        last_error TEXT
    );
    CREATE INDEX alerts_due ON alerts(status, next_attempt_at);
    """,
    # 4: the hash of the last page fetched, so a byte-identical page skips extraction.
    "ALTER TABLE articles ADD COLUMN raw_hash TEXT",
)
SCHEMA_VERSION = len(MIGRATIONS)


def iso(moment: datetime) -> str:
    """A time as the store writes it: ISO 8601 with seconds, so that strings sort as times."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def now_iso() -> str:
    """The current time as the store writes it."""
    return iso(datetime.now(UTC))


def article_id_for(url: str) -> str:
    """A short, stable id derived from the URL, so the same URL gets the same id in every store."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:ID_LENGTH]


def content_hash(article: Article) -> str:
    """Hash of what a reader sees: the compared fields and the paragraphs, not dates or URLs."""
    payload = json.dumps(
        [article.headline, article.standfirst, article.byline, list(article.paragraphs)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VerifyProblem:
    """One stored version whose snapshot is missing or does not hash to its index entry."""

    article_id: str
    version: int
    problem: str


class Store:
    """The data folder: open it with `Store.open(path)` and close it when done."""

    def __init__(self, root: Path, connection: sqlite3.Connection) -> None:
        self.root = root
        self._db = connection

    @classmethod
    def open(cls, root: Path) -> Store:
        """Open (creating if needed) the store in `root`, migrating its schema forward."""
        try:
            root.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(root / INDEX_NAME, isolation_level=None, timeout=30)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            store = cls(root, connection)
            store._migrate()
        except sqlite3.Error as exc:
            hint = " (is the data folder writable?)" if "readonly" in str(exc) or "unable to open" in str(exc) else ""
            raise StorageError(f"cannot open the store in {root}: {exc}{hint}") from None
        except OSError as exc:
            raise StorageError(f"cannot use data folder {root}: {exc.strerror}") from None
        return store

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write the index in {self.root}: {exc}") from None

    def _migrate(self) -> None:
        current = self._db.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise StorageError(
                f"{self.root / INDEX_NAME} has schema version {current}; this monitor knows up to {SCHEMA_VERSION}"
            )
        for number in range(current, SCHEMA_VERSION):
            with self._transaction() as db:
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    # Articles -------------------------------------------------------------------------------------

    def add_article(
        self, url: str, *, name: str | None = None, interval_seconds: int | None = None, tags: Iterable[str] = ()
    ) -> tuple[WatchedArticle, bool]:
        """Watch `url`; returns the article and whether it was new (an existing one is left as it is)."""
        existing = self.find_by_url(url)
        if existing is not None:
            return existing, False
        article_id = article_id_for(url)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO articles (id, url, name, interval_seconds, tags, added_at) VALUES (?, ?, ?, ?, ?, ?)",
                (article_id, url, name, interval_seconds, json.dumps(sorted(set(tags))), now_iso()),
            )
        return self.get_article(article_id), True

    def remove_article(self, article: WatchedArticle) -> None:
        """Forget an article: its index rows in one transaction, then its snapshot folder."""
        with self._transaction() as db:
            db.execute("DELETE FROM articles WHERE id = ?", (article.id,))
        folder = self.root / article.id
        if folder.is_dir():
            for child in folder.iterdir():
                child.unlink()
            folder.rmdir()

    def get_article(self, article_id: str) -> WatchedArticle:
        row = self._db.execute(_ARTICLE_SELECT + " WHERE a.id = ?", (article_id,)).fetchone()
        if row is None:
            raise UsageError(f"no watched article with id {article_id}")
        return _article_from_row(row)

    def find_by_url(self, url: str) -> WatchedArticle | None:
        row = self._db.execute(_ARTICLE_SELECT + " WHERE a.url = ?", (url,)).fetchone()
        return _article_from_row(row) if row else None

    def resolve(self, ref: str) -> WatchedArticle:
        """The article named by its URL, its final URL, or a unique prefix of its id."""
        ref = ref.strip()
        by_url = self.find_by_url(ref)
        if by_url is not None:
            return by_url
        rows = self._db.execute(_ARTICLE_SELECT + " WHERE a.final_url = ?", (ref,)).fetchall()
        if len(rows) != 1 and len(ref) >= MIN_ID_PREFIX and all(c in "0123456789abcdef" for c in ref.lower()):
            rows = self._db.execute(_ARTICLE_SELECT + " WHERE a.id LIKE ?", (ref.lower() + "%",)).fetchall()
        if len(rows) == 1:
            return _article_from_row(rows[0])
        if len(rows) > 1:
            raise UsageError(f"{ref!r} names {len(rows)} articles; give more of the id or the full URL")
        raise UsageError(f"no watched article matches {ref!r} (see `monitor list`)")

    def schedulable(self, gone_after: int) -> dict[str, str | None]:
        """Id and next due time of every article still to be checked (not gone `gone_after` times)."""
        rows = self._db.execute("SELECT id, next_due_at FROM articles WHERE gone_checks < ?", (gone_after,))
        return {article_id: due for article_id, due in rows}

    def articles(self) -> list[WatchedArticle]:
        return [_article_from_row(row) for row in self._db.execute(_ARTICLE_SELECT + " ORDER BY a.rowid")]

    # Versions and checks --------------------------------------------------------------------------

    def latest_version(self, article_id: str) -> VersionRecord | None:
        row = self._db.execute(
            "SELECT * FROM versions WHERE article_id = ? ORDER BY number DESC LIMIT 1", (article_id,)
        ).fetchone()
        return _version_from_row(row) if row else None

    def latest_sound_version(self, article_id: str) -> VersionRecord | None:
        """The newest version that is not suspect: what the next change is measured against."""
        row = self._db.execute(
            "SELECT * FROM versions WHERE article_id = ? AND suspect IS NULL ORDER BY number DESC LIMIT 1", (article_id,)
        ).fetchone()
        return _version_from_row(row) if row else None

    def versions(self, article_id: str) -> list[VersionRecord]:
        rows = self._db.execute("SELECT * FROM versions WHERE article_id = ? ORDER BY number", (article_id,))
        return [_version_from_row(row) for row in rows]

    def version(self, article_id: str, number: int) -> VersionRecord:
        row = self._db.execute(
            "SELECT * FROM versions WHERE article_id = ? AND number = ?", (article_id, number)
        ).fetchone()
        if row is None:
            raise UsageError(f"article {article_id} has no version {number}")
        return _version_from_row(row)

    def load_article(self, article_id: str, number: int) -> Article:
        """The extracted article stored as version `number`."""
        return Article.from_dict(self._read_snapshot(article_id, number)["article"])

    def record_check(
        self,
        article: WatchedArticle,
        *,
        status: str,
        duration_ms: float = 0.0,
        page: Page | None = None,
        http_status: int | None = None,
        error: str | None = None,
        alerts: Iterable[Alert] = (),
    ) -> None:
        """Record a check that stored no version (unchanged, gone or failed), with the alerts it raised.

        `page`, when there is one, updates the article's final URL, validators and raw-page hash.
        """
        with self._transaction() as db:
            http_status = page.status if page else http_status
            self._insert_check(db, article, status, http_status, duration_ms, None, error, page)
            _insert_alerts(db, alerts)

    def save_version(
        self,
        article: WatchedArticle,
        extracted: Article,
        *,
        number: int,
        page: Page,
        duration_ms: float,
        changes: Iterable[Change] = (),
        suspect: str | None = None,
        alerts: Iterable[Alert] = (),
    ) -> VersionRecord:
        """Store version `number` (snapshot files first, then the index rows and its alerts in one transaction)."""
        changes = list(changes)
        record = VersionRecord(
            article_id=article.id,
            number=number,
            fetched_at=now_iso(),
            content_hash=content_hash(extracted),
            headline=extracted.headline,
            kinds=tuple(sorted({change.kind for change in changes})),
            final_url=page.final_url,
            suspect=suspect,
        )
        snapshot = {
            "article_id": article.id,
            "url": article.url,
            "version": number,
            "fetched_at": record.fetched_at,
            "final_url": page.final_url,
            "http_status": page.status,
            "encoding": page.encoding,
            "content_hash": record.content_hash,
            "suspect": suspect,
            "article": extracted.to_dict(),
            "changes": [change.to_dict() for change in changes],
        }
        folder = self.root / article.id
        try:
            folder.mkdir(exist_ok=True)
            _write_atomic(folder / _html_name(number), gzip.compress(page.raw, compresslevel=6, mtime=0))
            _write_atomic(folder / _json_name(number), json.dumps(snapshot, ensure_ascii=False, indent=1).encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"cannot write snapshot in {folder}: {exc.strerror}") from None
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO versions"
                " (article_id, number, fetched_at, content_hash, headline, kinds, final_url, suspect)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article.id, number, record.fetched_at, record.content_hash, record.headline,
                    json.dumps(record.kinds), page.final_url, suspect,
                ),
            )
            status = "new" if number == 1 else "changed"
            self._insert_check(db, article, status, page.status, duration_ms, number, None, page)
            db.execute(
                "UPDATE articles SET published_at = COALESCE(?, published_at), last_changed_at = ? WHERE id = ?",
                (extracted.published, record.fetched_at, article.id),
            )
            _insert_alerts(db, alerts)
        return record

    def _insert_check(
        self,
        db: sqlite3.Connection,
        article: WatchedArticle,
        status: str,
        http_status: int | None,
        duration_ms: float,
        version: int | None,
        error: str | None,
        page: Page | None,
    ) -> None:
        checked_at = now_iso()
        db.execute(
            "INSERT INTO checks (article_id, checked_at, status, http_status, duration_ms, version, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (article.id, checked_at, status, http_status, round(duration_ms, 1), version, error),
        )
        gone = status == "gone"
        final_url, etag, last_modified, raw_hash = (
            (page.final_url, page.etag, page.last_modified, page.raw_hash if page.html is not None else None)
            if page
            else (None, None, None, None)
        )
        db.execute(
            "UPDATE articles SET last_checked_at = ?, last_status = ?, gone = ?,"
            " final_url = COALESCE(?, final_url), etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),"
            " raw_hash = COALESCE(?, raw_hash),"
            " failures = CASE WHEN ? THEN failures + 1 ELSE 0 END,"
            " gone_checks = CASE WHEN ? THEN gone_checks + 1 ELSE 0 END"
            " WHERE id = ?",
            (checked_at, status, int(gone), final_url, etag, last_modified, raw_hash, status == "error", gone, article.id),
        )

    def set_next_due(self, article_id: str, due_at: str) -> None:
        """When the daemon will next check this article."""
        with self._transaction() as db:
            db.execute("UPDATE articles SET next_due_at = ? WHERE id = ?", (due_at, article_id))

    def checks_since(self, since: str) -> dict[str, int]:
        """How many checks ended in each status since `since` (ISO 8601)."""
        rows = self._db.execute("SELECT status, COUNT(*) FROM checks WHERE checked_at >= ? GROUP BY status", (since,))
        return {status: count for status, count in rows}

    # Alert outbox -------------------------------------------------------------------------------

    def due_alerts(self, now: str, limit: int = 100) -> list[Alert]:
        """Pending alerts whose next attempt is due, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM alerts WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at LIMIT ?",
            (now, limit),
        )
        return [_alert_from_row(row) for row in rows]

    def alerts(self, statuses: Sequence[str] = ("pending", "failed"), limit: int = 1000) -> list[Alert]:
        marks = ",".join("?" * len(statuses))
        rows = self._db.execute(
            f"SELECT * FROM alerts WHERE status IN ({marks}) ORDER BY created_at LIMIT ?", (*statuses, limit)
        )
        return [_alert_from_row(row) for row in rows]

    def alert_counts(self) -> dict[str, int]:
        return {status: count for status, count in self._db.execute("SELECT status, COUNT(*) FROM alerts GROUP BY status")}

    def mark_delivered(self, delivery_ids: Sequence[str]) -> None:
        with self._transaction() as db:
            db.executemany(
                "UPDATE alerts SET status = 'delivered', delivered_at = ?, attempts = attempts + 1, last_error = NULL"
                " WHERE delivery_id = ?",
                [(now_iso(), delivery_id) for delivery_id in delivery_ids],
            )

    def mark_attempt_failed(self, delivery_ids: Sequence[str], error: str, retry_at: str | None) -> None:
        """Record a failed attempt: retried at `retry_at`, or given up (status failed) when None."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE alerts SET attempts = attempts + 1, last_error = ?, status = ?,"
                " next_attempt_at = COALESCE(?, next_attempt_at) WHERE delivery_id = ?",
                [(error, "pending" if retry_at else "failed", retry_at, delivery_id) for delivery_id in delivery_ids],
            )

    def checks(self, article_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The latest checks of an article, newest first."""
        rows = self._db.execute(
            "SELECT checked_at, status, http_status, duration_ms, version, error FROM checks"
            " WHERE article_id = ? ORDER BY id DESC LIMIT ?",
            (article_id, limit),
        )
        return [dict(row) for row in rows]

    # Integrity ------------------------------------------------------------------------------------

    def verify(self) -> tuple[int, list[VerifyProblem]]:
        """Re-hash every stored version; returns how many were checked and what is wrong."""
        problems: list[VerifyProblem] = []
        rows = self._db.execute("SELECT article_id, number, content_hash FROM versions ORDER BY article_id, number").fetchall()
        for row in rows:
            article_id, number = row["article_id"], row["number"]
            problem = self._verify_one(article_id, number, row["content_hash"])
            if problem:
                problems.append(VerifyProblem(article_id, number, problem))
        return len(rows), problems

    def _verify_one(self, article_id: str, number: int, expected: str) -> str | None:
        try:
            snapshot = self._read_snapshot(article_id, number)
        except StorageError as exc:
            return str(exc)
        actual = content_hash(Article.from_dict(snapshot.get("article") or {}))
        if actual != expected:
            return f"content hash {actual} does not match the index ({expected})"
        if snapshot.get("content_hash") != expected:
            return "snapshot file records a different content hash than the index"
        html_path = self.root / article_id / _html_name(number)
        try:
            with gzip.open(html_path) as handle:
                while handle.read(1 << 20):
                    pass
        except (OSError, EOFError) as exc:
            return f"raw HTML {html_path.name} unreadable: {exc}"
        return None

    def _read_snapshot(self, article_id: str, number: int) -> dict[str, Any]:
        path = self.root / article_id / _json_name(number)
        try:
            return json.loads(path.read_bytes())
        except FileNotFoundError:
            raise StorageError(f"snapshot {path} is missing") from None
        except (OSError, ValueError) as exc:
            raise StorageError(f"snapshot {path} is unreadable: {exc}") from None


_ARTICLE_SELECT = (
    "SELECT a.*, (SELECT MAX(number) FROM versions v WHERE v.article_id = a.id) AS latest_version FROM articles a"
)


def _insert_alerts(db: sqlite3.Connection, alerts: Iterable[Alert]) -> None:
    # OR IGNORE: the same delivery id again (a check replayed after a crash) must not send twice.
    db.executemany(
        "INSERT OR IGNORE INTO alerts (delivery_id, channel, article_id, created_at, payload, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (a.delivery_id, a.channel, a.article_id, a.created_at, json.dumps(a.payload, ensure_ascii=False), a.next_attempt_at or a.created_at)
            for a in alerts
        ],
    )


def _alert_from_row(row: sqlite3.Row) -> Alert:
    return Alert(
        delivery_id=row["delivery_id"],
        channel=row["channel"],
        article_id=row["article_id"],
        created_at=row["created_at"],
        payload=json.loads(row["payload"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
    )


def _article_from_row(row: sqlite3.Row) -> WatchedArticle:
    return WatchedArticle(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        interval_seconds=row["interval_seconds"],
        tags=tuple(json.loads(row["tags"])),
        added_at=row["added_at"],
        final_url=row["final_url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        gone=bool(row["gone"]),
        latest_version=row["latest_version"],
        last_checked_at=row["last_checked_at"],
        last_status=row["last_status"],
        next_due_at=row["next_due_at"],
        failures=row["failures"],
        gone_checks=row["gone_checks"],
        last_changed_at=row["last_changed_at"],
        published_at=row["published_at"],
        raw_hash=row["raw_hash"],
    )


def _version_from_row(row: sqlite3.Row) -> VersionRecord:
    return VersionRecord(
        article_id=row["article_id"],
        number=row["number"],
        fetched_at=row["fetched_at"],
        content_hash=row["content_hash"],
        headline=row["headline"],
        kinds=tuple(json.loads(row["kinds"])),
        final_url=row["final_url"],
        suspect=row["suspect"],
    )


def _json_name(number: int) -> str:
    return f"v{number:04d}.json"


def _html_name(number: int) -> str:
    return f"v{number:04d}.html.gz"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one, never a torn one."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
