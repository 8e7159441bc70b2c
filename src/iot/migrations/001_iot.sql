-- The IoT agent's registry: config groups (FIWARE "services") and devices. Telemetry itself goes to the hub.
CREATE TABLE IF NOT EXISTS iot_groups (
  resource text NOT NULL,
  apikey text NOT NULL,
  tenant text NOT NULL,
  service_path text NOT NULL DEFAULT '/',
  doc jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- iotagent-node-lib: the pair (resource, apikey) identifies a group across services.
  PRIMARY KEY (resource, apikey)
);
CREATE INDEX IF NOT EXISTS iot_groups_tenant ON iot_groups (tenant);

CREATE TABLE IF NOT EXISTS iot_devices (
  tenant text NOT NULL,
  device_id text NOT NULL,
  service_path text NOT NULL DEFAULT '/',
  doc jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz,
  PRIMARY KEY (tenant, device_id)
);
