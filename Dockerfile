# tieswatch: the bot with its locked dependencies, run as a non-root user, data kept in a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TIESWATCH_DATA=/data \
    TIESWATCH_FEEDS=/app/feeds.yaml

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md feeds.yaml ./
COPY bot ./bot
COPY classifier ./classifier
RUN pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 tieswatch \
    && mkdir -p /data && chown tieswatch /data

USER tieswatch
VOLUME ["/data"]
CMD ["tieswatch", "run"]
