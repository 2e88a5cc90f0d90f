# One image for every role: worker, beat, flower, metrics, the CLI (`docker compose run`).
# Build stage: a virtual environment with wirestream and its dependencies (all published as
# wheels, so no compiler); the final stage copies that environment and nothing else.
#
# SPACY_MODEL: the spaCy pipeline for people and organisations, installed with spaCy itself.
# Its download needs the model host, not only the package registry: build with
# `--build-arg SPACY_MODEL=` (or SPACY_MODEL= in .env) where that host cannot be reached. The
# image then has no spaCy, and the tag stage finds people and organisations by its rules.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/wirestream
WORKDIR /src
# The dependencies first, read from pyproject.toml alone: a change to the code rebuilds only
# the last layers (seconds), not the install of every dependency (minutes).
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))\
['project']['dependencies'], sep='\\n')" > requirements.txt \
    && /opt/wirestream/bin/pip install --no-cache-dir -r requirements.txt
# Before the code too: a new revision does not download the model again.
ARG SPACY_MODEL=en_core_web_sm
RUN if [ -n "$SPACY_MODEL" ]; then \
      /opt/wirestream/bin/pip install --no-cache-dir 'spacy>=3.7,<3.9' \
      && /opt/wirestream/bin/python -m spacy download "$SPACY_MODEL"; \
    fi
COPY README.md ./
COPY worker ./worker
RUN /opt/wirestream/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim-bookworm
RUN groupadd --gid 10001 wirestream \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin wirestream \
    && mkdir -p /app/data \
    && chown 10001:10001 /app/data
COPY --from=build /opt/wirestream /opt/wirestream
WORKDIR /app
COPY config ./config
COPY seeds ./seeds
ARG SPACY_MODEL=en_core_web_sm
ENV PATH=/opt/wirestream/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WIRESTREAM_DATA_DIR=/app/data \
    WIRESTREAM_NER_MODEL=$SPACY_MODEL
# Named volumes mounted at /app/data inherit this ownership on first use.
VOLUME ["/app/data"]
USER 10001:10001
ENTRYPOINT ["wirestream"]
CMD ["--help"]
# Last, so that a new revision rebuilds nothing above.
ARG REVISION=unknown
LABEL org.opencontainers.image.revision=$REVISION
