-- Temporal API (NGSI-LD 1.8 §5.6.11-16, §5.7.3-4): the history of every attribute instance.

-- Entities with a history: what type/id/scope filters of temporal queries run on. Outlives the entity
-- in hub_entities (deleting an entity keeps its history) and holds entities created through the
-- temporal API only.
CREATE TABLE IF NOT EXISTS hub_temporal_entities (
  tenant text NOT NULL,
  id text NOT NULL,
  types text[] NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS hub_temporal_entities_types ON hub_temporal_entities USING gin (types);

-- One row per attribute instance series (entity, attribute, datasetId): the keys a query walks
-- with one index range scan each (lastN, per-attribute instance limits).
CREATE TABLE IF NOT EXISTS hub_temporal_series (
  tenant text NOT NULL,
  entity_id text NOT NULL,
  attr text NOT NULL,
  dataset_id text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant, entity_id, attr, dataset_id)
);

-- The instances, partitioned by month of ts (observedAt, else modifiedAt). Partitions
-- (hub_attribute_instances_pYYYYMM) are created on demand by the writer and dropped whole by retention.
CREATE TABLE IF NOT EXISTS hub_attribute_instances (
  tenant text NOT NULL,
  entity_id text NOT NULL,
  attr text NOT NULL,
  dataset_id text NOT NULL DEFAULT '',
  instance_id text NOT NULL,
  ts timestamptz NOT NULL,
  observed_at timestamptz,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  kind text NOT NULL,
  -- The instance without the members held in columns (type, value/object/..., unitCode, sub-attributes).
  value jsonb NOT NULL,
  -- The value as a number (booleans 1/0) for aggregation in SQL; NULL otherwise.
  num double precision
) PARTITION BY RANGE (ts);

CREATE INDEX IF NOT EXISTS hub_attribute_instances_series ON hub_attribute_instances (tenant, entity_id, attr, dataset_id, ts);
CREATE INDEX IF NOT EXISTS hub_attribute_instances_id ON hub_attribute_instances (instance_id);
