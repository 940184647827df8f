"""A realistic news page built at test time around the shared seed article, watched through an edit.

The seed is real third-party text, read from ../shared at run time and never copied into the
project; the page furniture around it is the project's own.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import pytest

from monitor import extract_article
from monitor.config import Config, HttpSettings
from monitor.localsite import LocalSite
from monitor.models import CheckResult
from monitor.pipeline import check_many
from monitor.store import Store

NEW_HEADLINE = "Leaders agree to pursue a ceasefire after a long phone call, officials say"


def seed_blocks(shared_dir: Path) -> list[str]:
    text = (shared_dir / "seed" / "trump-putin-call.txt").read_text(encoding="utf-8")
    return [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]


def build_page(blocks: list[str], *, request: int) -> str:
    """The seed's blocks laid out as a news site would: captions in figures, the newsletter in an aside."""
    headline, standfirst, *rest = blocks
    body: list[str] = []
    newsletter: list[str] = []
    for block in rest:
        if "credit" in block.lower():
            lines = "<br>".join(html.escape(line) for line in block.splitlines())
            body.append(f'<figure><img src="/photo.jpg" alt=""><figcaption>{lines}</figcaption></figure>')
        elif block.startswith(("Stay updated", "Subscribe to")):
            newsletter.append(f"<p>{html.escape(block)}</p>")
            if len(newsletter) == 2:
                body.append(f'<aside class="newsletter">{"".join(newsletter)}<form><input type="email"><button>Sign up</button></form></aside>')
        elif not block.endswith((".", '"', "!", "?")):
            body.append(f"<h2>{html.escape(block)}</h2>")
        else:
            body.append(f"<p>{html.escape(block)}</p>")
    related = [f'<li><a href="/r/{n}">Related story number {n}</a></li>' for n in range(6)]
    related = related[request % 6 :] + related[: request % 6]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(headline)} | Daily Wire Desk</title>
<meta property="og:title" content="{html.escape(headline, quote=True)}"></head>
<body><header><nav><a href="/">Home</a><a href="/world">World</a><a href="/politics">Politics</a></nav></header>
<div class="ad ad-banner">Advertisement</div>
<main><article><h1>{html.escape(headline)}</h1><p class="standfirst">{html.escape(standfirst)}</p>
<p class="updated">Updated {request % 40 + 1} minutes ago</p>
<div class="article-body">{"".join(body)}</div>
<section class="related"><h2>Read more</h2><ul>{"".join(related)}</ul></section></article></main>
<footer>All rights reserved</footer></body></html>"""


def edited(blocks: list[str]) -> list[str]:
    """The seed with its headline rewritten, one quote reworded and one figure revised."""
    changed = [NEW_HEADLINE, *blocks[1:]]
    quote_index = next(i for i, b in enumerate(changed) if b.endswith("Peskov told reporters."))
    changed[quote_index] = changed[quote_index].replace("a large number of questions", "many open questions", 1)
    figure_index = next(i for i, b in enumerate(changed) if "2,500" in b)
    changed[figure_index] = changed[figure_index].replace("2,500", "3,000", 1)
    return changed


@pytest.fixture
def blocks(shared_dir: Path) -> list[str]:
    return seed_blocks(shared_dir)


def test_seed_page_extracts_story_without_furniture(blocks: list[str]) -> None:
    article = extract_article(build_page(blocks, request=3), "https://wire.example/world/call")
    assert article.headline == blocks[0]
    assert article.standfirst == blocks[1]
    body = article.body
    for needle in ('"lasting peace"', "2,500 soldier deaths", "30-day ceasefire", "about a fifth of Ukrainian territory", "Peskov told reporters"):
        assert needle in body, needle
    for furniture in ("Stay updated with the latest news!", "Newsletter", "photo credit", "(credit:", "Advertisement", "Related story", "minutes ago"):
        assert furniture not in body, furniture


def check_once(store: Store, config: Config, url: str) -> CheckResult:
    async def run() -> CheckResult:
        return [result async for result in check_many([store.resolve(url)], config, store)][0]

    return asyncio.run(run())


def test_seed_edit_gives_exactly_headline_quote_and_figure(blocks: list[str], site: LocalSite, tmp_path: Path) -> None:
    requests = iter(range(10**6))
    current = {"blocks": blocks}
    url = site.publish("/world/call", lambda: build_page(current["blocks"], request=next(requests)).encode())
    config = Config(data_dir=tmp_path, http=HttpSettings(allow_private_addresses=True, retries=0))
    with Store.open(tmp_path) as store:
        store.add_article(url)
        assert check_once(store, config, url).status == "new"
        assert check_once(store, config, url).status == "unchanged", "per-request noise is not a change"

        current["blocks"] = edited(blocks)
        result = check_once(store, config, url)

    assert result.status == "changed"
    # Reading order: the headline, then the figure's paragraph, then the quote's.
    assert [change.kind for change in result.changes] == ["headline", "figure", "quote"]
    headline, figure, quote = result.changes
    assert (headline.action, headline.before, headline.after) == ("changed", blocks[0], NEW_HEADLINE)
    assert quote.action == "changed"
    assert "a large number of questions" in quote.before and "many open questions" in quote.after
    assert quote.speaker == "Peskov"
    assert (figure.action, figure.before_value, figure.after_value) == ("changed", "2,500", "3,000")
