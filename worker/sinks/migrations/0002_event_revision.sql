-- An article's events are ordered by their revision before their stream id. After a
-- failover the promoted server's clock can be behind the lost one's; it then gives a newer
-- event a smaller stream id than an older one this sink already applied, and ordering by
-- stream id alone would refuse the newer event for good. 0: not known (a row written before
-- this migration, or an entry published before entries carried their revision); two events
-- of which one has revision 0 are ordered by stream id, as before.
ALTER TABLE articles ADD COLUMN revision integer NOT NULL DEFAULT 0;
ALTER TABLE cluster_members ADD COLUMN revision integer NOT NULL DEFAULT 0;
