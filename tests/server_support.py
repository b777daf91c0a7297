"""A real werkzeug server on loopback for the tests that need real HTTP, and its access log."""

from __future__ import annotations

import io
import logging
import threading
from contextlib import contextmanager
from typing import Iterator

from werkzeug.serving import make_server


@contextmanager
def served(app, threaded: bool = False) -> Iterator[str]:
    """Serve `app` on a free loopback port until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=threaded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextmanager
def werkzeug_access_log() -> Iterator[io.StringIO]:
    """Capture what werkzeug's access log writes during the block."""
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    werkzeug_logger = logging.getLogger("werkzeug")
    werkzeug_logger.addHandler(handler)
    werkzeug_logger.setLevel(logging.INFO)
    # Alembic's fileConfig (run by the migrations fixture) disables existing loggers.
    was_disabled, werkzeug_logger.disabled = werkzeug_logger.disabled, False
    try:
        yield captured
    finally:
        werkzeug_logger.removeHandler(handler)
        werkzeug_logger.disabled = was_disabled
