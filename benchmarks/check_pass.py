"""Time `monitor check --all` over N article pages served from 127.0.0.1, against the floor.

Pass 1: every article is new. Pass 2: 10% of the articles were edited (one figure each), and every
page carries per-request noise (an "updated N minutes ago" line, rotating related links, a view
count), so the other 90% must come out unchanged. Pass 3: the server answers 304 Not Modified.
The floor is the least any monitor must do: download the same N pages with httpx at the same
concurrency and parse each with lxml, nothing else.

Each pass runs as its own process, so its CPU seconds and peak RSS are its own. The server runs in
another process (it shares the machine's cores with the pass being timed, as it would in life).

    .venv/bin/python benchmarks/check_pass.py [--n 1000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

PAGE_KB = 80
EDIT_SHARE = 0.10

# Invented vocabulary: the benchmark's text is generated, never copied from anywhere.
_WORDS = (
    "council harbour river bridge budget vote officials residents storm ferry school district mayor "
    "inspectors report plan funding water road repairs project board hearing members week county "
    "police station festival market energy prices transport service delays workers union talks "
    "agreement proposal evening morning statement spokesperson families shelter volunteers rescue "
    "crews damage estimate insurance claims province minister parliament committee review court"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 24))]
    words.insert(rng.randint(3, 8), f"{rng.randint(2, 9_999):,}")
    return " ".join(words).capitalize() + "."


def _story(index: int, edited: bool) -> tuple[str, list[str]]:
    rng = random.Random(index)
    headline = " ".join(rng.choice(_WORDS) for _ in range(9)).capitalize()
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(2, 4))) for _ in range(18)]
    if edited:
        paragraphs[3] = paragraphs[3].replace(".", f" and {index + 17:,} more.", 1)
    return headline, paragraphs


def render(index: int, edited: bool, request: int) -> bytes:
    """An ~80 KB news page: the story plus the furniture and per-request noise of a real site."""
    headline, paragraphs = _story(index, edited)
    rng = random.Random(request * 7919 + index)
    related = [f'<li><a href="/news/{n}">{" ".join(_WORDS[(n + k) % len(_WORDS)] for k in range(6))}</a></li>' for n in range(12)]
    rng.shuffle(related)
    nav = "".join(f'<li><a href="/section/{w}">{w.title()}</a></li>' for w in _WORDS)
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    head = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{headline} | The Bench Gazette</title>
<meta property="og:title" content="{headline}"><link rel="canonical" href="https://gazette.example/story/{index}">
<script type="application/ld+json">{json.dumps({"@type": "NewsArticle", "headline": headline, "datePublished": "2026-11-20T08:00:00+00:00"})}</script>
<style>{"".join(f".c{n}{{margin:{n}px;padding:{n % 7}px;color:#{n:06x}}}" for n in range(400))}</style>
<script>window.__CONFIG__={json.dumps({"slots": [{"id": f"ad-{n}", "sizes": [[300, 250], [728, 90]], "targeting": {"k": _WORDS[n % len(_WORDS)]}} for n in range(150)]})};</script>
</head><body><header><nav><ul>{nav}</ul></nav></header><div class="ad ad-top">Advertisement</div>
<main><article><h1>{headline}</h1><p class="byline">By Bench Reporter</p>
<p class="updated">Last updated {request % 59 + 1} minutes ago · {12_000 + request * 13:,} views</p>
<figure><img src="/img/{index}.jpg"><figcaption>A scene from the story. Photo: Gazette</figcaption></figure>
<div class="article-body">{body}<aside class="newsletter"><p>Sign up for the morning briefing.</p></aside></div>
<section class="related"><h2>Related</h2><ul>{"".join(related)}</ul></section></article></main>
<footer><ul>{nav}</ul><p>© The Bench Gazette</p></footer>"""
    page = head.encode("utf-8")
    padding = max(0, PAGE_KB * 1024 - len(page) - 20)
    return page + b"<!-- " + b"x" * padding + b" --></body></html>"


def _serve(n: int, conn: Connection) -> None:
    """The site, in its own process: commands arrive on `conn` ("edit", "conditional", "stop")."""
    from monitor.localsite import LocalSite

    counter = iter(range(10**9))

    def page(index: int, edited: bool):
        return lambda: render(index, edited, next(counter))

    with LocalSite() as site:
        for index in range(n):
            site.publish(f"/story/{index}", page(index, False))
        conn.send(site.base_url)
        edited: set[int] = set()
        while True:
            command, argument = conn.recv()
            if command == "edit":
                edited = set(argument)
                for index in edited:
                    site.publish(f"/story/{index}", page(index, True))
            elif command == "conditional":
                for index in range(n):
                    site.publish(f"/story/{index}", page(index, index in edited), etag=f'"{index}-{index in edited}"')
            else:
                break
            conn.send("ok")


def _run_measured(argv: list[str], stdin: bytes = b"") -> tuple[float, float, int, bytes]:
    """Run a process; returns wall seconds, CPU seconds, peak RSS in KB and its stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out)
        process.stdin.write(stdin)
        process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, output


async def _floor(urls: list[str], concurrency: int) -> None:
    import httpx
    import lxml.html

    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(url: str) -> None:
            async with limit:
                response = await client.get(url)
            lxml.html.document_fromstring(response.content)

        await asyncio.gather(*(one(url) for url in urls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of articles (default 1000)")
    parser.add_argument("--concurrency", type=int, default=8, help="checks in flight, globally and per host (default 8)")
    parser.add_argument("--floor-only", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_only:
        asyncio.run(_floor(args.floor_only, args.concurrency))
        return

    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(args.n, theirs), daemon=True)
    server.start()
    base_url = ours.recv()
    urls = [f"{base_url}/story/{index}" for index in range(args.n)]
    edited = set(random.Random(1).sample(range(args.n), int(args.n * EDIT_SHARE)))

    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        config = Path(tmp) / "monitor.toml"
        config.write_text(
            f'data_dir = "data"\n[http]\nallow_private_addresses = true\nconcurrency = {args.concurrency}\n'
            f"per_host_concurrency = {args.concurrency}\nretries = 0\n"
        )
        monitor = [sys.executable, "-m", "monitor", "--config", str(config)]
        subprocess.run([*monitor, "add", "-", "--no-fetch"], input="\n".join(urls).encode(), check=True, capture_output=True)
        url_index = {url: index for index, url in enumerate(urls)}

        def check_pass() -> tuple[tuple[float, float, int], list[dict]]:
            wall, cpu, rss, output = _run_measured([*monitor, "check", "--all", "--json"])
            return (wall, cpu, rss), [json.loads(line) for line in output.splitlines()]

        print(f"{args.n} articles of {PAGE_KB} KB, concurrency {args.concurrency}, {os.cpu_count()} cores")
        print(f"{'pass':<34}{'pages/s':>9}{'wall s':>8}{'CPU s':>8}{'peak RSS MB':>13}  outcome")

        def report(name: str, measured: tuple[float, float, int], outcome: str) -> None:
            wall, cpu, rss = measured
            print(f"{name:<34}{args.n / wall:>9.0f}{wall:>8.2f}{cpu:>8.2f}{rss / 1024:>13.0f}  {outcome}", flush=True)

        floor = _run_measured([sys.executable, __file__, "--concurrency", str(args.concurrency), "--floor-only", *urls])
        report("floor (httpx download + lxml parse)", floor[:3], "")

        measured, results = check_pass()
        report("pass 1: all new", measured, _summary(results))

        ours.send(("edit", sorted(edited)))
        ours.recv()
        measured, results = check_pass()
        false_changes = [r for r in results if r["status"] == "changed" and url_index[r["url"]] not in edited]
        missed = [r for r in results if url_index[r["url"]] in edited and r["status"] != "changed"]
        report("pass 2: 10% edited", measured, f"{_summary(results)}; false changes {len(false_changes)}, missed {len(missed)}")
        print(f"pass 2 / floor wall time: {measured[0] / floor[0]:.2f}x")

        ours.send(("conditional", None))
        ours.recv()
        check_pass()  # learns the validators
        measured, results = check_pass()
        report("pass 3: server answers 304", measured, _summary(results))
    ours.send(("stop", None))
    server.join(timeout=10)


def _summary(results: list[dict]) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))


if __name__ == "__main__":
    main()
