"""The PostgreSQL sink's tables as the tests read them, and what they must hold according to
the stream alone (computed without the sink's SQL)."""

from __future__ import annotations

from typing import Any

import psycopg

TABLES = ("articles", "cluster_members", "clusters")


def table_rows(dsn: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the archive's tables, in a stable order."""
    with psycopg.connect(dsn) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in TABLES
        }


def expected_from_stream(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """What the tables must say, computed from the stream without the sink's SQL: the newest
    event of each article, the earliest event by which each joined its story."""
    newest: dict[str, dict[str, Any]] = {}
    joined: dict[str, dict[str, Any]] = {}
    for entry in entries:  # oldest first
        newest[entry["id"]] = entry
        joined.setdefault(entry["id"], entry)
    sizes: dict[str, int] = {}
    for entry in joined.values():
        sizes[entry["cluster"]] = sizes.get(entry["cluster"], 0) + 1
    return {
        "articles": sorted(
            (
                e["id"],
                e["event"],
                e["stream_id"],
                e["cluster"],
                e.get("duplicate_of"),
                e["data"]["title"],
            )
            for e in newest.values()
        ),
        "members": sorted(
            (e["id"], e["cluster"], e["event"], e["stream_id"]) for e in joined.values()
        ),
        "clusters": sorted(sizes.items()),
    }


def actual(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn) as connection:
        return {
            "articles": connection.execute(
                "SELECT id, event, stream_id, cluster_id, duplicate_of, title FROM articles"
                " ORDER BY id"
            ).fetchall(),
            "members": connection.execute(
                "SELECT article_id, cluster_id, event, stream_id FROM cluster_members"
                " ORDER BY article_id"
            ).fetchall(),
            "clusters": connection.execute("SELECT id, size FROM clusters ORDER BY id").fetchall(),
        }
