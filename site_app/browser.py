"""Headless Chromium and the built site on 127.0.0.1, for the end-to-end tests and the benchmark.

    from site_app.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

    server = serve_in_thread(Path("site"), isolate=False)   # server.url: http://127.0.0.1:<port>/
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    ...
    server.shutdown()

and, for a slow connection (benchmarks/fast4g.py, tests/e2e/test_classifier_early_photo.py):
Throttle(context, page) puts a page and every worker it uses on Chrome's "Fast 4G", and
give_early(page, photo) gives the classifier a photo before the page is ready.

tests/conftest.py and benchmarks/ both drive the browser through this module, so a test and
a benchmark run the same browser with the same flags against the same server.
"""

from __future__ import annotations

import base64
import http.server
import json
import mimetypes
import os
import threading
from pathlib import Path

from site_app.serve import make_server

# Debian's Chromium (apt-get install chromium); Playwright's own browser download is never used
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# headless, no network but localhost: nothing the browser does on its own competes with the page
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def serve_in_thread(directory: Path, isolate: bool = True, *, compress: bool = True,
                    poll_interval: float = 0.5) -> http.server.ThreadingHTTPServer:
    """site_app/serve.py's server on a free port, answering from a daemon thread.

    ``server.url`` is its base URL; stop it with ``server.shutdown()``. A short
    ``poll_interval`` makes shutdown() return sooner (tests that start many servers).
    """
    server = make_server(directory, 0, isolate=isolate, compress=compress)
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True).start()
    return server


# Chrome DevTools' "Fast 4G" preset
FAST_4G = {"download_bits_per_s": 9_000_000, "upload_bits_per_s": 1_500_000, "latency_ms": 60}


class Throttle:
    """One page, its workers and the service worker that serves it, on a throttled connection,
    and what each of them took from the network.

        throttle = Throttle(context, page)            # before page.goto
        ...
        throttle.wire_bytes()                         # bytes the network carried so far

    Network.emulateNetworkConditions on the page's own DevTools session slows only what the
    page fetches itself: the classifier's runtime and model come through its Web Worker, and,
    once the site's service worker controls the page, through that worker's fetch(), which
    the page's setting does not reach. So the page's session also attaches to every worker
    the page starts and to its service worker, each paused before its first line
    (waitForDebuggerOnStart) until it is throttled too. A dedicated worker answers "Not
    supported" to the setting: its requests go out under its page's, as their timing shows
    (benchmarks/fast4g.py checks that no answer comes sooner than its bytes allow).

    Each throttled target is its own emulated link of the profile's rate: the page's requests
    and its service worker's run on two, which a real connection is not. The time the bytes
    need is therefore counted over every target's bytes together (benchmarks/fast4g.py).

    The attachment uses the protocol's nested sessions (flatten: false), the only kind a
    Playwright CDPSession can talk to (it cannot address a flat child session).
    """

    def __init__(self, context, page, profile: dict = FAST_4G):
        self.conditions = {
            "offline": False,
            "latency": profile["latency_ms"],
            "downloadThroughput": profile["download_bits_per_s"] / 8,  # bytes per second
            "uploadThroughput": profile["upload_bits_per_s"] / 8,
        }
        self.targets: list[dict] = []  # {type, url, throttled}
        self.requests: dict[tuple, dict] = {}  # (session, requestId) -> what crossed the wire
        self._ids = 0
        self._pending: dict[int, dict] = {}  # message id -> the target it throttles
        self.cdp = context.new_cdp_session(page)
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.receivedMessageFromTarget", self._from_target)
        for event in ("requestWillBeSent", "responseReceived", "loadingFinished"):
            self.cdp.on(f"Network.{event}", lambda params, e=event: self._network("page", e, params))
        self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", self.conditions)
        self.cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})

    def _send(self, session: str, method: str, params: dict | None = None, target: dict | None = None) -> None:
        self._ids += 1
        if target is not None:  # before sending: the answer can arrive while send() waits
            self._pending[self._ids] = target
        message = {"id": self._ids, "method": method, "params": params or {}}
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(message)})

    def _attached(self, event: dict) -> None:
        session, info = event["sessionId"], event["targetInfo"]
        target = {"type": info["type"], "url": info["url"], "throttled": None}
        self.targets.append(target)
        self._send(session, "Network.enable")
        self._send(session, "Network.emulateNetworkConditions", self.conditions, target)
        self._send(session, "Runtime.runIfWaitingForDebugger")  # it was paused until now

    def _from_target(self, event: dict) -> None:
        message = json.loads(event["message"])
        if "method" in message:
            self._network(event["sessionId"], message["method"].removeprefix("Network."), message.get("params", {}))
        elif message.get("id") in self._pending:
            # False for a dedicated worker ("Not supported"): it goes out under its page's setting
            self._pending.pop(message["id"])["throttled"] = "error" not in message

    def _network(self, session: str, event: str, params: dict) -> None:
        key = (session, params.get("requestId"))
        if event == "requestWillBeSent":
            self.requests[key] = {"url": params["request"]["url"], "start": params["timestamp"], "bytes": 0,
                                  "end": None, "from_network": True}
        elif key not in self.requests:
            return
        elif event == "responseReceived":
            response = params["response"]
            # served by the service worker or a cache: the service worker's own fetch, seen on
            # its session, is what crossed the network
            if response.get("fromServiceWorker") or response.get("fromDiskCache") or response.get("fromPrefetchCache"):
                self.requests[key]["from_network"] = False
        elif event == "loadingFinished":
            self.requests[key].update(bytes=params["encodedDataLength"], end=params["timestamp"])

    def wire(self) -> list[dict]:
        """The finished requests that went to the network: url, bytes (headers and body as
        received, compressed where the server compressed), start and end (seconds, one clock)."""
        return [r for r in self.requests.values() if r["from_network"] and r["end"] is not None]

    def wire_bytes(self) -> int:
        return sum(r["bytes"] for r in self.wire())


# Gives `photos` ([base64, name, type] triples) to #lwm-file one after another, as a reader's
# picks do (input and change events), the moment the parser has put the input in the document,
# long before the page's module has run; records when, and what the page said then.
EARLY_PHOTOS_JS = """(photos) => {
  const give = (input) => {
    const at = [];
    for (const [b64, name, type] of photos) {
      const files = new DataTransfer();
      files.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
      input.files = files.files;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
      at.push(performance.now());
    }
    window.lwmGivenEarly = {
      at,
      // the page's own state then: its status lines, and whether classifier.js had taken the
      // early photo over (docs/classifier.md keeps it until then)
      startup: document.getElementById('lwm-startup')?.textContent ?? null,
      modelStatus: document.getElementById('lwm-model-status')?.textContent ?? null,
      appRunning: window.lwmEarlyPhoto?.taken === true,
    };
  };
  new MutationObserver((records, observer) => {
    const input = document.getElementById('lwm-file');
    if (!input) return;
    observer.disconnect();
    give(input);
  }).observe(document, { childList: true, subtree: true });
}"""


def give_early(page, *paths: Path) -> None:
    """Before page.goto: the photos at `paths` are given to the classifier's file input as soon
    as it exists (EARLY_PHOTOS_JS); ``window.lwmGivenEarly`` says when and in what state."""
    photos = [[base64.b64encode(p.read_bytes()).decode(), p.name, mimetypes.guess_type(p.name)[0] or "image/png"]
              for p in paths]
    page.add_init_script(f"({EARLY_PHOTOS_JS})({json.dumps(photos)});")
