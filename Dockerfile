# Crossfade for Slack and/or Discord. Secrets come from the environment at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CROSSFADE_DB=/data/crossfade.db \
    CROSSFADE_HTTP_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 crossfade \
    && mkdir /data && chown crossfade:crossfade /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip install --no-cache-dir ".[console,slack,discord,postgres]"

USER crossfade
VOLUME ["/data"]
# The web app (CROSSFADE_HTTP_PORT, default 3000): /healthz, Slack's Request URL, feeds.
EXPOSE 3000
# The CLI check needs no HTTP client in the image and answers as GET /healthz does.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["crossfade", "health"]
ENTRYPOINT ["crossfade"]
CMD ["run"]
