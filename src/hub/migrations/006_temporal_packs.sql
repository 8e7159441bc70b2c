-- Day packs of the temporal history: per series (entity, attribute, datasetId) and closed UTC day, the
-- day's values as the simplified representation needs them. A read cache, never the source of truth:
-- rows in hub_attribute_instances stay, a missing pack means "read the rows", and every write to a
-- packed day rebuilds its pack in the writing transaction (temporal/packs.ts explains the protocol).
CREATE TABLE IF NOT EXISTS hub_temporal_packs (
  tenant text NOT NULL,
  entity_id text NOT NULL,
  attr text NOT NULL,
  dataset_id text NOT NULL DEFAULT '',
  -- Start of the UTC day.
  day timestamptz NOT NULL,
  n int NOT NULL,
  -- The greatest attribute type of the day, and whether the day holds more than one (then a window
  -- that cuts the day reads it from rows, which know each instance's type).
  kind text NOT NULL,
  mixed boolean NOT NULL,
  -- JSON array of [value, epoch ms of ts], oldest first; kept as text: it goes to the reader unparsed.
  vals text NOT NULL,
  PRIMARY KEY (tenant, entity_id, attr, dataset_id, day)
);

-- How far the packer got: every closed day before packed_until has been packed once.
CREATE TABLE IF NOT EXISTS hub_temporal_pack_state (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  packed_until timestamptz NOT NULL
);

