# mockgw as a service for CI jobs in any language:
#   docker build -t mockgw .
#   docker run --rm -p 8080:8080 mockgw --scenario weather     # the shipped library
#   docker run --rm -p 8080:8080 -v $PWD/scenarios:/scenarios:ro mockgw --scenarios /scenarios
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# The scenario library is package data (mockgw/library/); LICENSE is named in pyproject.
COPY pyproject.toml README.md LICENSE ./
COPY mockgw ./mockgw
RUN pip install . && useradd --system --uid 10001 --no-create-home mockgw

USER mockgw
EXPOSE 8080
# 0.0.0.0 inside the container: the host decides what is published, with -p.
ENTRYPOINT ["mockgw", "serve", "--host", "0.0.0.0", "--port", "8080"]
HEALTHCHECK --interval=5s --timeout=2s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/__mockgw/health')"
