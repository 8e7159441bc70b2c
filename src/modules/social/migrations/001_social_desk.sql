-- The social desk's own tables. Centres hold no personal data (they are published to the hub);
-- orientations record the ranking shown and the agent's choice (with the override reason).

CREATE TABLE social_centres (
  id text PRIMARY KEY,
  synthetic boolean NOT NULL DEFAULT false,
  name jsonb NOT NULL,
  type text NOT NULL,
  services text[] NOT NULL,
  domains text[] NOT NULL,
  accessibility text[] NOT NULL,
  capacity integer NOT NULL CHECK (capacity >= 0),
  enrolled integer NOT NULL CHECK (enrolled >= 0),
  waiting_list integer NOT NULL CHECK (waiting_list >= 0),
  average_wait_days integer NOT NULL CHECK (average_wait_days >= 0),
  opening_hours text NOT NULL,
  lon double precision NOT NULL,
  lat double precision NOT NULL,
  place_code text NOT NULL,
  commune_code text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE social_orientations (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES case_cases (id),
  ranking jsonb NOT NULL,
  recommended_centre_id text,
  chosen_centre_id text NOT NULL,
  overridden boolean NOT NULL,
  override_reason text,
  chosen_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX social_orientations_case ON social_orientations (case_id);
