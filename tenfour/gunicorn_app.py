"""Serve the Flask app under gunicorn from inside the `tenfour web` command."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from tenfour import gc_tuning
from tenfour.config import Settings
from tenfour.logging_setup import gunicorn_logconfig


class _App(BaseApplication):
    def __init__(self, settings: Settings, options: dict) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # older gunicorns lack some settings
                self.cfg.set(key, value)

    def load(self):
        from tenfour.wsgi import build_app

        return build_app(self.settings)


def _settle(_worker) -> None:
    gc_tuning.settle()


def serve(settings: Settings, *, workers: int = 2, threads: int = 4) -> None:
    logconfig = gunicorn_logconfig(settings.log_format, settings.log_level)
    _App(settings, {
        **({"logconfig_dict": logconfig} if logconfig else {}),
        "bind": f"{settings.host}:{settings.port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "errorlog": "-",
        "timeout": 60,
        # gthread closes a kept-alive connection idle past `keepalive` only when a thread gets to
        # it: under load that can be after the client already sent its next request on it, which
        # the client sees as a reset connection (the pages bench saw 4 in a 30 s run at 2 s).
        "keepalive": 30,
        "graceful_timeout": 10,
        "forwarded_allow_ips": "127.0.0.1",
        # gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn), which
        # two Tenfour instances on one machine would fight over; nothing here uses it.
        "control_socket_disable": True,
        # Short full collections in each web worker once the app is loaded (tenfour.gc_tuning).
        "post_worker_init": _settle,
    }).run()
