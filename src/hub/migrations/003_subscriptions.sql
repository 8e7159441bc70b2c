-- Subscriptions (NGSI-LD 1.8 §5.2.12) and their durable notification outbox (see subscriptions/).
CREATE TABLE IF NOT EXISTS hub_subscriptions (
  tenant text NOT NULL,
  id text NOT NULL,
  -- The subscription with entity types, attribute names and geoproperty expanded (subscriptions/model.ts).
  doc jsonb NOT NULL,
  -- The @context the subscription was written with: q is read and notifications are rendered with it.
  context jsonb,
  times_sent bigint NOT NULL DEFAULT 0,
  times_failed bigint NOT NULL DEFAULT 0,
  last_notification timestamptz,
  last_success timestamptz,
  last_failure timestamptz,
  -- NotificationParams.status: true = "failed" (the receiver keeps failing), false = "ok".
  failing boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  modified_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, id)
);

-- One row per (subscription, matched change), written in the transaction of the change; deleted once
-- the receiver acknowledged it. Rows that survive a crash are delivered after the restart.
CREATE TABLE IF NOT EXISTS hub_notification_outbox (
  id bigserial PRIMARY KEY,
  tenant text NOT NULL,
  subscription_id text NOT NULL,
  -- Delivery queue key (the endpoint URI): one queue, one backoff per endpoint.
  endpoint text NOT NULL,
  -- { triggerReason, data: [entity rendered with the subscription's @context and format] }
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS hub_notification_outbox_endpoint ON hub_notification_outbox (endpoint, id);
CREATE INDEX IF NOT EXISTS hub_notification_outbox_subscription ON hub_notification_outbox (tenant, subscription_id);
