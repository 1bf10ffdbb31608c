"""`python -m web`: serve the console with uvicorn on WEB_HOST:WEB_PORT."""

from __future__ import annotations

import logging

import uvicorn

from asnkarier.settings import configure_logging, get_settings
from web.app import create_app

logger = logging.getLogger(__name__)


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, "uvicorn.access")
    app = create_app(settings)
    logger.info("Konsol BKPSDM at %s", settings.web_base_url)
    uvicorn.run(app, host=settings.web_host, port=settings.web_port, proxy_headers=True)


if __name__ == "__main__":
    main()
