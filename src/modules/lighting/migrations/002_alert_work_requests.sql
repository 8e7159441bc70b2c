-- The citizen-services work request opened for an alert (its service_request_id), when one was opened.
ALTER TABLE lighting_alerts ADD COLUMN work_request_id text;
