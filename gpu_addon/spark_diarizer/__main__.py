"""`python -m spark_diarizer --backend cpu --port 8010`: run the service in the foreground."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from .app import create_app
from .config import load_settings


def main(argv: list[str] | None = None) -> int:
    """Parse settings, then serve until SIGINT/SIGTERM (aiohttp shuts the worker down)."""
    settings = load_settings(argv)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("spark_diarizer").info(
        "starting on %s:%s (backend=%s)", settings.host, settings.port, settings.backend
    )
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        shutdown_timeout=5.0,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
