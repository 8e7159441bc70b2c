-- Internal work requests opened by other modules (e.g. lighting faults): the caller's reference makes the
-- call idempotent — one request per (source, external_ref).
ALTER TABLE citizen_requests ADD COLUMN external_ref text;
CREATE UNIQUE INDEX citizen_requests_external_ref ON citizen_requests (source, external_ref) WHERE external_ref IS NOT NULL;
