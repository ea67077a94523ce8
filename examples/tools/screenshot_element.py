#!/usr/bin/env python3
"""Screenshots one element of a page with headless Chromium (standard library only).

    screenshot_element.py PAGE.html 'CSS SELECTOR' OUT.png [--width 1280] [--max-height 1500]

`chromium --screenshot` only takes the top of a page; this drives the same browser over the
DevTools protocol (`--remote-debugging-pipe`: JSON messages, NUL-terminated, on file
descriptors 3 and 4) to lay out the whole page and capture the element's box, however far
down it is. Used by screenshot-report.sh.
"""

import argparse
import base64
import fcntl
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile


class Browser:
    def __init__(self, binary, profile):
        def high(fd):
            # Out of the way of 3 and 4, which the child needs.
            moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            return moved

        to_browser_r, self.to_browser = (high(fd) for fd in os.pipe())
        self.from_browser, from_browser_w = (high(fd) for fd in os.pipe())

        def wire():
            # The browser reads commands on fd 3 and writes replies on fd 4.
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            preexec_fn=wire,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.next_id = 0
        self.buffer = b""
        self.events = []

    def _read_message(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session):
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    del self.events[i]
                    return event
            self.events.append(self._read_message())

    def close(self):
        try:
            self.send("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page")
    parser.add_argument("selector")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--max-height", type=int, default=1500)
    parser.add_argument("--margin", type=int, default=24)
    args = parser.parse_args()
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        sys.exit("chromium is not installed (apt-get install chromium)")
    url = pathlib.Path(args.page).resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(binary, profile)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send(
                "Target.attachToTarget", {"targetId": target, "flatten": True}
            )["sessionId"]
            browser.send("Page.enable", session=session)
            browser.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": args.width, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            browser.send("Page.navigate", {"url": url}, session=session)
            browser.wait_event("Page.loadEventFired", session)
            found = browser.send(
                "Runtime.evaluate",
                {
                    "expression": "(() => { const e = document.querySelector("
                    + json.dumps(args.selector)
                    + "); if (!e) return null; const r = e.getBoundingClientRect();"
                    " return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()",
                    "returnByValue": True,
                },
                session=session,
            )["result"].get("value")
            if not found:
                sys.exit(f"no element matches `{args.selector}` in {args.page}")
            x, y, w, h = found
            m = args.margin
            clip = {
                "x": max(0, x - m),
                "y": max(0, y - m),
                "width": w + 2 * m,
                "height": min(h + 2 * m, args.max_height),
                "scale": 1,
            }
            shot = browser.send(
                "Page.captureScreenshot",
                {"format": "png", "clip": clip, "captureBeyondViewport": True},
                session=session,
            )
            pathlib.Path(args.out).write_bytes(base64.b64decode(shot["data"]))
        finally:
            browser.close()
    print(f"{args.out}: {args.selector} of {args.page}")


if __name__ == "__main__":
    main()
