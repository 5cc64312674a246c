# mockgw as a service for CI jobs in any language:
#   docker build -t mockgw .
#   docker run --rm -p 127.0.0.1:8080:8080 mockgw --scenario weather     # the shipped library
#   docker run --rm -p 127.0.0.1:8080:8080 -v $PWD/scenarios:/scenarios:ro mockgw --scenarios /scenarios
# Publish on 127.0.0.1: a bare -p 8080:8080 opens the admin API (no token by default) on
# every interface of the host. To share it: -e MOCKGW_ADMIN_TOKEN (docs/ci.md, Docker).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# From the source, as `make run` installs it (without the SDKs: the image serves, it is
# not a client). The scenario library is package data (mockgw/library/); README.md and
# LICENSE are named in pyproject, so the build needs them.
COPY pyproject.toml README.md LICENSE ./
COPY mockgw ./mockgw
# A fixed uid, so a mounted scenario folder's permissions can be set for it.
RUN pip install . && useradd --system --uid 10001 --no-create-home mockgw

USER mockgw
EXPOSE 8080
# 0.0.0.0 inside the container: the host decides what is published, with -p. mockgw warns
# about it on stderr, loudly without an admin token; the warning is meant for docker logs.
ENTRYPOINT ["mockgw", "serve", "--host", "0.0.0.0", "--port", "8080"]
# The image's own probe: no curl in a slim image, and none needed.
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 \
  CMD ["mockgw", "health", "--timeout", "2", "http://127.0.0.1:8080"]
