"""An image built without the spaCy model (SPACY_MODEL=) still tags: by the rules, and the
worker says once that the configured pipeline is missing."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from worker.services import build_tagger
from worker.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_spacy_pipeline_is_logged_once_per_process() -> None:
    settings = Settings(
        tags_file=REPO_ROOT / "config" / "tags.toml", ner_model="xx_not_installed_pipeline"
    )

    with capture_logs() as logs:
        tagger = build_tagger(settings)
        again = build_tagger(settings)

    assert again is tagger
    warnings = [entry for entry in logs if entry["event"] == "ner_model_unavailable"]
    assert warnings == [
        {
            "event": "ner_model_unavailable",
            "log_level": "warning",
            "ner_model": "xx_not_installed_pipeline",
            "fallback": "rules",
        }
    ]


def test_an_empty_model_name_means_rules_without_a_warning() -> None:
    settings = Settings(tags_file=REPO_ROOT / "config" / "tags.toml", ner_model="")

    with capture_logs() as logs:
        build_tagger(settings)

    assert [entry for entry in logs if entry["event"] == "ner_model_unavailable"] == []
