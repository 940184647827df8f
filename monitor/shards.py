"""A large `check` pass split across processes, so that every core fetches and extracts.

Extraction is Python work that holds the interpreter lock, so one process uses one core. A large
pass is split into one shard per core; each shard runs the ordinary pipeline in its own process with
its own store connection (SQLite in WAL mode takes the writers in turn) and sends its results back.
Fetching bounds are divided so that the shards together never exceed them: articles are dealt out
one by one when each shard can have its own share of every host's bound, and whole hosts are dealt
out otherwise (a per-host bound of 1 or a minimum delay between requests to a host).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit

from monitor.config import Config, HttpSettings
from monitor.errors import MonitorError
from monitor.models import CheckResult, WatchedArticle
from monitor.pipeline import check_many
from monitor.store import Store

# Below this many articles a second process costs more (its start-up, about 0.4 s) than it saves.
SHARD_THRESHOLD = 200
MAX_SHARDS = 4


def plan_shards(articles: Sequence[WatchedArticle], http: HttpSettings, cores: int) -> list[tuple[list[WatchedArticle], HttpSettings]]:
    """The articles and fetch settings of each shard; a single shard when splitting cannot pay or be fair."""
    count = min(cores, MAX_SHARDS, http.concurrency)
    if count < 2 or len(articles) < SHARD_THRESHOLD:
        return [(list(articles), http)]
    shared = replace(http, concurrency=http.concurrency // count)
    if http.per_host_delay == 0 and http.per_host_concurrency >= count:
        settings = replace(shared, per_host_concurrency=http.per_host_concurrency // count)
        return [(list(articles[index::count]), settings) for index in range(count)]
    by_host: dict[str, list[WatchedArticle]] = {}
    for article in articles:
        by_host.setdefault(urlsplit(article.url).hostname or "", []).append(article)
    shards: list[list[WatchedArticle]] = [[] for _ in range(count)]
    for group in sorted(by_host.values(), key=len, reverse=True):
        min(shards, key=len).extend(group)
    return [(shard, shared) for shard in shards if shard]


async def check_all(articles: Sequence[WatchedArticle], config: Config, store: Store) -> AsyncIterator[CheckResult]:
    """Check every article, in shards across cores when the pass is large; results as they finish."""
    plan = plan_shards(articles, config.http, os.cpu_count() or 1)
    if len(plan) == 1:
        async for result in check_many(articles, config, store):
            yield result
        return
    (own, own_http), *others = plan
    context = multiprocessing.get_context("spawn")  # forking a process that runs threads is unsafe
    results: asyncio.Queue[CheckResult | BaseException | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    workers = []
    for shard, http in others:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_run_shard, args=(shard, replace(config, http=http), store.root, sender), daemon=True)
        process.start()
        sender.close()
        workers.append((process, loop.run_in_executor(None, _forward, receiver, loop, results)))
    producers = [_own_shard(own, replace(config, http=own_http), store, results), *(forward for _, forward in workers)]
    gathered = asyncio.gather(*producers)
    try:
        finished = 0
        while finished < len(producers):
            item = await results.get()
            if item is None:
                finished += 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
        await gathered
    finally:
        gathered.cancel()
        for process, _ in workers:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)


async def _own_shard(articles: list[WatchedArticle], config: Config, store: Store, results: asyncio.Queue) -> None:
    try:
        async for result in check_many(articles, config, store):
            await results.put(result)
    except BaseException as exc:  # handed to the consumer, which raises it where the pass is awaited
        await results.put(exc)
    await results.put(None)


def _forward(receiver: Connection, loop: asyncio.AbstractEventLoop, results: asyncio.Queue) -> None:
    """Hand a shard process's results to the event loop as they arrive (runs in a thread)."""
    with receiver:
        while True:
            try:
                item = receiver.recv()
            except EOFError:  # the process died without saying it was done
                item = MonitorError("a shard of the check pass stopped unexpectedly")
            loop.call_soon_threadsafe(results.put_nowait, item)
            if not isinstance(item, CheckResult):
                return


def _run_shard(articles: list[WatchedArticle], config: Config, root: Path, sender: Connection) -> None:
    """A shard process: the ordinary pipeline over its articles, results sent to the parent."""

    async def run() -> None:
        with Store.open(root) as store:
            async for result in check_many(articles, config, store):
                sender.send(result)

    try:
        asyncio.run(run())
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent, as one line
        sender.send(MonitorError(str(exc) if isinstance(exc, MonitorError) else f"{type(exc).__name__}: {exc}"))
    else:
        sender.send(None)
    finally:
        sender.close()
