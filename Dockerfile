# One image for the akte web app and worker (see docker-compose.yml).

# Browser assets (htmx, bpmn-js, axe-core) from npm, the same step as `make install`: web/static/vendor/.
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/assets.sh scripts/assets.sh
RUN scripts/assets.sh

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-deu curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/akte/src
COPY setup.cfg pyproject.toml README.md ./
COPY accounts accounts
COPY core core
COPY engine engine
COPY intake intake
COPY integrations integrations
COPY records records
COPY search search
COPY storage storage
COPY web web
COPY --from=assets /src/web/static/vendor web/static/vendor
COPY migrations migrations
COPY bpmn bpmn
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/akte akte \
    && mkdir -p /var/lib/akte && chown akte /var/lib/akte
USER akte
ENV AKTE_BPMN_DIR=/opt/akte/src/bpmn
EXPOSE 5000
CMD ["akte", "serve", "--host", "0.0.0.0"]
