"""Running the simulator: blocking ``serve`` for demos, ``start_in_thread`` for tests.

Both use werkzeug's threaded server (``make_server(..., threaded=True)``) and
not ``app.run``: it gives a real socket per connection (needed for
drop-after-accept), works on port 0, and can be shut down cleanly from tests.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from simulator.app import create_app
from simulator.persistence import attach_file
from simulator.state import SimState


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log lines: tests read ``/_sim/requests`` instead."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _build_server(
    host: str,
    port: int,
    state: SimState,
    *,
    data_file: str | None,
    public_url: str | None,
    quiet: bool,
) -> BaseWSGIServer:
    if data_file:
        attach_file(state, data_file)
    app = create_app(state, public_url=public_url)
    handler = _QuietHandler if quiet else None
    return make_server(host, port, app, threaded=True, request_handler=handler)


def _server_url(server: BaseWSGIServer) -> str:
    host = server.server_address[0]
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{server.server_port}"


def serve(host: str = "127.0.0.1", port: int = 5055, *, data_file: str | None = None) -> None:
    """Serve until interrupted. With ``data_file`` the feed is loaded at start and saved after each write."""
    server = _build_server(host, port, SimState(), data_file=data_file, public_url=None, quiet=False)
    print(f"Tenfour simulator listening on {_server_url(server)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class RunningSimulator:
    """A simulator serving on a background thread; ``stop()`` (or leaving ``with``) shuts it down."""

    def __init__(self, server: BaseWSGIServer, state: SimState) -> None:
        self._server = server
        self.state = state
        self.url = _server_url(server)
        self._thread = threading.Thread(target=server.serve_forever, name="simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    state: SimState | None = None,
    data_file: str | None = None,
    public_url: str | None = None,
) -> RunningSimulator:
    """Start on ``port`` (0 = any free port) and return at once; the socket is already listening."""
    sim_state = state or SimState()
    server = _build_server(host, port, sim_state, data_file=data_file, public_url=public_url, quiet=True)
    return RunningSimulator(server, sim_state)
