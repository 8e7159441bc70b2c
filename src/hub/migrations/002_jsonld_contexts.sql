-- JSON-LD @context documents known to the broker (the /ngsi-ld/v1/jsonldContexts endpoints).
-- Broker-wide, not per tenant. The shipped NGSI-LD core contexts are not stored here.
--   Hosted            : created by a client (POST /jsonldContexts), served at <base>/ngsi-ld/v1/jsonldContexts/<id>
--   Cached            : a copy of a remote context (fetched once, or preloaded by an operator for offline use)
--   ImplicitlyCreated : created by the broker itself
-- `document` is type json (not jsonb) so that the document is served back exactly as it was given.
CREATE TABLE IF NOT EXISTS hub_jsonld_contexts (
  id             text        PRIMARY KEY,
  url            text        NOT NULL,
  kind           text        NOT NULL CHECK (kind IN ('Hosted', 'Cached', 'ImplicitlyCreated')),
  document       json        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_usage     timestamptz,
  number_of_hits bigint      NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX IF NOT EXISTS hub_jsonld_contexts_url_idx ON hub_jsonld_contexts (url);
