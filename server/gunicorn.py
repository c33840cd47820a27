"""``charta serve``: gunicorn with N gthread worker processes around ``create_app``."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from server.config import Config


class _App(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: Config, options: dict[str, Any]) -> None:
        self._config = config
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:  # older gunicorn lacks some settings
                self.cfg.set(key, value)

    def load(self) -> Any:
        from server.app import create_app

        return create_app(self._config)


def run_gunicorn(config: Config, host: str, port: int, workers: int) -> None:
    """Each worker builds its own app (and store) after the fork: nothing is shared."""
    _App(
        config,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "timeout": int(config.query_timeout_s) + 30,
            "accesslog": "-",
            # gunicorn >= 25.1 opens a control socket at one path per user, which a
            # second charta on the same machine would take over; we do not use it.
            "control_socket_disable": True,
        },
    ).run()
