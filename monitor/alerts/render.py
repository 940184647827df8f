"""Alerts turned into words: an email subject, a text and an HTML body, Slack and Discord payloads.

Pure functions of the alerts' payloads (`CheckResult.to_dict()` plus `delivery_id`, `article_name`
and `tags`); nothing here touches the network. Every piece of article text is escaped for the
format it lands in: `html.escape` in HTML, `&`/`<`/`>` in Slack mrkdwn, markdown characters in
Discord (whose payloads also turn mentions off, so an article quoting "@everyone" pings no one).

Subjects name the article and the kinds of change, most severe first:

    Headline and figure changed: Ministry revises casualty figures
    Article gone: https://news.example/world/123
    3 articles changed: headline, quote, figure
    3 articles: 2 changed (headline, quote), 1 gone
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.diff import word_diff
from monitor.models import CHANGE_KINDS, SEVERITY, Alert

SUBJECT_LIMIT = 250
# Slack: a section's text holds at most 3000 characters, a header 150, a message 50 blocks.
SLACK_SECTION_LIMIT = 3000
SLACK_HEADER_LIMIT = 150
SLACK_BLOCK_LIMIT = 50
# Discord: content 2000, embed title 256, description 4096, footer 2048, 10 embeds, 6000 in all embeds.
DISCORD_CONTENT_LIMIT = 2000
DISCORD_TITLE_LIMIT = 256
DISCORD_DESCRIPTION_LIMIT = 4096
DISCORD_FOOTER_LIMIT = 2048
DISCORD_EMBED_LIMIT = 10
DISCORD_TOTAL_LIMIT = 6000

ELLIPSIS = "…"
_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
_KIND_NOUN = {"minor": "minor wording", "move": "paragraph order"}
_SEVERITY_COLOUR = {"high": "#c5221f", "medium": "#b06000", "low": "#5f6368"}
_DISCORD_COLOUR = {"high": 0xC5221F, "medium": 0xE37400, "low": 0x9AA0A6}
_STEALTH_NOTE = "Stealth edit: changed without a new modified date or a correction or update note."
_TEST_NOTE = "This is a test message from article-monitor (`monitor alerts test`): no article changed."


# --------------------------------------------------------------------------- reading a payload


def _payload(alert: Alert) -> Mapping[str, Any]:
    return alert.payload or {}


def _changes(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in payload.get("changes") or [] if isinstance(c, Mapping)]


def _oneline(text: Any) -> str:
    return " ".join(str(text).split())


def _url(payload: Mapping[str, Any]) -> str:
    return str(payload.get("final_url") or payload.get("url") or "")


def article_title(payload: Mapping[str, Any]) -> str:
    """The article's name from the config, else its (new) headline, else its URL."""
    if payload.get("article_name"):
        return _oneline(payload["article_name"])
    for change in _changes(payload):
        if change.get("kind") == "headline" and (change.get("after") or change.get("before")):
            return _oneline(change.get("after") or change.get("before"))
    return _oneline(payload.get("url") or payload.get("final_url") or payload.get("article_id") or "article")


def _severity(change: Mapping[str, Any]) -> str:
    return str(change.get("severity") or SEVERITY.get(str(change.get("kind")), "low"))


def _kinds(alerts: Sequence[Alert]) -> list[str]:
    """Distinct kinds of change, most severe first, then in the usual kind order."""
    found = {str(c["kind"]) for alert in alerts for c in _changes(_payload(alert)) if c.get("kind")}
    order = {kind: i for i, kind in enumerate(CHANGE_KINDS)}
    return sorted(found, key=lambda k: (_SEVERITY_RANK.get(SEVERITY.get(k, "low"), 3), order.get(k, 99), k))


def _noun(kind: str) -> str:
    return _KIND_NOUN.get(kind, kind)


def _and(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _relative(value: Any) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    text = f"{value * 100:+.1f}".removesuffix(".0")
    return f"{text}%"


def _figure_line(change: Mapping[str, Any]) -> str | None:
    """ "12 → 15 (+25%), counting soldier deaths" for a figure change; None for other kinds."""
    if change.get("kind") != "figure":
        return None
    before, after = change.get("before_value"), change.get("after_value")
    if before and after:
        line = f"{before} → {after}"
    elif after:
        line = f"{after} (new)"
    elif before:
        line = f"{before} (removed)"
    else:
        return None
    relative = _relative(change.get("relative_change"))
    if relative:
        line += f" ({relative})"
    if change.get("counted"):
        line += f", counting {change['counted']}"
    return line


def _change_title(change: Mapping[str, Any]) -> str:
    kind = str(change.get("kind") or "change")
    action = str(change.get("action") or "changed")
    if kind == "move":
        return "Paragraph moved"
    return f"{_noun(kind).capitalize()} {action}"


def _context(change: Mapping[str, Any]) -> str | None:
    """The sentence around a quote, when it adds something to the quotation itself."""
    context = change.get("context")
    if change.get("kind") != "quote" or not context:
        return None
    core = str(context).rstrip(ELLIPSIS)
    if any(core and core in str(change.get(side) or "") for side in ("before", "after")):
        return None
    return str(context)


def _blocks(change: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The text blocks to show: ("before", text) and/or ("after", text)."""
    out = []
    if change.get("before") is not None:
        out.append(("before", str(change["before"])))
    if change.get("after") is not None:
        out.append(("after", str(change["after"])))
    return out


_BLOCK_LABEL = {
    ("changed", "before"): "Before",
    ("changed", "after"): "After",
    ("added", "after"): "Added",
    ("removed", "before"): "Removed",
}


def _block_label(change: Mapping[str, Any], side: str) -> str:
    return _BLOCK_LABEL.get((str(change.get("action")), side), side.capitalize())


def _status_line(payload: Mapping[str, Any]) -> str | None:
    status = payload.get("status")
    if status == "gone":
        return f"The article is gone: {payload.get('error') or 'no longer served'}."
    if status == "error":
        return f"The check failed: {payload.get('error') or 'unknown error'}."
    if status == "new":
        return "The article is now watched; its first version was stored."
    if status == "test":
        return _TEST_NOTE
    return None


def _notes(payload: Mapping[str, Any]) -> list[str]:
    notes = []
    line = _status_line(payload)
    if line:
        notes.append(line)
    if payload.get("summary") and payload.get("status") != "test":
        notes.append(f"Summary: {payload['summary']}")
    if payload.get("stealth"):
        notes.append(_STEALTH_NOTE)
    if payload.get("suspect"):
        notes.append(f"Suspect version, not compared: {payload['suspect']}")
    if payload.get("headline_test"):
        notes.append("Headline A/B test, variants: " + " | ".join(str(v) for v in payload["headline_test"]))
    return notes


def _version_line(payload: Mapping[str, Any]) -> str | None:
    if payload.get("version") is None:
        return None
    line = f"Version {payload['version']}"
    if payload.get("previous_version") is not None:
        line += f" (previous {payload['previous_version']})"
    return line


# --------------------------------------------------------------------------- subject


def _one_subject(alert: Alert) -> str:
    payload = _payload(alert)
    status = payload.get("status")
    title = article_title(payload)
    if status == "test":
        return f"Test message from article-monitor (channel {alert.channel})"
    if status == "gone":
        return f"Article gone: {title}"
    if status == "error":
        return f"Check failed: {title}"
    if status == "new":
        return f"Now watching: {title}"
    kinds = _kinds([alert])
    if kinds:
        return f"{_and([_noun(k) for k in kinds]).capitalize()} changed: {title}"
    if payload.get("suspect"):
        return f"Article changed (suspect: {_oneline(payload['suspect'])}): {title}"
    return f"Article {status or 'changed'}: {title}"


def _digest_subject(alerts: Sequence[Alert]) -> str:
    payloads = [_payload(a) for a in alerts]
    articles = len({p.get("article_id") or p.get("url") for p in payloads})
    if articles == 1:
        # Several events on one article (a digest window): name it, count the updates.
        first = _one_subject(alerts[-1])
        kinds = _kinds(alerts)
        if kinds and all(p.get("status") == "changed" for p in payloads):
            first = f"{_and([_noun(k) for k in kinds]).capitalize()} changed: {article_title(payloads[-1])}"
        head, _, title = first.partition(": ")
        return f"{head} ({len(alerts)} updates): {title}"
    noun = f"{articles} articles" + (f" ({len(alerts)} updates)" if len(alerts) > articles else "")
    kinds = ", ".join(_noun(k) for k in _kinds(alerts))
    statuses: dict[str, int] = {}
    for p in payloads:
        status = str(p.get("status") or "changed")
        statuses[status] = statuses.get(status, 0) + 1
    if set(statuses) == {"changed"}:
        return f"{noun} changed: {kinds}" if kinds else f"{noun} changed"
    words = {"error": "failed", "new": "new"}
    parts = []
    for status in ("changed", "gone", "error", "new", *sorted(set(statuses) - {"changed", "gone", "error", "new"})):
        if status in statuses:
            part = f"{statuses[status]} {words.get(status, status)}"
            if status == "changed" and kinds:
                part += f" ({kinds})"
            parts.append(part)
    return f"{noun}: " + ", ".join(parts)


def subject(alerts: Sequence[Alert]) -> str:
    """One line naming the article (or counting them) and the kinds of change."""
    if not alerts:
        return "No alerts"
    text = _oneline(_one_subject(alerts[0]) if len(alerts) == 1 else _digest_subject(alerts))
    return _truncate(text, SUBJECT_LIMIT)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS


# --------------------------------------------------------------------------- text body


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line.strip() else line for line in text.splitlines() or [""])


def _text_alert(alert: Alert) -> str:
    payload = _payload(alert)
    lines = [_one_subject(alert)]
    url = _url(payload)
    if url:
        lines.append(url)
    lines.append("")
    lines.extend(_notes(payload))
    version = _version_line(payload)
    if version:
        lines.append(version)
    changes = _changes(payload)
    for number, change in enumerate(changes, 1):
        lines.append("")
        head = f"{number}. {_change_title(change)} (severity: {_severity(change)})"
        if change.get("kind") == "quote" and change.get("speaker"):
            head += f", speaker: {change['speaker']}"
        lines.append(head)
        figure = _figure_line(change)
        if figure:
            lines.append(f"   Figure: {figure}")
        for side, text in _blocks(change):
            lines.append(f"   {_block_label(change, side)}:")
            lines.append(_indent(text, "      "))
        context = _context(change)
        if context:
            lines.append("   In context:")
            lines.append(_indent(context, "      "))
    return "\n".join(line.rstrip() for line in lines)


def text_body(alerts: Sequence[Alert]) -> str:
    """A plain-text body: each alert with every change's full before and after text."""
    parts = []
    if len(alerts) > 1:
        parts.append(subject(alerts) + "\n")
    rule = "\n\n" + "=" * 72 + "\n\n"
    parts.append(rule.join(_text_alert(alert) for alert in alerts))
    parts.append("\n-- \nSent by article-monitor.\n")
    return "\n".join(parts)


# --------------------------------------------------------------------------- HTML body

_E = html.escape
_STYLE_BLOCK = {
    "before": "background:#fdecea;border-left:4px solid #d93025;",
    "after": "background:#e6f4ea;border-left:4px solid #188038;",
}
_STYLE_DEL = "background:#f6c5c1;color:#a50e0e;text-decoration:line-through;"
_STYLE_INS = "background:#b7e1c1;color:#0b5e1f;text-decoration:none;font-weight:bold;"


def _safe_href(url: str) -> str | None:
    return url if re.match(r"(?i)https?://", url) else None


def _html_link(url: str, label: str | None = None) -> str:
    href = _safe_href(url)
    text = _E(label or url)
    return f'<a href="{_E(href, quote=True)}" style="color:#1a73e8;">{text}</a>' if href else text


def _html_words(change: Mapping[str, Any], side: str, text: str) -> str:
    """`text` escaped, with the words that differ from the other side highlighted."""
    before, after = change.get("before"), change.get("after")
    if before is None or after is None:
        return _E(text)
    try:
        spans = word_diff(str(before), str(after))
    except Exception:  # noqa: BLE001 - a highlight is a bonus: never lose the message over it
        return _E(text)
    shown = "delete" if side == "before" else "insert"
    out = []
    for span in spans:
        if span.op == "equal":
            out.append(_E(span.text))
        elif span.op == shown:
            tag, style = ("del", _STYLE_DEL) if side == "before" else ("ins", _STYLE_INS)
            out.append(f'<{tag} style="{style}">{_E(span.text)}</{tag}>')
    return "".join(out)


def _html_change(change: Mapping[str, Any]) -> str:
    severity = _severity(change)
    colour = _SEVERITY_COLOUR.get(severity, "#5f6368")
    head = (
        f'<div style="font-weight:bold;font-size:15px;">{_E(_change_title(change))} '
        f'<span style="display:inline-block;font-size:11px;font-weight:bold;color:#fff;background:{colour};'
        f'border-radius:3px;padding:1px 6px;vertical-align:middle;">{_E(severity.upper())}</span></div>'
    )
    extra = []
    if change.get("kind") == "quote" and change.get("speaker"):
        extra.append(f"Speaker: <strong>{_E(str(change['speaker']))}</strong>")
    figure = _figure_line(change)
    if figure:
        extra.append(f"Figure: <strong>{_E(figure)}</strong>")
    meta = "".join(f'<div style="margin-top:4px;color:#3c4043;">{line}</div>' for line in extra)
    blocks = []
    for side, text in _blocks(change):
        blocks.append(
            f'<div style="margin-top:8px;">'
            f'<div style="font-size:12px;color:#5f6368;text-transform:uppercase;letter-spacing:.05em;">'
            f"{_E(_block_label(change, side))}</div>"
            f'<div style="{_STYLE_BLOCK[side]}padding:8px 12px;white-space:pre-wrap;line-height:1.5;">'
            f"{_html_words(change, side, text)}</div></div>"
        )
    context = _context(change)
    if context:
        blocks.append(
            f'<div style="margin-top:8px;color:#5f6368;font-size:13px;">In context: <em>{_E(context)}</em></div>'
        )
    return (
        '<div style="border:1px solid #dadce0;border-radius:6px;margin:12px 0;padding:10px 14px;">'
        + head
        + meta
        + "".join(blocks)
        + "</div>"
    )


def _html_alert(alert: Alert) -> str:
    payload = _payload(alert)
    parts = [f'<h2 style="font-size:18px;margin:16px 0 4px;">{_E(_one_subject(alert))}</h2>']
    url = _url(payload)
    if url:
        parts.append(f'<p style="margin:0 0 8px;">{_html_link(url)}</p>')
    for note in _notes(payload):
        style = "background:#fef7e0;border:1px solid #f9ab00;padding:6px 10px;" if note == _STEALTH_NOTE else ""
        if note.startswith("Summary: "):
            parts.append(f'<p style="margin:6px 0;{style}"><strong>Summary:</strong> {_E(note[9:])}</p>')
        else:
            parts.append(f'<p style="margin:6px 0;{style}">{_E(note)}</p>')
    version = _version_line(payload)
    if version:
        parts.append(f'<p style="margin:6px 0;color:#5f6368;font-size:13px;">{_E(version)}</p>')
    parts.extend(_html_change(change) for change in _changes(payload))
    return "\n".join(parts)


def html_body(alerts: Sequence[Alert]) -> str:
    """An HTML body: each change as a card with the before text (red, removed words struck) above the
    after text (green, added words highlighted). All article text is escaped."""
    title = subject(alerts)
    sections = []
    if len(alerts) > 1:
        sections.append(f'<h1 style="font-size:20px;margin:0 0 8px;">{_E(title)}</h1>')
    separator = '\n<hr style="border:none;border-top:2px solid #dadce0;margin:24px 0;">\n'
    sections.append(separator.join(_html_alert(alert) for alert in alerts))
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{_E(title)}</title></head>\n"
        '<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;'
        'font-size:14px;color:#202124;">\n<div style="max-width:760px;">\n'
        + "\n".join(sections)
        + '\n<p style="margin-top:24px;color:#80868b;font-size:12px;">Sent by article-monitor.</p>'
        "\n</div>\n</body></html>\n"
    )


# --------------------------------------------------------------------------- Slack


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str, label: str) -> str:
    href = _safe_href(url)
    if not href:
        return _slack_escape(label)
    href = href.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{href}|{_slack_escape(label)}>"


def _slack_quote(text: str, limit: int) -> str:
    return "\n".join(">" + line for line in _slack_escape(_truncate(text, limit)).splitlines() or [""])


def _slack_change(change: Mapping[str, Any]) -> str:
    head = f"*{_slack_escape(_change_title(change))}* · {_severity(change)}"
    if change.get("kind") == "quote" and change.get("speaker"):
        head += f" · speaker: {_slack_escape(str(change['speaker']))}"
    lines = [head]
    figure = _figure_line(change)
    if figure:
        lines.append(f"Figure: *{_slack_escape(figure)}*")
    blocks = _blocks(change)
    # Leave room for the labels and the head within the section limit.
    room = max((SLACK_SECTION_LIMIT - 400) // max(len(blocks), 1), 200)
    for side, text in blocks:
        lines.append(f"*{_block_label(change, side)}:*")
        lines.append(_slack_quote(text, room))
    return _truncate("\n".join(lines), SLACK_SECTION_LIMIT)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(text, SLACK_SECTION_LIMIT)}}


def slack_payload(alerts: Sequence[Alert]) -> dict:
    """A Slack incoming-webhook message: `text` (the subject, for notifications) and mrkdwn `blocks`:
    a header, then per alert a section with the link and notes and one section per change."""
    title = subject(alerts)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _truncate(title, SLACK_HEADER_LIMIT), "emoji": False}}
    ]
    for index, alert in enumerate(alerts):
        payload = _payload(alert)
        if index:
            blocks.append({"type": "divider"})
        lines = [f"*{_slack_link(_url(payload), _one_subject(alert))}*"]
        lines.extend(_slack_escape(note) for note in _notes(payload))
        version = _version_line(payload)
        if version:
            lines.append(f"_{version}_")
        blocks.append(_section("\n".join(lines)))
        blocks.extend(_section(_slack_change(change)) for change in _changes(payload))
    if len(blocks) > SLACK_BLOCK_LIMIT:
        hidden = len(blocks) - (SLACK_BLOCK_LIMIT - 1)
        blocks = blocks[: SLACK_BLOCK_LIMIT - 1]
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"… {hidden} more sections not shown (see the email or `monitor diff`)."}]}
        )
    return {"text": _slack_escape(title), "blocks": blocks}


# --------------------------------------------------------------------------- Discord

# Markdown that works anywhere in a line, and what only starts a line (quote, heading, list item).
_DISCORD_INLINE = re.compile(r"([\\*_~`|\[\]])")
_DISCORD_LINE_START = re.compile(r"(?m)^(\s*)([>#-])")


def _discord_escape(text: str) -> str:
    return _DISCORD_LINE_START.sub(r"\1\\\2", _DISCORD_INLINE.sub(r"\\\1", text))


def _discord_change(change: Mapping[str, Any]) -> str:
    head = f"**{_discord_escape(_change_title(change))}** ({_severity(change)})"
    if change.get("kind") == "quote" and change.get("speaker"):
        head += f" · speaker: {_discord_escape(str(change['speaker']))}"
    lines = [head]
    figure = _figure_line(change)
    if figure:
        lines.append(f"Figure: **{_discord_escape(figure)}**")
    for side, text in _blocks(change):
        lines.append(f"**{_block_label(change, side)}:** {_discord_escape(_truncate(_oneline(text), 1500))}")
    return "\n".join(lines)


def _discord_description(payload: Mapping[str, Any]) -> str:
    parts = [_discord_escape(note) for note in _notes(payload)]
    parts.extend(_discord_change(change) for change in _changes(payload))
    return "\n\n".join(parts)


def _share(lengths: list[int], budget: int) -> list[int]:
    """Characters allotted to each text so that the total fits `budget` (short texts keep everything)."""
    allot = [0] * len(lengths)
    remaining = max(budget, 0)
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for position, i in enumerate(order):
        fair = remaining // (len(order) - position)
        allot[i] = min(lengths[i], fair)
        remaining -= allot[i]
    return allot


def discord_payload(alerts: Sequence[Alert]) -> dict:
    """A Discord webhook message: `content` (the subject) and one embed per alert (at most 10), within
    Discord's limits (content 2000, description 4096, 6000 characters over all embeds); mentions off."""
    shown = list(alerts[:DISCORD_EMBED_LIMIT])
    content = subject(alerts)
    if len(alerts) > len(shown):
        content += f" (first {len(shown)} of {len(alerts)} shown)"
    embeds: list[dict[str, Any]] = []
    descriptions = []
    for alert in shown:
        payload = _payload(alert)
        changes = _changes(payload)
        worst = min((_SEVERITY_RANK.get(_severity(c), 2) for c in changes), default=1 if payload.get("status") == "gone" else 2)
        severity = {0: "high", 1: "medium", 2: "low"}[worst]
        embed: dict[str, Any] = {
            "title": _truncate(_one_subject(alert), DISCORD_TITLE_LIMIT),
            "color": _DISCORD_COLOUR[severity],
        }
        href = _safe_href(_url(payload))
        if href:
            embed["url"] = href
        footer = " · ".join(x for x in (_version_line(payload), f"delivery {alert.delivery_id}") if x)
        embed["footer"] = {"text": _truncate(footer, DISCORD_FOOTER_LIMIT)}
        embeds.append(embed)
        descriptions.append(_discord_description(payload))
    fixed = sum(len(e["title"]) + len(e["footer"]["text"]) for e in embeds)
    allot = _share([len(d) for d in descriptions], DISCORD_TOTAL_LIMIT - fixed)
    for embed, description, room in zip(embeds, descriptions, allot):
        text = _truncate(description, min(room, DISCORD_DESCRIPTION_LIMIT))
        if text:
            embed["description"] = text
    return {
        "content": _truncate(_discord_escape(content), DISCORD_CONTENT_LIMIT),
        "embeds": embeds,
        "allowed_mentions": {"parse": []},
    }
