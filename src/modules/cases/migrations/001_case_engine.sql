-- The case engine's own tables (personal data: never copied to the hub). One engine, several programs
-- (the social desk, later child protection): every row says which program it belongs to.

CREATE TABLE case_settings (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE case_forms (
  id text NOT NULL,
  version integer NOT NULL,
  title jsonb NOT NULL,
  schema jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, version)
);

CREATE TABLE case_persons (
  id uuid PRIMARY KEY,
  program text NOT NULL,
  given_name text NOT NULL,
  family_name text NOT NULL,
  birth_date date,
  sex text,
  phone text,
  address text,
  place_code text NOT NULL,
  -- HMAC-SHA256 of the normalized national id under the identity key; the id itself is never stored.
  national_id_hash text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_persons_nid ON case_persons (program, national_id_hash) WHERE national_id_hash IS NOT NULL;
CREATE INDEX case_persons_birth ON case_persons (program, birth_date);

CREATE TABLE case_cases (
  id uuid PRIMARY KEY,
  program text NOT NULL,
  person_id uuid NOT NULL REFERENCES case_persons (id),
  form_id text NOT NULL,
  form_version integer NOT NULL,
  data jsonb NOT NULL,
  state text NOT NULL CHECK (state IN ('open', 'active', 'referred', 'closed', 'reopened')),
  place_code text NOT NULL,
  owner_centre_id text,
  assigned_to text,
  opened_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  FOREIGN KEY (form_id, form_version) REFERENCES case_forms (id, version)
);
CREATE INDEX case_cases_place ON case_cases (program, place_code);
CREATE INDEX case_cases_owner ON case_cases (program, owner_centre_id);

CREATE TABLE case_duplicates (
  case_id uuid NOT NULL REFERENCES case_cases (id),
  other_case_id uuid NOT NULL REFERENCES case_cases (id),
  reasons text[] NOT NULL,
  PRIMARY KEY (case_id, other_case_id)
);

CREATE TABLE case_notes (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES case_cases (id),
  body text NOT NULL,
  author_id text NOT NULL,
  author_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_notes_case ON case_notes (case_id);

CREATE TABLE case_followups (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES case_cases (id),
  title text NOT NULL,
  due_on date NOT NULL,
  done_at timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_followups_case ON case_followups (case_id);

CREATE TABLE case_services (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES case_cases (id),
  service text NOT NULL,
  centre_id text,
  referral_id uuid,
  delivered_on date NOT NULL,
  note text,
  recorded_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_services_case ON case_services (case_id);

CREATE TABLE case_attachments (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES case_cases (id),
  name text NOT NULL,
  media_type text NOT NULL,
  size_bytes integer NOT NULL,
  content bytea NOT NULL,
  uploaded_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_attachments_case ON case_attachments (case_id);

CREATE TABLE case_consents (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES case_cases (id),
  purpose text NOT NULL,
  -- scope: the fields it lets be shared and the centres it lets them go to (NULL = any centre)
  fields text[] NOT NULL,
  centre_ids text[],
  given_on date NOT NULL,
  given_by text NOT NULL,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  withdrawn_at timestamptz,
  withdrawn_by text,
  withdrawal_reason text
);
CREATE INDEX case_consents_case ON case_consents (case_id);

CREATE TABLE case_referrals (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES case_cases (id),
  kind text NOT NULL CHECK (kind IN ('referral', 'transfer')),
  from_centre_id text,
  to_centre_id text NOT NULL,
  reason text NOT NULL,
  services text[] NOT NULL,
  shared_fields text[] NOT NULL,
  consent_id uuid NOT NULL REFERENCES case_consents (id),
  state text NOT NULL CHECK (state IN ('pending', 'accepted', 'declined', 'completed', 'cancelled')),
  decline_reason text,
  outcome text,
  sent_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  accepted_at timestamptz,
  closed_at timestamptz
);
CREATE INDEX case_referrals_to ON case_referrals (to_centre_id, state);
CREATE INDEX case_referrals_case ON case_referrals (case_id);

-- Append-only, hash-chained audit log (audit-chain.ts). `at` is kept as the exact ISO text that was hashed.
CREATE TABLE case_audit (
  seq bigint PRIMARY KEY,
  at text NOT NULL,
  actor_id text NOT NULL,
  actor_name text NOT NULL,
  actor_roles text[] NOT NULL,
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text,
  case_id text,
  reason text,
  outcome text NOT NULL,
  details jsonb NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX case_audit_case ON case_audit (case_id);

-- Defence in depth: the application never updates or deletes audit rows; the chain still detects
-- changes made by someone who disables this trigger.
CREATE FUNCTION case_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case_audit is append-only';
END $$;
CREATE TRIGGER case_audit_no_change BEFORE UPDATE OR DELETE ON case_audit
  FOR EACH ROW EXECUTE FUNCTION case_audit_append_only();
