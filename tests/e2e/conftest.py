"""End-to-end fixtures: `simweb`, `pipeline_env` and `wirestream` live in ../conftest.py,
shared with the integration tests."""
