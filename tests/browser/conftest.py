"""Browser tests: Playwright's sync API drives Debian's Chromium against a real ``netbank
serve`` process on a fresh SQLite database with the demo loaded (as ``make run`` does).

Every page a test visits goes through :meth:`Browsing.check`: a screenshot in
``test-artifacts/screenshots/``, axe-core (from npm, ``make test`` installs it into
``.cache/npm``) with no violation of impact serious or critical, no Content-Security-Policy
violation or script error in the console, and no sideways scrolling on a phone-sized screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Playwright, sync_playwright

from tests.browser.browsing import AXE, CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, Browsing, Server
from tests.browser.ukey_world import UKEY_TOKEN, sell_demo_ukey
from tests.e2e.serverproc import ServerProcess, cli, netbank_env
from tests.softhsm import FINCERT_KEYS_TOKEN, FINCERT_TOKEN, HSM_TOKEN, USER_PIN, SoftHSM, write_softhsm_conf


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("browser-server")
    # The cloud financial certificate service runs for real: its CA keys and the customers'
    # keys on SoftHSM2 tokens of the server's own (the test process never loads the module).
    # So does the certificate version (K1): edb's PKI on an "HSM" token and 张伟's UKEY
    # (ukey_world.py), sold at the counter once the server runs.
    tokens = SoftHSM(directory=data / "softhsm", conf=write_softhsm_conf(data / "softhsm"))
    for label in (FINCERT_TOKEN, FINCERT_KEYS_TOKEN, HSM_TOKEN, UKEY_TOKEN):
        tokens.init_token(label)
    env = netbank_env(
        f"sqlite:///{data / 'netbank.sqlite3'}",
        data,
        SOFTHSM2_CONF=str(tokens.conf),
        NETBANK_FINCERT_TOKEN_LABEL=FINCERT_TOKEN,
        NETBANK_FINCERT_TOKEN_PIN=USER_PIN,
        NETBANK_FINCERT_KEY_TOKEN_LABEL=FINCERT_KEYS_TOKEN,
        NETBANK_FINCERT_KEY_TOKEN_PIN=USER_PIN,
        NETBANK_HSM_TOKEN_LABEL=HSM_TOKEN,
        NETBANK_HSM_PIN=USER_PIN,
        # As `make run`: the server delivers one-time codes itself, with the development file
        # sender, to <data>/outbox.log (``Server.last_code`` reads them from there).
        NETBANK_OUTBOX_IN_PROCESS="true",
    )
    cli(env, "migrate")
    cli(env, "load-demo")  # and, as in `make run`, every institution's PKI and the service CA
    process = ServerProcess(env, data / "server.log").wait_ready()
    try:
        sell_demo_ukey(process.url)
        yield Server(process.url, env)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "make test installs Debian's chromium"
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    assert AXE.exists(), "make test installs axe-core into .cache/npm"
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def visitor(
    browser: Browser, server: Server, axe_source: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Browsing]]:
    """``visitor(locale="zh-CN", phone=True)``: a new browser context with that
    Accept-Language and screen."""
    contexts: list[BrowserContext] = []

    def make(locale: str = "en-US", *, phone: bool = False, name: str = "") -> Browsing:
        context = browser.new_context(
            locale=locale, viewport=PHONE if phone else DESKTOP, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        browsing = Browsing(
            context, page, server.url, axe_source, name or f"{request.node.name}-{len(contexts)}"
        )

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and "status of" not in message.text:
                # A page answering 4xx logs "Failed to load resource: ... status of 403"; those
                # are the pages under test. Anything else (a CSP refusal, a script error) fails.
                browsing.console_problems.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: browsing.console_problems.append(str(error)))
        return browsing

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
