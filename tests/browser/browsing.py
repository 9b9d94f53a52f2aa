"""A visitor's browser context and the checks every visited page goes through."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from tests.e2e.serverproc import REPO, cli

#: Debian's Chromium (the real binary; /usr/bin/chromium is a wrapper script). Never
#: `playwright install`: the tests use the browser the system packages provide.
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


@dataclass
class Server:
    url: str
    env: dict[str, str]

    def totp(self, institution: str, customer_number: str) -> str:
        """The demo customer's current code, as ``netbank otp code`` prints it."""
        return cli(self.env, "otp", "code", institution, customer_number).stdout.strip()

    @property
    def outbox_file(self) -> Path:
        return Path(self.env["NETBANK_DATA_DIR"]) / "outbox.log"

    def delivered(self) -> list[dict[str, str]]:
        """The messages the server's dispatcher has delivered so far (development file sender:
        what the phone would show, recipient masked)."""
        if not self.outbox_file.exists():
            return []
        lines = self.outbox_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def next_code(self, seen: int, timeout: float = 15.0) -> tuple[dict[str, str], str]:
        """The one-time code of the first message delivered after the first ``seen`` ones
        (the dispatcher runs inside the server, about once a second)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.delivered()[seen:]:
                found = re.search(r"\b(\d{6})\b", message["text"])
                if found:
                    return message, found.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no code delivered after message {seen}")


@dataclass
class Browsing:
    """One browser context (one visitor: its own cookies and language) and its checks."""

    context: BrowserContext
    page: Page
    base_url: str
    axe_source: str
    name: str
    console_problems: list[str] = field(default_factory=list)
    shots: int = 0

    def goto(self, path: str) -> int:
        response = self.page.goto(self.base_url + path)
        assert response is not None
        return response.status

    def check(self, label: str) -> None:
        """Screenshot, accessibility, CSP and layout checks of the page now shown."""
        self.page.wait_for_load_state("load")
        self.shots += 1
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.name}-{self.shots:02d}-{label}".lower()).strip("-")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)
        self.page.evaluate(self.axe_source)
        violations = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations
                    .filter(v => v.impact === "serious" || v.impact === "critical")
                    .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target).join(" ")})`);
            }"""
        )
        assert violations == [], f"{label}: {violations}"
        assert self.console_problems == [], f"{label}: {self.console_problems}"
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{label}: the page scrolls sideways by {overflow}px"

    def message_of(self, selector: str) -> str:
        return self.page.locator(selector).first.inner_text().strip()
