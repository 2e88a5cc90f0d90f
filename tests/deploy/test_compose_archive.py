"""The archive profile on a Docker engine (check 21): the PostgreSQL sink of
docker-compose.yml (`sink-postgres`, consumer group "archive", a fixed consumer name)
archiving the demo's articles, SIGKILLed mid-run and started again with `up -d`. The
archive must then hold every article of the stream once, as the stream says (each
article's newest event, each story's members), with nothing left pending or unread in the
group and no dead letter. Its own project: the suite's deployment has no archive profile.

The stand-in base images have no PostgreSQL, so the file's `postgres` service only waits
here, and the sink writes to a database of the test's own on the host's PostgreSQL
(``postgres_dsn``); the sink container, its command, its restart policy and its consumer
name are the file's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from archive_tables import actual, expected_from_stream
from articles import decoded_entries
from compose_project import RUN_TIMEOUT, Project, Projects, Table, wait_for
from test_compose_faults import RECOVERY_ALLOWANCE, no_fault_run_s

GROUP = "archive"  # the group docker-compose.yml's sink-postgres reads as
KILL_AFTER_ARCHIVED = 10


@pytest.fixture
def archive(image: str, postgres_dsn: str) -> Iterator[tuple[Project, str]]:
    projects = Projects()
    try:
        yield projects.new(profiles=("demo", "archive"), archive_dsn=postgres_dsn), postgres_dsn
    finally:
        projects.remove_all()


def archived(dsn: str) -> int:
    with psycopg.connect(dsn) as connection:
        try:
            row = connection.execute("SELECT count(*) FROM articles").fetchone()
        except psycopg.errors.UndefinedTable:  # the sink has not created its tables yet
            return 0
    return int(row[0]) if row else 0


def group_state(project: Project) -> dict[str, int] | None:
    """The archive group's pending and unread entries, None before it exists."""
    for group in project.redis().xinfo_groups(project.keys.articles_stream):
        if group["name"] == GROUP:
            return {"pending": int(group["pending"]), "lag": int(group["lag"] or 0)}
    return None


def test_21_archive_sink_killed_mid_run_archives_every_article_once(
    archive: tuple[Project, str], table: Table
) -> None:
    project, dsn = archive
    healthy_after = project.up()
    wait_for("the sink's first rows", lambda: archived(dsn) >= KILL_AFTER_ARCHIVED, RUN_TIMEOUT)

    project.compose("kill", "-s", "SIGKILL", "sink-postgres")
    killed_at = time.time()
    archived_at_kill = archived(dsn)
    project.compose("up", "-d", "--no-build", "sink-postgres")
    complete = project.wait_until_complete(no_fault_run_s() + RECOVERY_ALLOWANCE)
    count = complete or project.count()
    wait_for(
        "the archive group to have read and settled every entry",
        lambda: group_state(project) == {"pending": 0, "lag": 0},
        RECOVERY_ALLOWANCE,
    )
    caught_up_after = time.time() - killed_at

    entries = decoded_entries(project.redis(), project.keys)
    dead_letters = project.redis().xlen(project.keys.group_dead_stream(GROUP))
    table.add(
        "21",
        "--profile archive: kill -s SIGKILL sink-postgres mid-run, then up -d",
        count,
        recovery_s=caught_up_after,
        note=(
            f"healthy in {healthy_after:.0f} s; killed with {archived_at_kill} articles"
            f" archived; every entry archived {caught_up_after:.1f} s after the kill"
        ),
    )
    assert complete is not None, f"missing: {project.missing()}"
    assert count.duplicated == 0, count
    assert dead_letters == 0, project.redis().xrange(project.keys.group_dead_stream(GROUP))
    assert actual(dsn) == expected_from_stream(entries)
    assert archived(dsn) == count.unique
