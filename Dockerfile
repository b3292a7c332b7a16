# hypemeter: the REST service with the default model baked in.
#
#   docker build -t hypemeter .
#   docker run --rm -p 8000:8000 hypemeter
#
# Two stages. `builder` turns the project and every pinned dependency (requirements.lock) into
# wheels and slims them (test suites removed, debug symbols stripped from the packages' own
# shared libraries). The runtime stage installs from those wheels only: no index, no compiler.
# Settings come from the same HYPEMETER_* variables as outside Docker (README.md,
# "Configuration"); /app/models can be replaced by a volume.
#
# Size (limit 450 MB): the image installs the package's runtime dependencies (what serving,
# scoring and training need) and nothing else. What only one engine or format needs is an
# extra of the package, left out unless asked for: `--build-arg EXTRAS=dask,parquet,plots` adds
# `hypemeter score --engine dask`, Parquet I/O and the report figures (about 650 MB then).

ARG PYTHON_IMAGE=python:3.11-slim

# --------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# binutils for `strip`; `wheel` to unpack and repack the wheels.
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/* \
 && pip install "wheel==0.45.1"

# Extras of the package to install as well (comma-separated, e.g. "dask,parquet"; empty: none).
ARG EXTRAS=""

WORKDIR /src
# Only what the wheel needs, so edits to tests or docs don't invalidate these layers.
COPY requirements.lock requirements-dev.lock ./
COPY pyproject.toml README.md ./
COPY hypemeter/ hypemeter/
COPY service/ service/
COPY training/ training/
# (requirements-dev.lock pins the extras too, with the same versions as requirements.lock)
RUN pip wheel --wheel-dir /wheels -c requirements.lock -c requirements-dev.lock \
        ".${EXTRAS:+[$EXTRAS]}"

# Slim every wheel: drop test suites (tests/ and test/ folders: numpy's, scipy's, nltk's and
# joblib's are never imported at run time); strip the shared libraries a package builds itself. The
# libraries auditwheel vendored into `<name>.libs/` are left alone: they were rewritten with
# patchelf and `strip` would corrupt them.
RUN mkdir /slim \
 && for whl in /wheels/*.whl; do \
        rm -rf /tmp/unpacked && mkdir /tmp/unpacked \
     && python -m wheel unpack --dest /tmp/unpacked "$whl" >/dev/null \
     && tree="$(find /tmp/unpacked -mindepth 1 -maxdepth 1 -type d)" \
     && find "$tree" -type d \( -name tests -o -name test \) -prune -exec rm -rf {} + \
     && find "$tree" -type f -name '*.so*' ! -path '*.libs/*' -exec strip --strip-unneeded {} + \
     && python -m wheel pack --dest-dir /slim "$tree" >/dev/null \
     || exit 1; \
    done \
 && rm -rf /tmp/unpacked

# --------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

# The same extras as the builder's (its wheels hold only what they and the runtime need).
ARG EXTRAS=""

LABEL org.opencontainers.image.title="hypemeter" \
      org.opencontainers.image.description="Scores news text for sensationalism and misinformation risk (style signals, not a fact-check)" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    HYPEMETER_MODELS_DIR=/app/models \
    HYPEMETER_HOST=0.0.0.0 \
    HYPEMETER_PORT=8000

# Install from the builder's wheels only (bind-mounted, so they never become a layer), without
# byte-compiling everything; then drop headers, sample data and the test helpers SQLAlchemy and
# Alembic ship, which no one uses at run time.
RUN --mount=type=bind,from=builder,source=/slim,target=/wheels \
    pip install --no-index --find-links /wheels --no-compile "hypemeter${EXTRAS:+[$EXTRAS]}" \
 && SITE="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && rm -rf "$SITE/numpy/_core/include" "$SITE/numpy/f2py/src" "$SITE/sklearn/datasets/images" /root/.cache \
 && find "$SITE" \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pyi' \) -delete \
 && rm -rf "$SITE/sqlalchemy/testing" "$SITE/alembic/testing"

# The sample corpus and the catalog, for `hypemeter train` in the container.
COPY datasets/catalog.json /app/datasets/catalog.json
COPY datasets/sample/ /app/datasets/sample/
ENV HYPEMETER_DATASETS_DIR=/app/datasets

# An unprivileged user owns the models directory, so retraining in the container can write it.
RUN groupadd --system --gid 10001 hypemeter \
 && useradd --system --uid 10001 --gid hypemeter --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin hypemeter
WORKDIR /app
COPY --chown=hypemeter:hypemeter models/ /app/models/

# The feedback database (POST /v1/feedback): a SQLite file in /app/data unless
# HYPEMETER_DATABASE_URL names another (compose.yaml points it at PostgreSQL). Mount a volume on
# /app/data to keep the corrections when the container is replaced.
RUN install -d -o hypemeter -g hypemeter /app/data
ENV HYPEMETER_DATABASE_URL=sqlite:////app/data/feedback.db

# Byte-compile only what serving and scoring import (by doing it once), so the server starts
# fast without the full set of .pyc files.
RUN hypemeter score /app/datasets/sample/sample.jsonl --output /dev/null --quiet \
 && python -c "import hypemeter.service.server, hypemeter.service.app, uvicorn.main, uvicorn.loops.auto, uvicorn.protocols.http.auto, uvicorn.protocols.websockets.auto, uvicorn.lifespan.on; hypemeter.service.app.create_app().openapi()"

ENV PYTHONDONTWRITEBYTECODE=1
USER hypemeter

EXPOSE 8000
# No curl in the image: Python's standard library asks /readyz (readiness, not liveness: a
# container whose model did not load answers /healthz but cannot score, so it is unhealthy).
# A 503 raises HTTPError, which exits 1 as well.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]

CMD ["hypemeter", "serve", "--host", "0.0.0.0", "--port", "8000"]
