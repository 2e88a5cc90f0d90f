# One image for every role: worker, beat, flower, the CLI.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/wirestream
COPY pyproject.toml README.md ./
COPY worker ./worker
RUN /opt/wirestream/bin/pip install --no-cache-dir . 'spacy>=3.7,<3.9' \
    && /opt/wirestream/bin/python -m spacy download en_core_web_sm

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 wirestream
COPY --from=build /opt/wirestream /opt/wirestream
WORKDIR /app
COPY --chown=wirestream config ./config
COPY --chown=wirestream seeds ./seeds
ENV PATH=/opt/wirestream/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    WIRESTREAM_CONFIG=/app/config/wirestream.toml \
    WIRESTREAM_DATA_DIR=/app/data
USER wirestream
ENTRYPOINT ["wirestream"]
CMD ["--help"]
