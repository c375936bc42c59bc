FROM python:3.11-slim
# Chromium renders the digest PDFs (dashboards/pdf.py): the Debian package, as in the browser tests
RUN apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
ENV NW_CHROMIUM=/usr/bin/chromium
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY core core
COPY service service
COPY classifiers classifiers
COPY collectors collectors
COPY dashboards dashboards
RUN pip install --no-cache-dir -c constraints.txt .
ENV NW_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["narrawatch", "serve", "--host", "0.0.0.0", "--port", "8000"]
