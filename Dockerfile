# tieswatch: the bot with its locked runtime dependencies, run as a non-root user, everything that changes
# (database, models, feeds.yaml) kept in the /data volume.
#
#   docker build -t tieswatch .
#   docker run -e TELEGRAM_BOT_TOKEN -v tieswatch-data:/data tieswatch      (or: docker compose up -d)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TIESWATCH_DATA=/data \
    TIESWATCH_FEEDS=/data/feeds.yaml

WORKDIR /app
# Runtime dependencies only: the test and lint tools of requirements.lock stay out of the image.
COPY requirements-runtime.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-runtime.lock
COPY pyproject.toml README.md feeds.yaml ./
COPY bot ./bot
COPY classifier ./classifier
COPY docker/entrypoint.sh /usr/local/bin/tieswatch-entrypoint
RUN pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 tieswatch \
    && mkdir -p /data && chown tieswatch /data

USER tieswatch
VOLUME ["/data"]
# Healthy while the scheduler ticks: `tieswatch health` reads the heartbeat the running bot writes.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 CMD ["tieswatch", "health"]
ENTRYPOINT ["tieswatch-entrypoint"]
CMD ["tieswatch", "run"]
