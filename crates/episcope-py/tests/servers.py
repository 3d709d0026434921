"""Protocol servers on loopback for the remote-dataset tests (tests/test_remote.py).

`WebHost` is one HTTP/1.1 server with two faces:
- a static host: `/static/<path>` serves files of a folder, with `HEAD` and single `Range` requests (206), no
  listing — like any web server or CDN;
- a Hub-shaped API: `/api/datasets/ORG/NAME/tree/REVISION[/FOLDER]?recursive=true` answers the Hub's tree
  listing (a JSON array of {type, oid, size, path}, paginated `PAGE` entries at a time with a `Link: <…>;
  rel="next"` header, as huggingface.co does), and `/datasets/ORG/NAME/resolve/REVISION/PATH` redirects (302)
  to `/cdn/…` on another origin (`localhost`), which serves the bytes with `Range` — as the Hub redirects to its file store. A repository may
  be gated (401 without the right `Authorization: Bearer` token) or rate-limit its first listing requests (429).

Every request is logged (method, path, Range, status, body bytes, whether it carried Authorization), so the
tests can say what was fetched. The S3 emulator is moto's `ThreadedMotoServer` (PyPI `moto`), started by the test.
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE = 4


@dataclass
class Repo:
    root: Path
    revisions: tuple[str, ...] = ("main",)
    token: str | None = None
    rate_limited_requests: int = 0


@dataclass
class Logged:
    method: str
    path: str
    range: str | None
    status: int
    body_bytes: int
    authorized: bool


@dataclass
class WebHost:
    static_root: Path
    repos: dict[str, Repo] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)

    def start(self) -> "WebHost":
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                host._handle(self, head=True)

            def do_GET(self):
                host._handle(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # --- what a request gets

    def _send(self, handler, status, body=b"", headers=None, head=False, range_header=None):
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not head:
            handler.wfile.write(body)
        self.log.append(
            Logged(
                handler.command,
                urllib.parse.urlsplit(handler.path).path,
                range_header,
                status,
                0 if head else len(body),
                "Authorization" in handler.headers,
            )
        )

    def _file(self, handler, path: Path, head: bool):
        if not path.is_file():
            return self._send(handler, 404, b"not found", head=head)
        data = path.read_bytes()
        range_header = handler.headers.get("Range")
        if range_header and range_header.startswith("bytes="):
            start_text, _, end_text = range_header[6:].partition("-")
            if start_text == "":
                start, end = max(0, len(data) - int(end_text)), len(data) - 1
            else:
                start = int(start_text)
                end = min(int(end_text), len(data) - 1) if end_text else len(data) - 1
            if start >= len(data) or start > end:
                return self._send(handler, 416, headers={"Content-Range": f"bytes */{len(data)}"}, head=head)
            body = data[start : end + 1]
            headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}", "Accept-Ranges": "bytes"}
            return self._send(handler, 206, body, headers, head, range_header)
        return self._send(handler, 200, data, {"Accept-Ranges": "bytes"}, head)

    def _repo(self, handler, org, name, head):
        repo = self.repos.get(f"{org}/{name}")
        if repo is None:
            self._send(handler, 404, b'{"error":"Repository not found"}', head=head)
            return None
        if repo.token is not None and handler.headers.get("Authorization") != f"Bearer {repo.token}":
            self._send(handler, 401, b'{"error":"Access to this dataset is restricted"}', head=head)
            return None
        return repo

    def _handle(self, handler, head: bool):
        split = urllib.parse.urlsplit(handler.path)
        parts = [urllib.parse.unquote(p) for p in split.path.split("/")[1:]]
        if parts[:1] == ["static"]:
            return self._file(handler, self.static_root.joinpath(*parts[1:]), head)
        if parts[:2] == ["api", "datasets"] and len(parts) >= 6 and parts[4] == "tree":
            org, name, revision, folder = parts[2], parts[3], parts[5], "/".join(parts[6:])
            repo = self._repo(handler, org, name, head)
            if repo is None:
                return
            if repo.rate_limited_requests > 0:
                repo.rate_limited_requests -= 1
                return self._send(handler, 429, b"slow down", {"Retry-After": "0"}, head)
            if revision not in repo.revisions:
                return self._send(handler, 404, b'{"error":"Revision not found"}', head=head)
            query = urllib.parse.parse_qs(split.query)
            cursor = int(query.get("cursor", ["0"])[0])
            entries = self._tree(repo.root, folder)
            page = entries[cursor : cursor + PAGE]
            headers = {"Content-Type": "application/json"}
            if cursor + PAGE < len(entries):
                next_query = urllib.parse.urlencode({"recursive": "true", "expand": "false", "cursor": cursor + PAGE})
                headers["Link"] = f'<{self.base}{split.path}?{next_query}>; rel="next"'
            return self._send(handler, 200, json.dumps(page).encode(), headers, head)
        if parts[:1] == ["datasets"] and len(parts) >= 6 and parts[3] == "resolve":
            org, name, revision, path = parts[1], parts[2], parts[4], "/".join(parts[5:])
            repo = self._repo(handler, org, name, head)
            if repo is None:
                return
            if revision not in repo.revisions or not (repo.root / path).is_file():
                return self._send(handler, 404, b"Entry not found", head=head)
            # Another origin (`localhost`, not `127.0.0.1`), as the Hub's file store is another host: a client
            # must not carry the Hub token there.
            location = f"http://localhost:{self.server.server_address[1]}/cdn/{org}/{name}/{urllib.parse.quote(path)}"
            return self._send(handler, 302, b"", {"Location": location}, head)
        if parts[:1] == ["cdn"] and len(parts) >= 4:
            repo = self.repos.get(f"{parts[1]}/{parts[2]}")
            if repo is None:
                return self._send(handler, 404, b"not found", head=head)
            return self._file(handler, repo.root.joinpath(*parts[3:]), head)
        return self._send(handler, 404, b"not found", head=head)

    @staticmethod
    def _tree(root: Path, folder: str) -> list[dict]:
        base = root / folder if folder else root
        entries = []
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_dir():
                entries.append({"type": "directory", "oid": hashlib.sha1(rel.encode()).hexdigest(), "path": rel})
            else:
                entry = {"type": "file", "oid": hashlib.sha1(rel.encode()).hexdigest(), "size": path.stat().st_size, "path": rel}
                if path.suffix in (".parquet", ".mp4"):
                    entry["lfs"] = {"oid": hashlib.sha256(path.read_bytes()).hexdigest(), "size": path.stat().st_size, "pointerSize": 134}
                entries.append(entry)
        return entries

    def fetched(self) -> list[Logged]:
        return [r for r in self.log if r.method == "GET" and r.status in (200, 206)]
