"""Firefox ESR and WebKitGTK for the end-to-end tests, through tests/e2e/engines.mjs.

    with Engine.start("webkit") as browser:      # skips the test if the engine is not installed
        browser.goto(url)
        browser.wait_until("return document.title !== ''")

Playwright drives only Chromium here (it cannot download its own Firefox or WebKit), so
these two are Debian's browsers behind their own WebDriver endpoints: Firefox over WebDriver
BiDi (puppeteer-core), WebKitGTK's MiniBrowser over WebKitWebDriver (selenium-webdriver)
under a virtual X display (xvfb-run). One Node.js process holds one browser.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("engines.mjs")
ROOT = Path(__file__).resolve().parents[2]

# what each engine needs on this machine (apt-get install firefox-esr webkit2gtk-driver xvfb;
# .ci/run installs them)
NEEDS = {
    "firefox": ["firefox-esr"],
    "webkit": ["WebKitWebDriver", "xvfb-run"],
}


class EngineError(AssertionError):
    pass


class Engine:
    def __init__(self, name: str, proc: subprocess.Popen, version: str):
        self.name, self.proc, self.version = name, proc, version
        self._next = 1

    @classmethod
    def start(cls, name: str) -> "Engine":
        missing = [b for b in NEEDS[name] if shutil.which(b) is None]
        if missing:
            pytest.skip(f"{name}: {', '.join(missing)} not installed "
                        "(apt-get install firefox-esr webkit2gtk-driver xvfb)")
        node = shutil.which("node")
        if node is None:
            pytest.fail("node not found: Node.js drives Firefox and WebKitGTK (and `make` needs it for npm ci)")
        cmd = [node, str(DRIVER), name]
        if name == "webkit":  # MiniBrowser needs a display; -a picks a free one
            cmd = ["xvfb-run", "-a", *cmd]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, bufsize=1)
        first = proc.stdout.readline()
        if not first:
            proc.wait(timeout=10)
            raise EngineError(f"{name} did not start: {proc.stderr.read()[-2000:]}")
        reply = json.loads(first)
        if not reply["ok"]:
            proc.kill()
            raise EngineError(f"{name} did not start: {reply['error']}")
        return cls(name, proc, reply["value"])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, cmd: str, **params):
        message = {"id": self._next, "cmd": cmd, **params}
        self._next += 1
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise EngineError(f"{self.name} went away during {cmd}: {self.proc.stderr.read()[-2000:]}")
        reply = json.loads(line)
        assert reply["id"] == message["id"]
        if not reply["ok"]:
            raise EngineError(f"{self.name}: {cmd} {params}: {reply['error']}")
        return reply["value"]

    def goto(self, url: str) -> None:
        self.send("goto", url=url)

    def eval(self, body: str, args=None):
        """Run ``body`` in the page as the body of an async function of ``args``."""
        return self.send("eval", body=body, args=args)

    def click(self, selector: str) -> None:
        self.send("click", selector=selector)

    def type(self, selector: str, text: str) -> None:
        self.send("type", selector=selector, text=text)

    def key(self, key: str) -> None:
        self.send("key", key=key)

    def wait_until(self, body: str, args=None, timeout: float = 180, what: str = "") -> object:
        """Evaluate ``body`` until it returns something truthy; that value, or a failure
        naming ``what`` and the page's status texts when the time is up."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(body, args)
            if value:
                return value
            if time.monotonic() > deadline:
                shown = self.eval("return [...document.querySelectorAll('[role=status], [role=alert], .lwm-note')]"
                                  ".map((e) => e.textContent.trim()).filter(Boolean)")
                raise EngineError(f"{self.name}: waited {timeout:.0f} s for {what or body}; the page says {shown}")
            time.sleep(0.25)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
            except (EngineError, BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
