# App image: the Telegram bot, the web console, the action server, the scheduler, the outbox dispatcher and the
# migration one-shot are this one image; docker/compose.yaml picks the process with `command`.
# Build from the repository root: docker build -f docker/Dockerfile.app -t asn-karier/app .

# The console's htmx, from the npm registry at the version scripts/setup.sh pins (no CDN).
FROM node:22-slim AS htmx
ARG HTMX_VERSION=2.0.11
WORKDIR /htmx
RUN npm pack --silent "htmx.org@${HTMX_VERSION}" \
    && tar -xzf "htmx.org-${HTMX_VERSION}.tgz" package/dist/htmx.min.js

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first (the runtime list of pyproject.toml, pinned by requirements.lock), in their
# own layer so a code change does not reinstall them. Dev tools in the lock are not installed.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime.txt \
    && pip install -c requirements.lock -r runtime.txt
COPY README.md ./
COPY asnkarier/ asnkarier/
COPY bot/ bot/
COPY actions/ actions/
COPY scheduler/ scheduler/
COPY web/ web/
COPY --from=htmx /htmx/package/dist/htmx.min.js web/static/vendor/htmx.min.js
RUN pip install --no-deps .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CONTENT_DIR=/app/data
RUN groupadd --system --gid 10001 asnbot \
    && useradd --system --uid 10001 --gid asnbot --home-dir /app --no-create-home asnbot
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# HR content for `asnbot seed` (the migrate service seeds an empty database from it).
COPY data/ data/
USER 10001:10001
# 5055 action server, 8000 web console, 8443 bot webhook, 9100 Prometheus metrics.
EXPOSE 5055 8000 8443 9100
# The generic check: the database answers and has this image's schema. compose.yaml adds each
# process's own endpoint (see `asnbot health --help` and docs/deployment.md).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["asnbot", "health"]
CMD ["asnbot", "--help"]
