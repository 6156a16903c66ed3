# Quarterdeck's image: the app server (pages, HTTP API and sign-in on one port), run as a user
# without privileges. deploy/compose.yaml runs two of them behind HAProxy on one PostgreSQL;
# README "Running for a team" says how.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8501 \
    ADDRESS=0.0.0.0

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN groupadd --system quarterdeck \
    && useradd --system --gid quarterdeck --home-dir /app --no-create-home quarterdeck \
    && mkdir -p /app/data \
    && chown quarterdeck:quarterdeck /app/data
COPY --chown=root:root . .
RUN chmod 0755 deploy/entrypoint.sh

USER quarterdeck
EXPOSE 8501
# Healthy once the store answers: /api/v1/health is 200 when the store can be used, else 503.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8501') + '/api/v1/health', timeout=4)"
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["serve"]
