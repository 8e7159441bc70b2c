-- When the work request of a cleared alert was marked fixed in citizen services. A cleared alert whose
-- work request is still open here (the server stopped, or citizen services were unreachable, as the alert
-- cleared) is resolved again at the next start.
ALTER TABLE lighting_alerts ADD COLUMN work_request_resolved_at timestamptz;
-- Alerts cleared before this column existed had their resolve sent then.
UPDATE lighting_alerts SET work_request_resolved_at = cleared_at WHERE cleared_at IS NOT NULL AND work_request_id IS NOT NULL;
