-- Citizen services: service requests (Open311 GeoReport v2), their history, photos, and the reporters'
-- contact details, which are personal data: they stay in this table, are never returned by public
-- endpoints, never reach the hub, and are deleted after MADINA_CITIZEN_CONTACT_RETENTION_DAYS.
CREATE SEQUENCE citizen_request_seq START 1001;

CREATE TABLE citizen_requests (
  id text PRIMARY KEY DEFAULT nextval('citizen_request_seq')::text,
  token text NOT NULL UNIQUE,
  service_code text NOT NULL,
  state text NOT NULL,
  note text,
  description text,
  address text,
  address_id text,
  attributes jsonb NOT NULL DEFAULT '{}',
  lat double precision NOT NULL,
  lon double precision NOT NULL,
  commune_code text NOT NULL,
  arrondissement_code text,
  scope text NOT NULL,
  agency text NOT NULL,
  asset_id text,
  asset_distance_m double precision,
  duplicate_of text REFERENCES citizen_requests (id),
  media_url text,
  photo_id text,
  assignee text,
  source text NOT NULL,
  api_key_id text,
  requested_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  expected_at timestamptz,
  closed_at timestamptz,
  hub_synced boolean NOT NULL DEFAULT false
);
CREATE INDEX citizen_requests_requested ON citizen_requests (requested_at);
CREATE INDEX citizen_requests_queue ON citizen_requests (commune_code, service_code, state);
CREATE INDEX citizen_requests_open_near ON citizen_requests (service_code, lat, lon) WHERE closed_at IS NULL;
CREATE INDEX citizen_requests_unsynced ON citizen_requests (id) WHERE NOT hub_synced;

CREATE TABLE citizen_request_events (
  id bigserial PRIMARY KEY,
  request_id text NOT NULL REFERENCES citizen_requests (id),
  at timestamptz NOT NULL,
  from_state text,
  to_state text NOT NULL,
  -- The note the citizen sees (tracking page, status_notes); staff identifiers are not shown publicly.
  note text,
  actor text NOT NULL
);
CREATE INDEX citizen_request_events_request ON citizen_request_events (request_id, id);

CREATE TABLE citizen_photos (
  id text PRIMARY KEY,
  request_id text REFERENCES citizen_requests (id),
  content_type text NOT NULL,
  bytes bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE citizen_contacts (
  request_id text PRIMARY KEY REFERENCES citizen_requests (id),
  email text,
  first_name text,
  last_name text,
  phone text,
  device_id text,
  account_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
