-- Public lighting: fault alerts (one open alert per lamp and kind), saved master-plan scenarios,
-- commands sent to lamps, and each commune's energy baseline. The inventory itself lives in the hub.

CREATE TABLE lighting_alerts (
  id bigserial PRIMARY KEY,
  lamp_id text NOT NULL,
  kind text NOT NULL,
  commune_code text,
  scope text,
  raised_at timestamptz NOT NULL,
  cleared_at timestamptz,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX lighting_alerts_open ON lighting_alerts (lamp_id, kind) WHERE cleared_at IS NULL;
CREATE INDEX lighting_alerts_raised ON lighting_alerts (raised_at DESC, id DESC);

CREATE TABLE lighting_scenarios (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  request jsonb NOT NULL,
  summary jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lighting_commands (
  id uuid PRIMARY KEY,
  target_type text NOT NULL,
  target_id text NOT NULL,
  command text NOT NULL,
  value jsonb,
  devices jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lighting_commands_created ON lighting_commands (created_at DESC);

CREATE TABLE lighting_baselines (
  commune_code text PRIMARY KEY,
  energy_kwh double precision NOT NULL,
  light_points integer NOT NULL,
  taken_at timestamptz NOT NULL
);
