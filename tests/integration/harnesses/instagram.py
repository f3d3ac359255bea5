"""Instagram fetches images by URL, so tests serve them from a tiny HTTP server in the test
process, which the simulator's Instagram endpoint really downloads from."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from connectors.instagram import InstagramConnector
from content_queue.ports import MediaItem
from tests.integration.harnesses.base import Harness

IG_USER_ID = "17841400000000001"  # the simulator's demo account @metro911


class MediaServer:
    """Serves registered bytes at ``/m/<key>``; anything else is a 404."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.fetched: list[str] = []
        files, fetched = self.files, self.fetched

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                fetched.append(self.path)
                found = files.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                data, mime = found
                self.send_response(200)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, name="media-server", daemon=True).start()

    def host(self, item: MediaItem) -> str:
        path = f"/m/{hashlib.sha256(item.data).hexdigest()[:20]}"
        self.files[path] = (item.data, item.mime_type)
        return self.base + path


_server: MediaServer | None = None
_lock = threading.Lock()


def media_server() -> MediaServer:
    global _server
    with _lock:
        if _server is None:
            _server = MediaServer()
        return _server


def make_connector(sim_url: str, **kwargs) -> InstagramConnector:
    options = {"media_host": media_server().host, "poll_interval": 0.02, "poll_timeout": 5.0, **kwargs}
    return InstagramConnector(handle="metro911",
                              credentials={"ig_user_id": IG_USER_ID, "access_token": "contract-page-token"},
                              api_base_url=f"{sim_url}/graph", **options)


def _alt_texts(sim, result) -> list[str]:
    post = next(p for p in sim.posts("instagram") if p["id"] == result.platform_post_id)
    return [m["alt_text"] for m in post["media"]]


HARNESS = Harness(
    platform="instagram",
    make_connector=make_connector,
    post_path="/media_publish",
    too_long_text="a" * 2201,
    stored_alt_texts=_alt_texts,
    image_mime="image/jpeg",
    requires_media=True,
)
