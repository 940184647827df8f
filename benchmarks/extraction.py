"""Score `monitor.extract_article` against trafilatura on the shared article-extraction dev set.

Both extractors run in this one process over the same pages, interleaved (page by page, the order
of the two alternating on every repetition), so that a busy shared machine slows both alike.  The
quality figures (precision, recall, F1, accuracy) are those of `../shared/tools/extraction_eval.py`,
whose functions are imported here, not re-implemented.  Times are per call, HTML text in, body
text out; each page's time is the median of its repetitions, and the table shows the median and
95th percentile of those over the pages.

trafilatura runs as `trafilatura.extract(html, url=url, include_comments=False)`: its defaults
otherwise (tables kept, no precision/recall bias, fallback extractors on).  Comments are not part
of an article body, and the benchmark's ground truth leaves them out.

    .venv/bin/python benchmarks/extraction.py [--repeat 3] [--worst 10] [--no-trafilatura]

trafilatura is a benchmark-only dependency (`pip install -e '.[bench]'`); without it only ours runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data" / "article-extraction-benchmark" / "dev"
EVAL = SHARED / "tools" / "extraction_eval.py"

sys.path.insert(0, str(ROOT))


def _load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_eval", EVAL)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {EVAL}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ours() -> Callable[[str, str | None], str]:
    from monitor.extract import extract_article

    return lambda html, url: extract_article(html, url).body


def _trafilatura() -> Callable[[str, str | None], str] | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(html: str, url: str | None) -> str:
        return trafilatura.extract(html, url=url, include_comments=False) or ""

    return run


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per page and extractor (default 3)")
    parser.add_argument("--worst", type=int, default=10, help="list this many of our lowest per-page F1 (0: none)")
    parser.add_argument("--no-trafilatura", action="store_true", help="run only our extractor")
    parser.add_argument("--dump", help="write our predictions as JSON {id: {articleBody}} to this file")
    args = parser.parse_args()

    if not (DATA / "ground-truth.json").is_file() or not EVAL.is_file():
        print(
            f"extraction benchmark: {SHARED} is absent or incomplete (need {DATA.relative_to(SHARED.parent)}"
            f" and {EVAL.relative_to(SHARED.parent)}); it holds third-party data kept beside the checkout.",
            file=sys.stderr,
        )
        return 2
    evaluation = _load_eval()
    extractors: dict[str, Callable[[str, str | None], str]] = {"article-monitor": _ours()}
    if not args.no_trafilatura:
        traf = _trafilatura()
        if traf is None:
            print("# trafilatura is not installed (pip install -e '.[bench]'): running ours only", file=sys.stderr)
        else:
            extractors["trafilatura 2.x"] = traf
            import trafilatura  # noqa: F401  (name the version in the table)

            version = getattr(sys.modules["trafilatura"], "__version__", "?")
            extractors = {
                ("trafilatura " + version if name.startswith("trafilatura") else name): fn
                for name, fn in extractors.items()
            }

    pages = []
    for pid, raw, true, url in evaluation.load_dataset(DATA):
        pages.append((pid, raw.decode("utf-8"), true, url))
    names = list(extractors)
    # Warm up both (imports, caches) on a few pages, untimed.
    for _, html, _, url in pages[:5]:
        for fn in extractors.values():
            fn(html, url)

    rows: dict[str, list] = {n: [] for n in names}
    times: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, int] = {n: 0 for n in names}
    per_page: dict[str, dict[str, tuple]] = {n: {} for n in names}
    dump: dict[str, dict[str, str]] = {}
    for index, (pid, html, true, url) in enumerate(pages):
        samples: dict[str, list[float]] = {n: [] for n in names}
        outputs: dict[str, str] = {}
        for rep in range(max(1, args.repeat)):
            order = names if (index + rep) % 2 == 0 else names[::-1]
            for name in order:
                start = time.perf_counter()
                try:
                    text = extractors[name](html, url)
                except Exception as exc:  # a failure is an empty prediction, as in extraction_eval
                    text = ""
                    if rep == 0:
                        errors[name] += 1
                        print(f"# {name} {pid}: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
                samples[name].append((time.perf_counter() - start) * 1000)
                outputs[name] = text
        for name in names:
            row = evaluation.page_scores(true, outputs[name])
            rows[name].append(row)
            per_page[name][pid] = row
            times[name].append(statistics.median(samples[name]))
        dump[pid] = {"articleBody": outputs[names[0]]}

    print(f"dev set: {DATA} ({len(pages)} pages), {max(1, args.repeat)} timed call(s) per page, interleaved")
    print("trafilatura options: extract(html, url=url, include_comments=False), other options default")
    print()
    print(f"{'extractor':<20} {'F1':>6} {'prec':>6} {'recall':>6} {'acc':>6} {'ms med':>7} {'ms p95':>7} {'errors':>6}")
    for name in names:
        m = evaluation.aggregate(rows[name])
        print(
            f"{name:<20} {m['F1']:>6.3f} {m['P']:>6.3f} {m['R']:>6.3f} {m['acc']:>6.3f} "
            f"{statistics.median(times[name]):>7.1f} {_percentile(times[name], 0.95):>7.1f} {errors[name]:>6}"
        )
    if len(names) == 2:
        ours, theirs = (evaluation.aggregate(rows[n])["F1"] for n in names)
        speed = statistics.median(times[names[1]]) / max(1e-9, statistics.median(times[names[0]]))
        print(f"\nF1 margin over {names[1]}: {ours - theirs:+.3f}; median speed: {speed:.2f}x theirs")

    if args.worst:
        print(f"\nlowest per-page F1 ({names[0]}):")
        scored = []
        for pid, ((tp, fp, fn), _) in per_page[names[0]].items():
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            scored.append((f1, p, r, pid))
        for f1, p, r, pid in sorted(scored)[: args.worst]:
            print(f"  {pid}  F1 {f1:.3f}  P {p:.3f}  R {r:.3f}")
    if args.dump:
        Path(args.dump).write_text(json.dumps(dump, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
