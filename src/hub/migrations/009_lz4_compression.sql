-- Entity documents (~2.7 kB, compressed in the row) and day packs (tens of kB) are decompressed on every
-- read: a type+q query decompresses each row it tests. pglz decompression was 28 % of PostgreSQL's CPU
-- under a type+q load; lz4 decompresses several times faster (the query statement 0.55-0.61 -> 0.46-0.51
-- ms) for ~13 % more bytes. Values written from now on use it; stored ones move as they are rewritten.
-- A server built without lz4 (PGlite) keeps pglz.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE hub_entities ALTER COLUMN doc SET COMPRESSION lz4;
    ALTER TABLE hub_temporal_packs ALTER COLUMN vals SET COMPRESSION lz4;
  END IF;
END $$;
