"""Build the labelled corpus (tests/corpus/pairs/*.json) from the hand-written articles.

    .venv/bin/python tests/corpus/build.py

Pairs per article: every labelled edit alone; edits two by two on different paragraphs; a few
edits under realistic rendering noise; and noise-only pairs (expected: no change). The JSON files
are checked in; rerun this after editing articles_*.py.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from articles_a import ARTICLES as PART_A  # noqa: E402
from articles_b import ARTICLES as PART_B  # noqa: E402
from articles_c import ARTICLES as PART_C  # noqa: E402

ARTICLES = PART_A + PART_B + PART_C
OUT = HERE / "pairs"
MODIFIED_OLD = "2025-03-04T09:00:00Z"
MODIFIED_NEW = "2025-03-04T11:30:00Z"


def base(article: dict) -> dict:
    return {
        "headline": article["headline"],
        "standfirst": article["standfirst"],
        "byline": article["byline"],
        "modified": MODIFIED_OLD,
        "paragraphs": list(article["paragraphs"]),
    }


def apply(version: dict, ops: list[tuple]) -> dict:
    version = json.loads(json.dumps(version))
    paragraphs = version["paragraphs"]
    # Index-based ops refer to the original paragraph numbers: apply from the end.
    for op in sorted(ops, key=lambda o: -o[1] if isinstance(o[1], int) else 0):
        kind = op[0]
        if kind in ("headline", "standfirst", "byline"):
            version[kind] = op[1]
        elif kind == "sub":
            _, i, old, new = op
            assert old in paragraphs[i], (old, paragraphs[i])
            paragraphs[i] = paragraphs[i].replace(old, new, 1)
        elif kind == "replace":
            paragraphs[op[1]] = op[2]
        elif kind == "insert":
            paragraphs.insert(op[1], op[2])
        elif kind == "delete":
            del paragraphs[op[1]]
        elif kind == "move":
            paragraphs.insert(op[2], paragraphs.pop(op[1]))
        else:
            raise ValueError(kind)
    return version


def touched(ops: list[tuple]) -> set:
    out = set()
    for op in ops:
        if op[0] in ("headline", "standfirst", "byline"):
            out.add(op[0])
        elif op[0] == "move":
            out.update({"all"})
        else:
            out.update({op[1], "insert" if op[0] in ("insert", "delete") else op[1]})
    return out


def parse(expect: list[str]) -> list[dict]:
    out = []
    for item in expect:
        head, *rest = item.split("|")
        kind, action = head.split()
        change = {"kind": kind, "action": action}
        if kind == "quote":
            change["speaker"] = rest[0] if rest else None
        if kind == "figure":
            change["before_value"] = rest[0] or None
            change["after_value"] = rest[1] or None
        out.append(change)
    return out


def stealth(expected: list[dict], modified_changed: bool) -> bool:
    substantive = any(c["kind"] in ("headline", "quote", "figure", "text") for c in expected)
    noted = any(c["kind"] == "correction" and c["action"] in ("added", "changed") for c in expected)
    return substantive and not modified_changed and not noted


# --------------------------------------------------------------------------- noise

CURLY = {'"': ("\u201c", "\u201d")}


def curl(text: str) -> str:
    out, open_ = [], True
    for ch in text:
        if ch == '"':
            out.append("\u201c" if open_ else "\u201d")
            open_ = not open_
        elif ch == "'":
            out.append("\u2019")
        else:
            out.append(ch)
    return "".join(out)


def uncurl(text: str) -> str:
    return re.sub("[\u201c\u201d\u201e\u00ab\u00bb]", '"', text).replace("\u2019", "'").replace("\u2018", "'")


def entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("\u2019", "&#8217;").replace("\u2014", "&mdash;").replace("\u00e9", "&eacute;")


def whitespace(text: str) -> str:
    return "  " + text.replace(". ", ".  ").replace(", ", ",\u00a0", 1) + " \n"


def invisible(text: str) -> str:
    words = text.split(" ")
    if len(words) > 4:
        words[3] = words[3] + "\u200b"
    return " ".join(words).replace("ation", "a\u00adtion", 1)


def reflow_split(paragraphs: list[str]) -> list[str]:
    for k, p in enumerate(paragraphs):
        from monitor.diff import split_sentences

        parts = split_sentences(p)
        if len(parts) >= 2:
            return paragraphs[:k] + [parts[0], " ".join(parts[1:])] + paragraphs[k + 1 :]
    return paragraphs


def reflow_merge(paragraphs: list[str]) -> list[str]:
    k = min(2, len(paragraphs) - 2)
    return paragraphs[:k] + [paragraphs[k] + " " + paragraphs[k + 1]] + paragraphs[k + 2 :]


LINKS = [
    "Read more: Harbour authority names new chief",
    "Related: Why the price of bread keeps rising",
    "READ MORE: Ten years on, the town that rebuilt itself",
    "See also: Council tax bills explained",
    "More on this story: https://news.example.org/latest?utm_source=web&utm_medium=related",
]


def furniture(paragraphs: list[str], rng: random.Random, kind: str) -> list[str]:
    out = list(paragraphs)
    k = rng.randrange(1, len(out))
    if kind == "ad":
        out.insert(k, rng.choice(["Advertisement", "ADVERTISEMENT", "Story continues below advertisement", "Sponsored"]))
    elif kind == "link":
        out.insert(k, rng.choice(LINKS))
    elif kind == "timestamp":
        out.insert(0, rng.choice(["Updated 5 minutes ago", "Published 2 hours ago", "Last updated: 10:42 GMT", "Updated 14:05 BST"]))
    elif kind == "views":
        out.append(rng.choice(["1,204 views", "12.5K shares", "37 comments", "Share this article"]))
    return out


NOISE = [
    ("whitespace", lambda v, r: {**v, "paragraphs": [whitespace(p) for p in v["paragraphs"]], "headline": v["headline"] + " "}),
    ("curly", lambda v, r: {**v, "paragraphs": [curl(p) for p in v["paragraphs"]], "headline": curl(v["headline"])}),
    ("straight", lambda v, r: {**v, "paragraphs": [uncurl(p) for p in v["paragraphs"]]}),
    ("entities", lambda v, r: {**v, "paragraphs": [entities(curl(p)) for p in v["paragraphs"]]}),
    ("invisible", lambda v, r: {**v, "paragraphs": [invisible(p) for p in v["paragraphs"]]}),
    ("reflow-split", lambda v, r: {**v, "paragraphs": reflow_split(v["paragraphs"])}),
    ("reflow-merge", lambda v, r: {**v, "paragraphs": reflow_merge(v["paragraphs"])}),
    ("ad", lambda v, r: {**v, "paragraphs": furniture(v["paragraphs"], r, "ad")}),
    ("link", lambda v, r: {**v, "paragraphs": furniture(v["paragraphs"], r, "link")}),
    ("timestamp", lambda v, r: {**v, "paragraphs": furniture(v["paragraphs"], r, "timestamp")}),
    ("views", lambda v, r: {**v, "paragraphs": furniture(v["paragraphs"], r, "views")}),
]


def build() -> dict[str, list[dict]]:
    rng = random.Random(4)
    files: dict[str, list[dict]] = {}
    for article in ARTICLES:
        old = base(article)
        pairs = []
        edits = article["edits"]

        def add(pid: str, new: dict, expected: list[dict], modified_changed: bool, old_version: dict = old) -> None:
            new = {**new, "modified": MODIFIED_NEW if modified_changed else old_version["modified"]}
            pairs.append(
                {
                    "id": f"{article['slug']}/{pid}",
                    "style": article["style"],
                    "old": old_version,
                    "new": new,
                    "expected": expected,
                    "stealth": stealth(expected, modified_changed),
                }
            )

        for n, edit in enumerate(edits):
            add(f"edit-{n}", apply(old, edit["ops"]), parse(edit["expect"]), not edit.get("stealth"))
        # Two edits together where they touch different paragraphs and neither inserts or moves.
        simple = [
            (n, e) for n, e in enumerate(edits)
            if all(op[0] in ("sub", "headline", "standfirst", "byline") for op in e["ops"])
        ]
        combos = 0
        for a in range(len(simple)):
            for b in range(a + 1, len(simple)):
                (na, ea), (nb, eb) = simple[a], simple[b]
                if touched(ea["ops"]) & touched(eb["ops"]) or combos >= 4 or (a + b) % 3:
                    continue
                combos += 1
                add(f"edit-{na}+{nb}", apply(old, ea["ops"] + eb["ops"]), parse(ea["expect"] + eb["expect"]), True)
        # Noise only: two or three kinds per article, rotating through the list.
        for k in range(4):
            name, noise = NOISE[(len(files) * 4 + k) % len(NOISE)]
            add(f"noise-{name}", noise(old, rng), [], rng.random() < 0.5)
        # An edit under noise.
        for k, (n, edit) in enumerate(simple[:2]):
            name, noise = NOISE[(len(files) + 5 * k + 2) % len(NOISE)]
            if name.startswith("reflow"):
                continue
            add(f"edit-{n}-{name}", noise(apply(old, edit["ops"]), rng), parse(edit["expect"]), True)
        files[article["slug"]] = pairs
    return files


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for stale in OUT.glob("*.json"):
        stale.unlink()
    total = quiet = 0
    for slug, pairs in build().items():
        (OUT / f"{slug}.json").write_text(json.dumps(pairs, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        total += len(pairs)
        quiet += sum(1 for p in pairs if not p["expected"])
    print(f"{total} pairs ({total - quiet} with changes, {quiet} noise only) in {OUT}")


if __name__ == "__main__":
    main()
