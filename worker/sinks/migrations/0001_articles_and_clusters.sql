-- The archive of <namespace>:articles: one row per article, the stories, and how far each
-- consumer group got. Every row is a function of the stream alone (no now()), so applying an
-- entry twice, or replaying the stream, leaves the same rows.

-- One row per article id: the newest event applied (by stream id) wins, so an older entry
-- delivered late never overwrites a newer one.
CREATE TABLE articles (
    id            text PRIMARY KEY,
    event         text NOT NULL,
    stream_ms     bigint NOT NULL,
    stream_seq    bigint NOT NULL,
    stream_id     text GENERATED ALWAYS AS (stream_ms::text || '-' || stream_seq::text) STORED,
    url           text NOT NULL,
    feed          text NOT NULL,
    language      text,
    cluster_id    text NOT NULL,
    duplicate_of  text,
    title         text,
    published_at  timestamptz,
    content_hash  text,
    data          jsonb NOT NULL
);
CREATE INDEX articles_cluster_id ON articles (cluster_id);
CREATE INDEX articles_published_at ON articles (published_at);

-- How each article joined its story: its earliest event (created or duplicate).
CREATE TABLE cluster_members (
    article_id    text PRIMARY KEY,
    cluster_id    text NOT NULL,
    event         text NOT NULL,
    similarity    double precision,
    stream_ms     bigint NOT NULL,
    stream_seq    bigint NOT NULL,
    stream_id     text GENERATED ALWAYS AS (stream_ms::text || '-' || stream_seq::text) STORED
);
CREATE INDEX cluster_members_cluster_id ON cluster_members (cluster_id);

-- One row per story (its id is its first article's), recomputed from its members.
CREATE TABLE clusters (
    id             text PRIMARY KEY,
    size           integer NOT NULL,
    first_seen_at  timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL
);

-- The newest stream id each consumer group has applied, written with its rows.
CREATE TABLE sink_positions (
    group_name  text PRIMARY KEY,
    stream_ms   bigint NOT NULL,
    stream_seq  bigint NOT NULL,
    stream_id   text GENERATED ALWAYS AS (stream_ms::text || '-' || stream_seq::text) STORED
);
