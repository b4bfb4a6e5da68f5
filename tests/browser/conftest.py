"""A headless Chromium driven by Selenium, and the page it opens from the local API server.

Chromium and its driver come from Debian's packages (``chromium``, ``chromium-driver``), which
``.ci/run`` installs when they are missing. Selenium is pointed at Debian's chromedriver, so
Selenium Manager never tries to download a browser. A machine without them skips these tests
and says why.
"""

from __future__ import annotations

import base64
import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from chalicelib.config import Settings
from tests.conftest import configure_app, served_api
from training.local.throttling import FixedKeys, KeyGate, LocalKey

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPORTS = Path(__file__).resolve().parents[2] / "reports" / "page"
WAIT_SECONDS = 20
FROZEN_NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
INSTALL_HINT = "apt-get install -y chromium chromium-driver (what .ci/run does)"


def _missing_browser() -> str | None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        return f"the page's browser tests need {' and '.join(missing)}: {INSTALL_HINT}"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a module's tests, always quit at the end."""
    reason = _missing_browser()
    if reason:
        pytest.skip(reason)
    webdriver = pytest.importorskip(
        "selenium.webdriver",
        reason="selenium is not installed: pip install -r requirements-dev.txt",
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # Root in a container has no user namespace for Chromium's sandbox; /dev/shm may be tiny.
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS)


@pytest.fixture
def page(browser: Any, api_url: str, emulator: Any) -> Any:
    """The page freshly opened from the local API server, its tabs built from ``/models``."""
    configure_app(Settings(runtime_url=emulator.url, max_attempts=1))
    open_page(browser, api_url)
    return browser


def open_page(driver: Any, url: str) -> None:
    """Open the page with nothing left in this origin's session storage by an earlier test,
    and wait until it has built itself from ``/models``: its tabs, or the error saying why not."""
    driver.get(f"{url}/")
    driver.execute_script("sessionStorage.clear(); localStorage.clear();")
    driver.get(f"{url}/")
    wait(driver).until(
        lambda d: d.execute_script(
            "return document.querySelector('[role=tab], #status.problem') !== null;"
        )
    )


@contextmanager
def keyed_server(*keys: LocalKey) -> Iterator[str]:
    """The local API server asking for one of these keys as API Gateway does, its clocks
    frozen so that a key's burst is all it ever gets."""
    with served_api(KeyGate(FixedKeys(keys), clock=lambda: 0.0, now=lambda: FROZEN_NOW)) as url:
        yield url


@contextmanager
def stage_prefix(api_url: str, stage: str = "/api") -> Iterator[str]:
    """The API under a stage prefix, as API Gateway serves it: ``/api/models`` reaches the app
    as ``/models``. Yields the stage's URL without its trailing slash."""
    target = urlsplit(api_url)

    class StageHandler(BaseHTTPRequestHandler):
        def forward(self) -> None:
            if self.path != stage and not self.path.startswith(stage + "/"):
                # API Gateway's answer for a path outside every stage.
                self.send_answer(403, [], b'{"message": "Forbidden"}')
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path[len(stage) :] or "/", body, headers)
                answer = upstream.getresponse()
                self.send_answer(answer.status, answer.getheaders(), answer.read())
            finally:
                upstream.close()

        def send_answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = forward

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), StageHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{stage}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def screenshot(driver: Any, name: str) -> Path:
    """Save the whole page as ``reports/page/NAME.png``; check it is a PNG with a picture in it."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"{name}.png"
    # Chromium's own capture of the full page, not only the part inside the window.
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    with Image.open(path) as image:
        assert image.format == "PNG"
        pixels = np.asarray(image.convert("L"), dtype=float)
    # A blank page is one flat colour; text, inputs and bars make the pixels vary.
    assert pixels.std() > 10, f"{path} looks blank"
    return path
