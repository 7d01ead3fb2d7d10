# syntax=docker/dockerfile:1
# hashstop: the service image. Two stages: the first builds the wheel of this package and
# collects the wheels of its dependencies; the second installs those wheels only (no compiler,
# no source tree) and runs as an unprivileged user. Every runtime dependency ships wheels. The
# image is the service: the package with its `server` extra (a plain `pip install hashstop` is
# the victim's light client, without it).
#
#   docker build -t hashstop:0.1.0 .
#   docker run -e HASHSTOP_DATABASE_URL=... -e HASHSTOP_SECRET_KEY=... -p 8000:8000 hashstop:0.1.0
#
# The command migrates a PostgreSQL database at start (`serve --migrate`, under an advisory lock
# so that replicas starting together take turns), then serves on 0.0.0.0:8000.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY requirements/docker.lock ./requirements/docker.lock
COPY src ./src
# The wheels of everything the service needs, exactly those of the lock file: pinned, and
# refused unless their sha256 is listed there (`python -m scripts.docker_lock` writes it); then
# the package's own wheel, and a check, with no index, that the locked wheels are all it needs.
RUN pip download --require-hashes --only-binary=:all: --no-deps --dest /wheels \
       -r requirements/docker.lock \
    && pip wheel --no-deps --wheel-dir /wheels . \
    && pip wheel --only-binary=:all: --no-index --find-links=/wheels --wheel-dir /wheels \
       "$(ls /wheels/hashstop-*.whl)[server]"

FROM ${PYTHON_IMAGE} AS runtime
ARG HASHSTOP_VERSION=0.1.0
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    NUMBA_CACHE_DIR=/var/lib/hashstop/numba-cache \
    HASHSTOP_DATABASE_URL=sqlite:////var/lib/hashstop/hashstop.db \
    HASHSTOP_LOG_LEVEL=INFO
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels "hashstop[server]==${HASHSTOP_VERSION}" \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/hashstop --create-home \
       --shell /usr/sbin/nologin hashstop
USER 10001:10001
WORKDIR /var/lib/hashstop
VOLUME ["/var/lib/hashstop"]
EXPOSE 8000
# Liveness only (the process answers); /readyz says whether the index is loaded and current.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["hashstop"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--migrate"]
