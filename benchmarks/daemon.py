"""Run `monitor run` over N watched articles on a local multi-host site, one schedule compressed.

Issue 5's figures: the daemon's peak RSS (target <= 150 MB), its CPU while nothing is due (target
< 2% of a core), and the largest lag between a check's due time and its start (target < 5 s), with
the per-host limits respected.

The site runs in its own process as H LocalSite servers bound to 127.0.0.1 .. 127.0.0.H (all of
127.0.0.0/8 is loopback on Linux), so every host is a host of its own for the fetcher's per-host
bounds; each server counts the requests it is answering at once, and when each request began.
Pages are check_pass's noisy news pages shrunk to --page-kb (stylesheet and ad config trimmed, then
padded), with fresh noise on every request, so the first round stores new versions and later
rounds come out unchanged.

Schedule: every article gets the same --interval; all are due at start, so the daemon spreads the
first round over `restart_spread` (--spread). With spread < 0.9 * interval (jitter 10%) there is a
quiet gap after the first round in which nothing is due; the daemon's CPU is measured over the
longest such gap found in its log (a 2 s margin either side), from /proc/<pid>/stat samples.

    .venv/bin/python benchmarks/daemon.py [--n 10000] [--hosts 20] [--duration 270] ...

Everything runs against 127.0.0.0/8, in a temporary data folder, bounded by --duration.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from http.server import ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import check_pass

from monitor.localsite import LocalSite, _handler_for

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TARGET_RSS_MB = 150
TARGET_IDLE_CPU = 0.02
TARGET_LAG_S = 5.0
STOP_DEADLINE_S = 10.0


# The site ---------------------------------------------------------------------------------------

_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)
_CONFIG = re.compile(rb"window\.__CONFIG__=(.*?);</script>", re.DOTALL)


def render(index: int, request: int, page_kb: int) -> bytes:
    """check_pass's page for `index` at about `page_kb` KB: trimmed when its natural size is larger."""
    check_pass.PAGE_KB = 0  # no padding: trim first, then pad to the size asked for
    page = check_pass.render(index, False, request)
    page = page[: -len(b"<!--  --></body></html>")]
    target = page_kb * 1024 - 20
    excess = len(page) - target
    if excess > 0:  # drop ad slots, then stylesheet rules, until the page fits (story and noise stay)
        match = _CONFIG.search(page)
        config = json.loads(match.group(1))
        slots = config["slots"]
        per_slot = max(1, (len(match.group(1)) - 20) // max(1, len(slots)))
        keep = max(5, len(slots) - -(-excess // per_slot))
        config["slots"] = slots[:keep]
        new = json.dumps(config).encode()
        page = page[: match.start(1)] + new + page[match.end(1) :]
        excess = len(page) - target
    if excess > 0:
        match = _STYLE.search(page)
        rules = re.findall(rb"[^}]*\}", match.group(1))
        while rules and excess > 0 and len(rules) > 10:
            excess -= len(rules.pop())
        page = page[: match.start(1)] + b"".join(rules) + page[match.end(1) :]
    padding = max(0, target - len(page))
    return page + b"<!-- " + b"x" * padding + b" --></body></html>"


class HostSite(LocalSite):
    """A LocalSite bound to any loopback address, counting the requests it answers at once.

    A request counts from the moment its request line was parsed until the moment its response
    starts to be written: that interval lies inside the client's own (which ends when the response
    is fully read), so the maximum observed can only under-, never over-state the client's.
    """

    def __init__(self, address: str) -> None:
        super().__init__()
        self._server.server_close()  # LocalSite binds 127.0.0.1: rebind to `address` below
        self.in_flight = 0
        self.max_in_flight = 0
        self.starts: list[float] = []
        self.first_seen: dict[str, float] = {}  # path -> when its first request arrived
        site = self
        base = _handler_for(self)

        class Counting(base):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:
                site._enter(self.path)
                self._counted = True
                try:
                    super().do_GET()
                finally:
                    if self._counted:
                        site._leave()

            def _answer(self, *args: object, **kwargs: object) -> None:
                if getattr(self, "_counted", False):
                    self._counted = False
                    site._leave()
                super()._answer(*args, **kwargs)

        self._server = ThreadingHTTPServer((address, 0), Counting)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"site-{address}", daemon=True
        )

    def record(self, hit: object) -> None:  # keep no per-request headers: 30,000+ requests
        pass

    def _enter(self, path: str) -> None:
        now = time.monotonic()
        with self._lock:
            self.first_seen.setdefault(path, now)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.starts.append(now)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def stats(self) -> dict[str, object]:
        with self._lock:
            starts = sorted(self.starts)
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        per_second: dict[int, int] = {}
        for moment in starts:
            per_second[int(moment)] = per_second.get(int(moment), 0) + 1
        return {
            "requests": len(starts),
            "max_in_flight": self.max_in_flight,
            "min_gap_s": min(gaps) if gaps else float("nan"),
            "p01_gap_s": sorted(gaps)[len(gaps) // 100] if gaps else float("nan"),
            "max_per_second": max(per_second.values(), default=0),
            "first_seen": dict(self.first_seen),
        }


_NOISE = re.compile(rb"Last updated \d+ minutes ago \xc2\xb7 [\d,]+ views")


class Pages:
    """Each article's page, rendered once on its first request; every answer gets fresh noise."""

    def __init__(self, page_kb: int) -> None:
        self.page_kb = page_kb
        self.cache: dict[int, bytes] = {}
        self.counter = iter(range(1, 10**9))

    def __call__(self, index: int) -> bytes:
        page = self.cache.get(index)
        if page is None:
            page = self.cache[index] = render(index, 0, self.page_kb)
        request = next(self.counter)
        noise = f"Last updated {request % 59 + 1} minutes ago \u00b7 {12_000 + request * 13:,} views".encode()
        return _NOISE.sub(noise.ljust(len(_NOISE.search(page).group(0))), page, count=1)


def _serve(n: int, hosts: int, page_kb: int, conn: Connection) -> None:
    """The site's process: H hosts, article i on host i % H; answers "stats" and "stop"."""
    try:
        pages = Pages(page_kb)
        sites = [HostSite(f"127.0.0.{h + 1}").start() for h in range(hosts)]
        for index in range(n):
            sites[index % hosts].publish(f"/story/{index}", lambda i=index: pages(i))
        conn.send(("ok", [site.base_url for site in sites]))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which explains and exits
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        command = conn.recv()
        if command == "stats":
            conn.send({site.base_url: site.stats() for site in sites})
        else:
            break
    for site in sites:
        site.stop()


# Measuring the daemon ---------------------------------------------------------------------------


@dataclass
class Sample:
    time: float  # wall clock, to line up with the log's times
    rss_kb: int
    hwm_kb: int
    cpu_s: float


def sample(pid: int) -> Sample | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    fields = stat.rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)
    kb = lambda key: int(values.get(key, "0 kB").split()[0])
    return Sample(time.time(), kb("VmRSS"), kb("VmHWM"), cpu)


def fail(message: str) -> None:
    raise SystemExit(f"daemon benchmark: {message}")


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="All traffic stays on 127.0.0.0/8; the data folder is temporary."
    )
    parser.add_argument("--n", type=int, default=10_000, help="watched articles (default 10000)")
    parser.add_argument("--hosts", type=int, default=20, help="loopback hosts 127.0.0.1..H serving them (default 20)")
    parser.add_argument("--page-kb", type=int, default=20, help="page size in KB (default 20)")
    parser.add_argument("--interval", type=int, default=240, help="each article's check interval, seconds (default 240)")
    parser.add_argument("--spread", type=int, default=180, help="schedule.restart_spread: first round spread, seconds (default 180)")
    parser.add_argument("--duration", type=int, default=270, help="seconds the daemon runs (default 270)")
    parser.add_argument("--concurrency", type=int, default=8, help="http.concurrency (default 8)")
    parser.add_argument("--per-host-concurrency", type=int, default=2, help="http.per_host_concurrency (default 2)")
    parser.add_argument("--per-host-delay", type=float, default=0.1, help="http.per_host_delay, seconds (default 0.1)")
    args = parser.parse_args()
    if not (1 <= args.hosts <= 250 and args.n >= 1 and args.duration >= 10 and args.page_kb >= 1):
        fail("need 1 <= --hosts <= 250, --n >= 1, --duration >= 10, --page-kb >= 1")

    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(args.n, args.hosts, args.page_kb, theirs), daemon=True)
    server.start()
    if not ours.poll(60):
        server.kill()
        fail("the local site did not start within 60 s")
    state, payload = ours.recv()
    if state != "ok":
        fail(f"the local site failed to start: {payload}")
    base_urls: list[str] = payload
    urls = [f"{base_urls[index % args.hosts]}/story/{index}" for index in range(args.n)]
    page_bytes = len(render(0, 0, args.page_kb))

    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        config = Path(tmp) / "monitor.toml"
        config.write_text(
            'data_dir = "data"\n'
            "[http]\nallow_private_addresses = true\nretries = 0\n"
            f"concurrency = {args.concurrency}\nper_host_concurrency = {args.per_host_concurrency}\n"
            f"per_host_delay = {args.per_host_delay}\n"
            f'[schedule]\nrestart_spread = "{args.spread}s"\n'
        )
        monitor = [sys.executable, "-m", "monitor", "--config", str(config)]
        started = time.perf_counter()
        added = subprocess.run(
            [*monitor, "add", "-", "--no-fetch", "--interval", f"{args.interval}s"],
            input="\n".join(urls).encode(),
            capture_output=True,
            check=False,
            cwd=tmp,
        )
        if added.returncode != 0:
            fail(f"`monitor add` failed ({added.returncode}): {added.stderr.decode(errors='replace')[-2000:]}")
        add_seconds = time.perf_counter() - started

        log_path = Path(tmp) / "daemon.log"
        samples: list[Sample] = []
        with open(log_path, "wb") as log:
            daemon = subprocess.Popen([*monitor, "run", "--log-format", "json"], stdout=subprocess.DEVNULL, stderr=log, cwd=tmp)
            launched = time.time()
            ended = launched + args.duration
            exit_status = None
            start_seen = False
            while time.time() < ended:
                pid, status = os.waitpid(daemon.pid, os.WNOHANG)
                if pid:
                    exit_status = os.waitstatus_to_exitcode(status)
                    break
                taken = sample(daemon.pid)
                if taken:
                    samples.append(taken)
                if not start_seen:
                    start_seen = b'"event": "start"' in log_path.read_bytes()[:4096]
                    if not start_seen and time.time() - launched > 60:
                        daemon.kill()
                        daemon.wait()
                        fail(f"`monitor run` logged no start within 60 s; log:\n{_log_tail(log_path)}")
                time.sleep(0.5)
            if exit_status is not None:
                fail(f"`monitor run` exited early with status {exit_status}; log:\n{_log_tail(log_path)}")
            last = sample(daemon.pid)
            if last:
                samples.append(last)
            stop_sent = time.perf_counter()
            daemon.send_signal(signal.SIGTERM)
            killed = False
            while True:
                pid, status, usage = os.wait4(daemon.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - stop_sent > 30:
                    daemon.kill()
                    killed = True
                    pid, status, usage = os.wait4(daemon.pid, 0)
                    break
                time.sleep(0.02)
            stop_seconds = time.perf_counter() - stop_sent
            daemon.returncode = os.waitstatus_to_exitcode(status)

        ours.send("stats")
        site_stats: dict[str, dict[str, float]] = ours.recv()
        ours.send("stop")
        server.join(timeout=10)

        events = []
        bad_lines: list[str] = []
        for line in log_path.read_text(errors="replace").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                bad_lines.append(line)
        report(args, page_bytes, add_seconds, events, bad_lines, samples, site_stats, stop_seconds, killed, daemon.returncode, usage, log_path)


def report(
    args: argparse.Namespace,
    page_bytes: int,
    add_seconds: float,
    events: list[dict],
    bad_lines: list[str],
    samples: list[Sample],
    site_stats: dict[str, dict[str, float]],
    stop_seconds: float,
    killed: bool,
    returncode: int,
    usage: os.struct_rusage,
    log_path: Path,
) -> None:
    checks = [e for e in events if e.get("event") == "check"]
    start = next((e for e in events if e.get("event") == "start"), None)
    t0 = _timestamp(start["time"]) if start else (samples[0].time if samples else time.time())
    check_times = sorted(_timestamp(e["time"]) - t0 for e in checks)
    lags = [float(e["lag_s"]) for e in checks if "lag_s" in e]
    statuses: dict[str, int] = {}
    for check in checks:
        statuses[check.get("status", "?")] = statuses.get(check.get("status", "?"), 0) + 1
    errors = [e for e in checks if e.get("status") in ("error", "gone") or e.get("error")]
    other_errors = [e for e in events if e.get("level") in ("error", "warning", "critical")]
    run_span = (samples[-1].time - t0) if samples else float("nan")

    # The busiest 10 s, and the first round's span (first check to the n-th check).
    per_10s: dict[int, int] = {}
    for moment in check_times:
        per_10s[int(moment // 10)] = per_10s.get(int(moment // 10), 0) + 1
    busiest = max(per_10s.values(), default=0) / 10
    round_end = check_times[args.n - 1] if len(check_times) >= args.n else float("nan")

    # Quiet windows: the longest gap between consecutive checks, less a 2 s margin either side.
    gaps = [(b - a, a, b) for a, b in zip([0.0, *check_times], [*check_times, run_span])]
    idle_cpu = idle_len = float("nan")
    idle_from = idle_to = float("nan")
    idle_spikes: list[tuple[float, float]] = []
    if gaps:
        _, gap_from, gap_to = max(gaps)
        inside = [s for s in samples if gap_from + 2 <= s.time - t0 <= gap_to - 2]
        if len(inside) >= 2 and inside[-1].time - inside[0].time >= 5:
            idle_len = inside[-1].time - inside[0].time
            idle_cpu = (inside[-1].cpu_s - inside[0].cpu_s) / idle_len
            idle_from, idle_to = inside[0].time - t0, inside[-1].time - t0
            steps = [(b.cpu_s - a.cpu_s, a.time - t0) for a, b in itertools.pairwise(inside)]
            idle_spikes = sorted(steps, reverse=True)[:4]

    peak_rss_mb = max((s.hwm_kb for s in samples), default=0) / 1024
    maxrss_mb = usage.ru_maxrss / 1024
    busy_cpu = (usage.ru_utime + usage.ru_stime) / run_span if not math.isnan(run_span) and run_span > 0 else float("nan")

    def rss_at(second: float) -> float:
        near = [s for s in samples if s.time - t0 <= second]
        return (near[-1].rss_kb / 1024) if near else float("nan")

    # The same article checked twice within half an interval: a duplicate check.
    last_seen: dict[str, float] = {}
    duplicates = 0
    for check in sorted(checks, key=lambda e: e["time"]):
        moment = _timestamp(check["time"])
        previous = last_seen.get(check.get("url", ""))
        if previous is not None and moment - previous < args.interval / 2:
            duplicates += 1
        last_seen[check.get("url", "")] = moment

    # Lag over time: the largest lag in each minute, to see whether it grows.
    lag_by_minute: dict[int, float] = {}
    for check in checks:
        minute = int((_timestamp(check["time"]) - t0) // 60)
        lag_by_minute[minute] = max(lag_by_minute.get(minute, 0.0), float(check.get("lag_s", 0.0)))

    # The first round's real delay, due -> request at the site (lag_s stops at the job's start, before
    # the fetcher's queues): article i (rowid order = URL order) is due at T0 + i * spread / n.
    step = args.spread / args.n
    first_seen: dict[str, float] = {}
    for stats in site_stats.values():
        first_seen.update(stats["first_seen"])
    shifted = [first_seen[f"/story/{i}"] - i * step for i in range(args.n) if f"/story/{i}" in first_seen]
    anchor = min(shifted, default=0.0)
    round1_delay = [moment - anchor for moment in shifted]

    max_in_flight = max((s["max_in_flight"] for s in site_stats.values()), default=0)
    site_requests = sum(s["requests"] for s in site_stats.values())
    min_gap = min((s["min_gap_s"] for s in site_stats.values()), default=float("nan"))
    p01_gap = min((s["p01_gap_s"] for s in site_stats.values()), default=float("nan"))
    max_per_second = max((s["max_per_second"] for s in site_stats.values()), default=0)
    rate_cap = (1 / args.per_host_delay) if args.per_host_delay else float("inf")

    print(
        f"{args.n} articles on {args.hosts} hosts (127.0.0.1-{args.hosts}), pages {page_bytes / 1024:.0f} KB with per-request noise, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"interval {args.interval} s each, first round spread over {args.spread} s; http concurrency {args.concurrency}, "
        f"per host {args.per_host_concurrency}, per-host delay {args.per_host_delay} s; ran {run_span:.0f} s"
    )
    print(f"setup: `monitor add - --no-fetch` of {args.n} URLs took {add_seconds:.1f} s")
    print()
    print(f"{'figure':<48}{'measured':>14}  target")
    rows = [
        ("peak RSS (VmHWM), MB", f"{peak_rss_mb:.0f}", f"<= {TARGET_RSS_MB}"),
        ("  RSS at 10 s / end of round 1 / end, MB", f"{rss_at(10):.0f}/{rss_at(round_end + 1):.0f}/{rss_at(run_span):.0f}", ""),
        (f"idle CPU, share of a core ({idle_len:.0f} s quiet window)", f"{idle_cpu * 100:.2f}%", f"< {TARGET_IDLE_CPU * 100:.0f}%"),
        ("max lag due -> start, s", f"{max(lags, default=float('nan')):.2f}", f"< {TARGET_LAG_S:.0f}"),
        ("p99 / median lag, s", f"{_percentile(lags, 0.99):.2f}/{_percentile(lags, 0.5):.3f}", ""),
        ("round 1: due -> request at site, max/p99, s", f"{max(round1_delay, default=float('nan')):.2f}/{_percentile(round1_delay, 0.99):.2f}", "(incl. fetch queues)"),
        ("max requests in flight per host (site side)", f"{max_in_flight}", f"<= {args.per_host_concurrency}"),
        ("min gap between request starts per host, s", f"{min_gap:.3f}", f"~{args.per_host_delay} (p1 {p01_gap:.3f})"),
        ("max requests per host in one second", f"{max_per_second}", f"<= {rate_cap:.0f}" if rate_cap != float("inf") else ""),
        ("stop after SIGTERM, s", f"{stop_seconds:.2f}" + (" KILLED" if killed else ""), f"< {STOP_DEADLINE_S:.0f}"),
        ("checks / checks per s (whole run)", f"{len(checks)}/{len(checks) / run_span:.1f}", ""),
        ("busiest 10 s, checks per s", f"{busiest:.1f}", ""),
        ("first round done after, s", f"{round_end:.1f}", f"~{args.spread}"),
        ("check errors (error/gone)", f"{len(errors)}", "0"),
        ("duplicate checks (< interval/2 apart)", f"{duplicates}", "0"),
        ("daemon CPU over the run, share of a core", f"{busy_cpu * 100:.0f}%", ""),
    ]
    for name, measured, target in rows:
        print(f"{name:<48}{measured:>14}  {target}")
    print()
    print("check outcomes: " + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())))
    print("max lag per minute: " + ", ".join(f"[{m}] {lag:.2f}s" for m, lag in sorted(lag_by_minute.items())))
    if not math.isnan(idle_from):
        print(f"quiet window used for idle CPU: {idle_from:.0f}-{idle_to:.0f} s after start (no check logged in it); "
              "busiest 0.5 s samples in it: " + ", ".join(f"{cpu * 1000:.0f} ms CPU at {at:.1f} s" for cpu, at in idle_spikes))
    else:
        print("no quiet window of 5 s or more between checks: idle CPU not measured (make --spread < 0.9 * --interval)")
    print(f"site: {site_requests} requests answered; daemon exit status {returncode}, ru_maxrss {maxrss_mb:.0f} MB")
    if errors:
        sample_errors = sorted({str(e.get("error")) for e in errors})[:5]
        print("check errors, e.g.: " + "; ".join(sample_errors))
    if other_errors or bad_lines:
        print(f"log: {len(other_errors)} warning/error events, {len(bad_lines)} lines not JSON; e.g.:")
        for event in other_errors[:3]:
            print("  " + json.dumps(event)[:300])
        for line in list(dict.fromkeys(bad_lines))[:5]:
            print("  " + line[:300])
    if returncode != 0:
        print(f"daemon log tail:\n{_log_tail(log_path)}")


if __name__ == "__main__":
    main()
