"""The report opened in a real browser: headless Chromium (Debian's ``chromium``) driven through ChromeDriver
(``chromium-driver``) by Selenium, from a ``file://`` URL with the network switched off (Chrome DevTools'
offline emulation, on top of the page's own Content-Security-Policy). What it reports: console errors, every
image's and SVG's rendered size, the sections present, and a full-page screenshot."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from host_tools.errors import ToolMissing

# Chromium on a closed network: no background connections, no first-run work (see the machine notes).
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
         "--disable-default-apps", "--disable-extensions", "--mute-audio")
WIDTH = 1280
MAX_HEIGHT = 16000

_IMAGES_JS = "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]);"
_SVGS_JS = ("return Array.from(document.querySelectorAll('svg')).map(s => "
            "{const r = s.getBoundingClientRect(); return [r.width, r.height];});")


@dataclass
class BrowserCheck:
    console_errors: list[str] = field(default_factory=list)
    images: list[tuple[str, bool, int, int]] = field(default_factory=list)  # alt, complete, natural w, h
    svgs: list[tuple[float, float]] = field(default_factory=list)  # rendered width, height
    sections: list[str] = field(default_factory=list)  # ids of the <section>s
    title: str = ""
    screenshot: Path | None = None

    @property
    def broken_images(self) -> list[str]:
        return [alt for alt, done, w, h in self.images if not done or w == 0 or h == 0]

    @property
    def empty_svgs(self) -> int:
        return sum(1 for w, h in self.svgs if w <= 0 or h <= 0)

    @property
    def ok(self) -> bool:
        return not self.console_errors and not self.broken_images and not self.empty_svgs


def _tools() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        raise ToolMissing("headless Chromium and ChromeDriver are needed to check the report in a browser",
                          hint="apt-get install chromium chromium-driver (scripts/system-deps.sh installs them)")
    return chromium, driver


def check(html: Path, screenshot: Path | None = None) -> BrowserCheck:
    """Open ``html`` offline in headless Chromium and report what rendered; ``screenshot``: a full-page PNG."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = _tools()
    with tempfile.TemporaryDirectory(prefix="mindedge-chromium-") as profile:
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},900"):
            opts.add_argument(flag)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
        try:
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
                "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
            driver.get(Path(html).resolve().as_uri())
            out = BrowserCheck(title=driver.title)
            out.images = [tuple(v) for v in driver.execute_script(_IMAGES_JS)]  # type: ignore[misc]
            out.svgs = [tuple(v) for v in driver.execute_script(_SVGS_JS)]  # type: ignore[misc]
            out.sections = list(driver.execute_script(
                "return Array.from(document.querySelectorAll('section')).map(s => s.id);"))
            out.console_errors = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
            if screenshot is not None:
                height = int(driver.execute_script("return document.documentElement.scrollHeight;"))
                driver.set_window_size(WIDTH, min(max(height, 600), MAX_HEIGHT))
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(screenshot))
                out.screenshot = screenshot
            return out
        finally:
            driver.quit()
