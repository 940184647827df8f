"""The article that `monitor demo` publishes, the edits it then makes, and the page around it.

The story is fiction: a dam on an invented river fails above an invented town. It is written in wire
style and then edited six times, each edit changing exactly one thing, so that the demo can show
the monitor naming each change correctly:

1. the headline is rewritten,
2. the mayor's quote is softened,
3. the death toll is revised,
4. a paragraph of new reporting is added,
5. a correction is appended,
6. a one-letter typo ("goverment") is fixed.

`render_page` wraps a story in a realistic news page whose furniture (the "last updated N minutes
ago" line, the view count, the order of related and trending stories, the ticker, a form token)
changes on every request, so that a monitor that compared raw pages would report a change every
time, while the story itself stays identical.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

MASTHEAD = "The Riverside Courier"
SITE_URL = "https://www.riversidecourier.example"
DEMO_PATH = "/news/2025/03/18/harlow-ford-dam-breach"
CANONICAL_URL = SITE_URL + DEMO_PATH

_T = TypeVar("_T")


@dataclass(frozen=True)
class DemoStory:
    """One published version of the demo article."""

    headline: str
    standfirst: str
    byline: str  # the authors' names, without "By"; the page shows "By <byline>"
    published: str  # ISO 8601 with offset
    modified: str  # ISO 8601 with offset
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class DemoEdit:
    """One edit the demo publishes: what it does, the change kinds expected, and the story after it."""

    description: str
    kinds: tuple[str, ...]
    story: DemoStory


# --------------------------------------------------------------------------------------------------
# The story
# --------------------------------------------------------------------------------------------------

_LEAD = (
    "HARLOW FORD — An earthen dam above this river town gave way before dawn on Tuesday, sending a "
    "wall of water through three communities downstream and killing at least {dead} people, "
    "emergency officials said."
)

_MAYOR_QUOTE = (
    '"{words}," Mayor Colleen Marsh told reporters outside the town\'s flooded fire station.'
)
_MAYOR_ORIGINAL = "We told the state this dam was a disaster waiting to happen, and nobody listened"
_MAYOR_SOFTENED = (
    "We raised concerns about this dam with the state more than once, and there will be questions "
    "to answer"
)

_SHELTERS = (
    "The state {gov} has opened four emergency shelters, including one in the gymnasium of Harlow "
    "Ford High School, and has asked the National Guard to help move residents out of the lower "
    "valley before nightfall."
)

ORIGINAL = DemoStory(
    headline="Dam gives way above Harlow Ford, sending floodwater through valley towns",
    standfirst=(
        "Rescuers in boats pulled residents from rooftops after the Carrow Lake dam failed before "
        "dawn, and dozens of people remain unaccounted for."
    ),
    byline="Maren Okafor and Tomas Wyle",
    published="2025-03-18T06:52:00-05:00",
    modified="2025-03-18T06:52:00-05:00",
    paragraphs=(
        _LEAD.format(dead="14"),
        "The Carrow Lake dam, a 60-foot earth embankment built in the 1950s to hold water for "
        "irrigation, failed at about 4:40 a.m. after four days of heavy rain, according to the "
        "Brennan County Office of Emergency Management. Sirens sounded in Harlow Ford roughly 20 "
        "minutes before the water reached the first houses.",
        "By midmorning, brown water stood to the eaves of homes along Mill Street, and crews in "
        "flat-bottomed boats were lifting people from rooftops and second-floor windows. At least "
        "1,200 people had been forced from their homes, the county said.",
        _MAYOR_QUOTE.format(words=_MAYOR_ORIGINAL),
        "Marsh said the town had asked for repairs to the dam's spillway in each of the past three "
        "budget cycles. State records show the dam was rated in poor condition at its most recent "
        "inspection.",
        '"Our crews are going house to house, and we will keep going until every single person is '
        'accounted for," said Dana Whitlock, a spokeswoman for the Brennan County Office of '
        "Emergency Management.",
        "Whitlock said two of the dead were volunteer firefighters whose truck was swept off the "
        "Route 9 bridge as they drove to warn families on the east bank. The bridge, the only "
        "crossing of the Tessel River for about 15 miles, has been closed.",
        _SHELTERS.format(gov="goverment"),
        "Farther downstream, in Pell's Landing and Osgood, the river spilled into basements and "
        "knocked out power to more than 6,000 customers, according to Tessel Valley Electric.",
        '"It sounded like a freight train coming down the hill," said Marcus Reyes, 52, who waded '
        'out of his house in Osgood carrying his two dogs. "By the time I got the door open, the '
        'water was at my knees."',
        "Engineers from the state's dam safety office are expected to inspect what remains of the "
        "embankment on Wednesday. Forecasters have warned of more rain across the region through "
        "the end of the week, raising fears that saturated hillsides could slide.",
        "The cause of the failure was not immediately known. The Carrow Lake dam is one of 212 "
        "structures in the state classed as high-hazard, meaning that its failure would be "
        "expected to cost lives.",
    ),
)

_NEW_PARAGRAPH = (
    "Volunteers from neighboring counties arrived through the afternoon with boats, bottled water "
    "and blankets, and churches on the higher ground west of town opened their halls to families "
    "with nowhere else to go."
)

_CORRECTION = (
    "Correction: An earlier version of this article misstated the county in which Harlow Ford "
    "lies. The town is in Brennan County, not Ashby County."
)


def _build_edits() -> tuple[DemoEdit, ...]:
    edits: list[DemoEdit] = []
    story = ORIGINAL

    def publish(description: str, kinds: tuple[str, ...], modified: str, **changes: object) -> None:
        nonlocal story
        story = replace(story, modified=modified, **changes)  # type: ignore[arg-type]
        edits.append(DemoEdit(description=description, kinds=kinds, story=story))

    def with_paragraph(index: int, text: str) -> tuple[str, ...]:
        paragraphs = list(story.paragraphs)
        paragraphs[index] = text
        return tuple(paragraphs)

    publish(
        "The headline is rewritten",
        ("headline",),
        "2025-03-18T07:41:00-05:00",
        headline="Harlow Ford dam collapse leaves valley under water as search for missing goes on",
    )
    publish(
        "The mayor's quote is softened",
        ("quote",),
        "2025-03-18T08:26:00-05:00",
        paragraphs=with_paragraph(3, _MAYOR_QUOTE.format(words=_MAYOR_SOFTENED)),
    )
    publish(
        "The death toll is revised from 14 to 17",
        ("figure",),
        "2025-03-18T09:58:00-05:00",
        paragraphs=with_paragraph(0, _LEAD.format(dead="17")),
    )
    publish(
        "A paragraph of new reporting is added",
        ("text",),
        "2025-03-18T11:15:00-05:00",
        paragraphs=story.paragraphs[:9] + (_NEW_PARAGRAPH,) + story.paragraphs[9:],
    )
    publish(
        "A correction is appended",
        ("correction",),
        "2025-03-18T13:02:00-05:00",
        paragraphs=story.paragraphs + (_CORRECTION,),
    )
    publish(
        'A typo is fixed ("goverment" becomes "government")',
        ("minor",),
        "2025-03-18T13:20:00-05:00",
        paragraphs=with_paragraph(7, _SHELTERS.format(gov="government")),
    )
    return tuple(edits)


EDITS: tuple[DemoEdit, ...] = _build_edits()


# --------------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------------

_NAV = ("Home", "News", "Local", "Politics", "Business", "Sport", "Weather", "Opinion", "Obituaries")

_TICKER = (
    "Route 9 bridge closed in both directions until further notice",
    "Flood watch extended for the whole Tessel Valley",
    "Schools in Brennan County closed on Wednesday",
    "Shelter locations: see our live map",
)

_RELATED = (
    ("/news/2024/09/02/carrow-lake-inspection-report", "Inspection report rated Carrow Lake dam in poor condition"),
    ("/news/2025/03/17/tessel-river-flood-watch", "Tessel River flood watch issued as rain keeps falling"),
    ("/news/2025/03/18/how-to-help-flood-victims", "How to help families displaced by the Harlow Ford flood"),
    ("/news/2023/11/20/high-hazard-dams-explained", "What makes a dam 'high-hazard'? Our guide"),
    ("/news/2025/03/18/flood-shelters-map", "Map: emergency shelters open across Brennan County"),
)

_TRENDING = (
    "City council delays vote on downtown parking plan",
    "Courier Kitchen: a spring soup for a wet week",
    "Riverside Rapids clinch a playoff spot with late goal",
    "Ferry timetable changes take effect next month",
    "Letters: readers on the new library hours",
    "Weather: more rain on the way for the valley",
)

_COMMENTS = (
    ("valleyreader", "Praying for everyone in Harlow Ford. My cousin is still waiting to hear from her neighbours."),
    ("osgood_ed", "We lost power at 5 this morning and the water is still rising on our street."),
    ("K. Lindqvist", "Who signed off on that inspection? Somebody needs to answer for this."),
)


def render_page(story: DemoStory, *, request_number: int, canonical_url: str = CANONICAL_URL) -> bytes:
    """The full HTML page (UTF-8) for `story`, with page furniture whose noise depends on request_number.

    The story's text is identical for every `request_number`; the "last updated" line, the view
    count, the ticker, the order of the related and trending lists and a form token all change.
    """
    n = request_number
    e = _text
    a = _attr
    minutes = n % 50 + 1
    views = 12_345 + 37 * n
    related = _rotate(_RELATED, n)
    trending = _rotate(_TRENDING, 2 * n + 1)
    ticker = _TICKER[n % len(_TICKER)]
    token = hashlib.sha256(f"courier-comment-{n}".encode()).hexdigest()[:24]
    authors = _authors(story.byline)

    json_ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.headline,
        "description": story.standfirst,
        "author": [{"@type": "Person", "name": name} for name in authors],
        "datePublished": story.published,
        "dateModified": story.modified,
        "mainEntityOfPage": canonical_url,
        "image": [SITE_URL + "/media/2025/03/carrow-lake-dam-breach.jpg"],
        "publisher": {"@type": "NewsMediaOrganization", "name": MASTHEAD},
    }
    # Markup characters become JSON escapes, so that no story text can end the script element early.
    json_ld_text = (
        json.dumps(json_ld, ensure_ascii=False, indent=2)
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
    )

    body = list(story.paragraphs)
    ad_after = min(3, len(body))
    newsletter_after = max(ad_after + 1, len(body) // 2 + 1) if len(body) > ad_after else len(body)
    body_html: list[str] = ['        <div class="share">Share on Facebook · Share on X · Share by email · Copy link</div>']
    for index, paragraph in enumerate(body, start=1):
        body_html.append(f"        <p>{e(paragraph)}</p>")
        if index == ad_after:
            body_html.append(
                '        <div class="ad ad-inline">Advertisement<div class="ad-slot" '
                f'data-slot="article-inline-1" data-cachebust="{n}"></div></div>'
            )
        if index == newsletter_after:
            body_html.append(
                '        <aside class="newsletter">\n'
                "          <h3>Get the morning briefing</h3>\n"
                "          <p>The day's top stories from the Tessel Valley, in your inbox by 6 a.m.</p>\n"
                '          <form action="/newsletter" method="post"><input type="email" name="email" '
                'placeholder="Your email"> <button type="submit">Subscribe</button></form>\n'
                "        </aside>"
            )
    if ad_after == 0:
        body_html.append('        <div class="ad ad-inline">Advertisement</div>')
    body_html.append('        <div class="share share-bottom">Share on Facebook · Share on X · Share by email</div>')

    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{e(story.headline)} | {MASTHEAD}</title>
  <meta name="description" content="{a(story.standfirst)}">
  <meta property="og:type" content="article">
  <meta property="og:site_name" content="{MASTHEAD}">
  <meta property="og:title" content="{a(story.headline)}">
  <meta property="og:description" content="{a(story.standfirst)}">
  <meta property="og:url" content="{a(canonical_url)}">
  <meta property="og:image" content="{SITE_URL}/media/2025/03/carrow-lake-dam-breach.jpg">
  <meta property="article:published_time" content="{a(story.published)}">
  <meta property="article:modified_time" content="{a(story.modified)}">
  <meta property="article:section" content="Local">
  <meta name="author" content="{a(story.byline)}">
  <link rel="canonical" href="{a(canonical_url)}">
  <link rel="stylesheet" href="/static/courier.css?v=2025.03.1">
  <script type="application/ld+json">
{json_ld_text}
  </script>
  <script>window.courier = {{pageViewId: "{token}", section: "local"}};</script>
</head>
<body class="article-page">
  <div class="consent-banner" role="dialog">We use cookies to personalize content and ads and to analyze our traffic.
    <button>Accept all</button> <button>Manage choices</button></div>
  <header class="site-header">
    <a class="masthead" href="/">{MASTHEAD}</a>
    <p class="tagline">News for the Tessel Valley since 1887</p>
    <nav class="main-nav">
      <ul>
{_join(f'        <li><a href="/{item.lower()}">{item}</a></li>' for item in _NAV)}
      </ul>
    </nav>
  </header>
  <div class="ticker"><span class="ticker-label">Breaking</span> {e(ticker)}</div>
  <div class="ad ad-leaderboard">Advertisement<div class="ad-slot" data-slot="leaderboard" data-cachebust="{n}"></div></div>
  <main>
    <article class="story">
      <header class="story-header">
        <p class="kicker"><a href="/local">Local</a> · Harlow Ford flood</p>
        <h1>{e(story.headline)}</h1>
        <p class="standfirst">{e(story.standfirst)}</p>
        <p class="byline">By {e(story.byline)}</p>
        <p class="dateline">Published <time datetime="{a(story.published)}">{e(_human_time(story.published))}</time>
          · Updated <time datetime="{a(story.modified)}">{e(_human_time(story.modified))}</time></p>
        <p class="updated">Last updated {minutes} minute{"" if minutes == 1 else "s"} ago · {views:,} views</p>
      </header>
      <figure class="lead-image">
        <img src="/media/2025/03/carrow-lake-dam-breach.jpg" alt="Floodwater surrounds houses on a residential street" width="1200" height="675">
        <figcaption>Rescuers steer a boat past flooded houses on Mill Street in Harlow Ford on Tuesday morning.
          <span class="credit">Photo: Jana Petrakis / Valley Press Agency</span></figcaption>
      </figure>
      <div class="article-body">
{_join(body_html)}
      </div>
      <section class="related">
        <h2>Related</h2>
        <ul>
{_join(f'          <li><a href="{href}">{e(title)}</a></li>' for href, title in related)}
        </ul>
      </section>
    </article>
    <aside class="trending">
      <h2>Trending now</h2>
      <ol>
{_join(f'        <li><a href="/trending/{i}">{e(title)}</a></li>' for i, title in enumerate(trending, start=1))}
      </ol>
    </aside>
    <section class="comments" id="comments">
      <h2>Comments ({len(_COMMENTS)})</h2>
{_join(f'      <div class="comment"><p class="comment-author">{e(who)}</p><p>{e(said)}</p></div>' for who, said in _COMMENTS)}
      <form class="comment-form" action="/comments" method="post">
        <input type="hidden" name="token" value="{token}">
        <textarea name="comment" placeholder="Join the conversation"></textarea>
        <button type="submit">Post comment</button>
      </form>
    </section>
  </main>
  <footer class="site-footer">
    <p>© 2025 {MASTHEAD}. All rights reserved.</p>
    <p><a href="/about">About us</a> · <a href="/contact">Contact</a> · <a href="/privacy">Privacy</a> · <a href="/terms">Terms</a> · <a href="/corrections">Corrections policy</a></p>
  </footer>
</body>
</html>
"""
    return page.encode("utf-8")


def page_renderer(story: DemoStory, *, start: int = 0, canonical_url: str = CANONICAL_URL) -> Callable[[], bytes]:
    """A body for `LocalSite.publish` that renders `story` afresh, with new noise, on every request."""
    lock = threading.Lock()
    counter = [start]

    def render() -> bytes:
        with lock:
            number = counter[0]
            counter[0] += 1
        return render_page(story, request_number=number, canonical_url=canonical_url)

    return render


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _join(lines: Iterable[str]) -> str:
    return "\n".join(lines)


def _rotate(items: tuple[_T, ...], by: int) -> tuple[_T, ...]:
    shift = by % len(items)
    return items[shift:] + items[:shift]


def _authors(byline: str) -> list[str]:
    names = byline.replace(" and ", ", ").split(",")
    return [name.strip() for name in names if name.strip()]


def _human_time(iso: str) -> str:
    """ "2025-03-18T06:52:00-05:00" -> "March 18, 2025, 6:52 a.m." (the text is left as is if unparsable)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    hour = moment.hour % 12 or 12
    suffix = "a.m." if moment.hour < 12 else "p.m."
    return f"{moment:%B} {moment.day}, {moment.year}, {hour}:{moment.minute:02d} {suffix}"

