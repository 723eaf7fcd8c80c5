# One image for every process: the command picks api, worker or beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    COMMENTGUARD_DATA_DIR=/var/lib/commentguard

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY workers ./workers
COPY models ./models
RUN pip install . && useradd --system --home /var/lib/commentguard commentguard \
    && mkdir -p /var/lib/commentguard && chown commentguard /var/lib/commentguard

USER commentguard
EXPOSE 8000
CMD ["commentguard", "serve", "--host", "0.0.0.0", "--port", "8000"]
