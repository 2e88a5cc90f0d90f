"""Imported by the fork server of the CPU processes (``worker.adapters.cpu``), once, before it
forks any of them: the pipeline's modules, the extractor's tables and the tagger's
gazetteers, which the processes then share instead of each loading its own copy."""

from __future__ import annotations

from worker import pipeline  # noqa: F401  imported for the processes it forks
from worker.services import warm_up_tagger
from worker.settings import load_settings
from worker.stages.extract import warm_up

warm_up()
warm_up_tagger(load_settings())
