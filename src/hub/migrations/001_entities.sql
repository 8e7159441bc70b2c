-- The hub's city context: one row per entity, attributes as expanded-IRI jsonb (see entities/model.ts).
CREATE TABLE IF NOT EXISTS hub_tenants (
  name text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS hub_entities (
  tenant text NOT NULL,
  id text NOT NULL,
  types text[] NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  -- The `location` GeoProperty (default instance), kept in its own column for spatial indexes.
  location geometry(Geometry, 4326),
  doc jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, id)
);

CREATE INDEX IF NOT EXISTS hub_entities_types ON hub_entities USING gin (types);
CREATE INDEX IF NOT EXISTS hub_entities_scopes ON hub_entities USING gin (scopes);
CREATE INDEX IF NOT EXISTS hub_entities_location ON hub_entities USING gist (location);
-- near;maxDistance works in metres on geography: index that expression too.
CREATE INDEX IF NOT EXISTS hub_entities_location_geog ON hub_entities USING gist ((location::geography));
