# One image for the akte web app and worker (see docker-compose.yml).
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-deu curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/akte/src
COPY setup.cfg pyproject.toml README.md ./
COPY core core
COPY engine engine
COPY records records
COPY search search
COPY storage storage
COPY web web
COPY migrations migrations
COPY bpmn bpmn
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/akte akte \
    && mkdir -p /var/lib/akte && chown akte /var/lib/akte
USER akte
ENV AKTE_BPMN_DIR=/opt/akte/src/bpmn
EXPOSE 5000
CMD ["akte", "serve", "--host", "0.0.0.0"]
