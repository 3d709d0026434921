"""Drives headless Chromium through chromedriver's WebDriver HTTP API (no client library) to the
worker-decode page and prints what its Web Worker measured.

Usage: python3 bench/recordings/worker_decode.py URL CHROMEDRIVER_PORT
"""

import json
import sys
import time
import urllib.request


def call(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main():
    url, port = sys.argv[1], int(sys.argv[2])
    options = {"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu"]}
    session = call(port, "POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})
    sid = session["value"]["sessionId"]
    try:
        call(port, "POST", f"/session/{sid}/url", {"url": url})
        script = {"script": "return document.getElementById('out').textContent", "args": []}
        for _ in range(300):
            text = call(port, "POST", f"/session/{sid}/execute/sync", script)["value"]
            if text != "running":
                print(text)
                return 0 if text.startswith("RESULT") else 1
            time.sleep(1)
        print("timed out", file=sys.stderr)
        return 1
    finally:
        call(port, "DELETE", f"/session/{sid}")


if __name__ == "__main__":
    sys.exit(main())
