-- Collection plans: one plan per (tenant, place, date), a new version each time it is planned again.
-- A version and its routes and stops are written in one transaction, only when the job succeeded.
CREATE TABLE waste_plans (
  id uuid PRIMARY KEY,
  tenant text NOT NULL,
  place_code text NOT NULL,
  commune_code text NOT NULL,
  plan_date date NOT NULL,
  latest_version integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, place_code, plan_date)
);
CREATE INDEX waste_plans_commune ON waste_plans (tenant, commune_code, plan_date DESC);

CREATE TABLE waste_plan_versions (
  plan_id uuid NOT NULL REFERENCES waste_plans (id) ON DELETE CASCADE,
  version integer NOT NULL,
  planned_at timestamptz NOT NULL,
  params jsonb NOT NULL,
  summary jsonb NOT NULL,
  depots jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'collected')),
  actual_distance_m integer,
  collected_at timestamptz,
  collected_by text,
  collection_simulated boolean,
  PRIMARY KEY (plan_id, version)
);

CREATE TABLE waste_routes (
  plan_id uuid NOT NULL,
  version integer NOT NULL,
  truck integer NOT NULL,
  depot_id text NOT NULL,
  distance_m integer NOT NULL,
  duration_min integer NOT NULL,
  load_l integer NOT NULL,
  PRIMARY KEY (plan_id, version, truck),
  FOREIGN KEY (plan_id, version) REFERENCES waste_plan_versions (plan_id, version) ON DELETE CASCADE
);

CREATE TABLE waste_stops (
  plan_id uuid NOT NULL,
  version integer NOT NULL,
  truck integer NOT NULL,
  seq integer NOT NULL,
  container_id text NOT NULL,
  lon double precision NOT NULL,
  lat double precision NOT NULL,
  level real NOT NULL,
  volume_l integer NOT NULL,
  reason text NOT NULL,
  arrival_min integer NOT NULL,
  PRIMARY KEY (plan_id, version, truck, seq),
  FOREIGN KEY (plan_id, version, truck) REFERENCES waste_routes (plan_id, version, truck) ON DELETE CASCADE
);

-- Depots (garages / transfer stations) configured per place; none = a depot at the place's centroid.
CREATE TABLE waste_depots (
  tenant text NOT NULL,
  place_code text NOT NULL,
  id text NOT NULL,
  name text,
  lon double precision NOT NULL,
  lat double precision NOT NULL,
  PRIMARY KEY (tenant, place_code, id)
);
