"""The simulated news web: feeds and article pages of fictional outlets, fault URLs and,
optionally, the real corpus, served at ``http://127.0.0.1:PORT/<original-host>/<path>``.

The demo, the end-to-end tests and the benchmarks run on it (docs: DESIGN.md section 5).
``catalog`` is the truth about the demo content; ``SimWeb`` serves it.
"""

from worker.simweb import catalog
from worker.simweb.model import Article
from worker.simweb.server import SimWeb, serve_forever

__all__ = ["Article", "SimWeb", "catalog", "serve_forever"]
