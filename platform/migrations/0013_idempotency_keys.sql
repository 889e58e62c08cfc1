-- Idempotent creation of executions.
--
-- A client that retries POST /api/v1/executions/{namespace}/{flowId} after a
-- timeout or a lost connection sends the same Idempotency-Key header; the
-- gateway answers with the execution the first request created instead of
-- starting a second one. A key is scoped to its namespace and flow, as
-- Stripe scopes keys to an account: two flows may use the same key for
-- unrelated calls. The primary key is what makes concurrent duplicates safe:
-- the loser's INSERT … ON CONFLICT waits for the winner's commit, inserts
-- nothing, and the gateway then reads the winner's row.
--
-- fingerprint is the SHA-256 of the request body, so the same key sent with
-- other inputs is refused rather than silently answered with the first
-- execution. A key is honoured for 24 hours: an older row is overwritten by
-- the next request with its key, and the gateway deletes a few expired rows
-- now and then (created_at is indexed for that). Deleting an execution
-- deletes its key with it.
CREATE TABLE idempotency_keys (
    namespace     text NOT NULL,
    flow_id       text NOT NULL,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint   text NOT NULL,
    execution_id  text NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, flow_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
CREATE INDEX idempotency_keys_execution ON idempotency_keys (execution_id);
