"""Refresh the screenshots of Today and a story page (desktop and phone widths) from the demo store.

    essentiel demo --no-serve --dir /tmp/demo-e
    .venv/bin/python docs/screenshots/make_screenshots.py /tmp/demo-e/essentiel.db

Headless Debian Chromium through Playwright; the server is uvicorn on loopback; nothing else is fetched.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from essentiel.store import open_store
from essentiel.web import create_app

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(db_path: str, out: Path = HERE) -> list[Path]:
    with open_store(db_path, readonly=True) as store:
        edition = store.latest_edition()
    if edition is None:
        raise SystemExit("no edition in that store: run `essentiel demo --no-serve` first")
    story_id = edition.stories[0].story.id
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(db_path), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, (width, height) in SIZES.items():
                page = browser.new_page(viewport={"width": width, "height": height}, locale="fr-FR")
                for page_name, path in (("today", "/"), ("story", f"/story/{story_id}")):
                    page.goto(f"http://127.0.0.1:{port}{path}")
                    target = out / f"{page_name}-{name}.png"
                    page.screenshot(path=str(target))
                    written.append(target)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return written


if __name__ == "__main__":
    for path in main(sys.argv[1] if len(sys.argv) > 1 else "essentiel-demo/essentiel.db"):
        print(path)
