"""Bytes on the wire, cache revalidations and first contentful paint of /catalog and a type page.

    .venv/bin/python benchmarks/assets.py [--runs 3] [--lighthouse DIR]

Starts gunicorn (as the Procfile does, `--no-control-socket`) on a free port against a fresh
database with the demo data (`flask seed-demo`): SQLite always, PostgreSQL too when there is
a server (benchmarks/_support.py). Debian's Chromium, driven by Playwright, then loads each
page with an empty cache ("first load"), the same page again ("second load": a normal navigation,
not a reload) and the other page after it ("next page"); bytes are what Chrome's DevTools
protocol reports as received on the wire (headers included). First contentful paint comes from
`performance.getEntriesByName('first-contentful-paint')` with an empty cache under DevTools
throttling close to Lighthouse's mobile profile (150 ms RTT, 1.6 Mbit/s down, 4x CPU
slowdown), median of --runs. With --lighthouse DIR (a folder where `npm i lighthouse` was run)
Lighthouse's own mobile run (simulated throttling) is reported too."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._support import backends as found_backends  # noqa: E402
from benchmarks._support import scratch_database, seed_demo  # noqa: E402
from tests.support.processes import free_port, start_web  # noqa: E402

BIN = Path(sys.executable).parent
# Lighthouse's mobile preset: 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up, CPU 4x slower.
THROTTLE = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
CPU_SLOWDOWN = 4


@dataclass
class Load:
    """What one navigation cost on the network."""

    bytes: int = 0
    requests: int = 0  # answered over the network (not from the browser's cache)
    from_cache: int = 0
    revalidated: int = 0  # 304 answers: the browser asked whether its copy was still good
    html_bytes: int = 0
    photo_bytes: int = 0  # the catalog's product photos (/media, lazy-loaded)
    encodings: dict[str, str] = field(default_factory=dict)


def chromium() -> str:
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    if not path:
        raise SystemExit("No Chromium: apt-get install chromium (or set CHROME_PATH)")
    return path


def record(page: Any, url: str) -> Load:
    """Navigate `page` to `url` and add up what came over the network (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    seen: dict[str, dict[str, Any]] = {}

    def entry(event: dict[str, Any]) -> dict[str, Any]:
        return seen.setdefault(event["requestId"], {})

    cdp.on("Network.requestServedFromCache", lambda e: entry(e).update(cache=True))
    cdp.on("Network.responseReceived", lambda e: entry(e).update(response=e["response"]))
    cdp.on("Network.loadingFinished", lambda e: entry(e).update(size=e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    cdp.detach()
    load = Load()
    for item in seen.values():
        response = item.get("response", {})
        cached = item.get("cache") or response.get("fromDiskCache")
        if cached:
            load.from_cache += 1
            continue
        if "size" not in item:
            continue
        load.requests += 1
        load.bytes += item["size"]
        if response.get("status") == 304:
            load.revalidated += 1
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        name = response.get("url", "").rsplit("/", 1)[-1] or "/"
        load.encodings[name] = headers.get("content-encoding", "-")
        if response.get("mimeType") == "text/html":
            load.html_bytes += item["size"]
        if "/media/" in response.get("url", ""):
            load.photo_bytes += item["size"]
    return load


def first_contentful_paint(browser: Any, url: str) -> float:
    context = browser.new_context(viewport={"width": 412, "height": 823}, is_mobile=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", THROTTLE)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(url, wait_until="load")
    fcp = page.evaluate(
        "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
    )
    context.close()
    return float(fcp)


def lighthouse(folder: Path | None, url: str) -> dict[str, float] | None:
    if folder is None:
        return None
    binary = folder / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        return None
    with tempfile.TemporaryDirectory(prefix="bench-assets-lh-") as out:
        report = Path(out) / "report.json"
        run = subprocess.run(
            [
                str(binary),
                url,
                "--quiet",
                "--only-categories=performance",
                "--output=json",
                f"--output-path={report}",
                "--chrome-flags=--headless=new --no-sandbox",
            ],
            env={**os.environ, "CHROME_PATH": chromium()},
            capture_output=True,
            timeout=300,
        )
        if run.returncode != 0 or not report.exists():
            return None
        data = json.loads(report.read_text())
    audits = data["audits"]
    return {
        "score": round(data["categories"]["performance"]["score"] * 100),
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "blocking_ms": audits.get("render-blocking-resources", {})
        .get("details", {})
        .get("overallSavingsMs", 0.0),
        "long_cache": audits.get("uses-long-cache-ttl", {}).get("score", 0),
        "compression": audits.get("uses-text-compression", {}).get("score", 0),
    }


def type_page(page: Any, base: str) -> str:
    page.goto(f"{base}/catalog")
    hrefs = page.eval_on_selector_all(
        "main a[href^='/catalog/']", "links => links.map(a => a.getAttribute('href'))"
    )
    slugs = [h for h in hrefs if h.count("/") == 2 and not h.startswith("/catalog/kits")]
    if not slugs:
        raise SystemExit("The demo catalog shows no equipment type")
    return slugs[0]


def measure(base: str, runs: int, lighthouse_dir: Path | None) -> list[list[str]]:
    from playwright.sync_api import sync_playwright

    rows: list[list[str]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        probe = browser.new_page()
        pages = {"/catalog": "/catalog", "type page": type_page(probe, base)}
        probe.close()
        for label, path in pages.items():
            other = next(v for v in pages.values() if v != path)
            context = browser.new_context()
            page = context.new_page()
            first = record(page, base + path)
            second = record(page, base + path)
            after = record(page, base + other)
            context.close()
            fcps = [first_contentful_paint(browser, base + path) for _ in range(runs)]
            lh = lighthouse(lighthouse_dir, base + path)
            rows.append(
                [
                    label,
                    f"{(first.bytes - first.photo_bytes) / 1024:.1f} KB "
                    f"(HTML {first.html_bytes / 1024:.1f})",
                    f"{first.photo_bytes / 1024:.1f} KB ({first.requests} req in all)",
                    f"{second.bytes / 1024:.1f} KB ({second.requests} req, "
                    f"{second.from_cache} cached)",
                    f"{after.bytes / 1024:.1f} KB ({after.requests} req)",
                    str(second.revalidated + after.revalidated),
                    f"{statistics.median(fcps):.0f}",
                    f"{lh['fcp_ms']:.0f} / {lh['score']}" if lh else "n/a",
                ]
            )
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="throttled FCP runs per page")
    parser.add_argument(
        "--lighthouse",
        type=Path,
        default=Path(os.environ["LIGHTHOUSE_DIR"]) if os.environ.get("LIGHTHOUSE_DIR") else None,
        help="folder with node_modules/.bin/lighthouse (env LIGHTHOUSE_DIR)",
    )
    parser.add_argument("--quick", action="store_true", help="short runs (make bench --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1
    backends = found_backends()
    lines = [
        "Fresh browser cache, then the same page again and the other page; throttled FCP: "
        f"150 ms RTT, 1.6 Mbit/s, CPU {CPU_SLOWDOWN}x, median of {args.runs}",
        "",
        "| backend | page | first load: page, CSS, JS | + photos | second load | next page | "
        "revalidated | FCP ms (throttled) | Lighthouse FCP ms / score |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend in backends:
        with (
            tempfile.TemporaryDirectory(prefix="bench-assets-") as scratch,
            scratch_database(backend, "assets") as url,
        ):
            seed_demo(url)  # migrates too
            port = free_port()
            web = start_web(url, port, Path(scratch), workers=2)
            try:
                base = f"http://127.0.0.1:{port}"
                for row in measure(base, args.runs, args.lighthouse):
                    lines.append(f"| {backend} | " + " | ".join(row) + " |")
            finally:
                web.stop()
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main(sys.argv[1:])
