-- Grants keep their history: a revoke records who revoked, next to when.
ALTER TABLE grants ADD COLUMN revoked_by text;
ALTER TABLE grants ADD CONSTRAINT grants_revoked_by
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL));
-- The states a grant shares are terminal states; flows are ids or '*'.
ALTER TABLE grants ADD CONSTRAINT grants_events_terminal
    CHECK (cardinality(events) > 0 AND events <@ ARRAY['SUCCESS', 'WARNING', 'FAILED', 'KILLED',
                                                         'CANCELLED', 'SKIPPED']);
ALTER TABLE grants ADD CONSTRAINT grants_flows_nonempty CHECK (cardinality(flows) > 0);
CREATE INDEX grants_producer ON grants (namespace) WHERE revoked_at IS NULL;
CREATE INDEX grants_consumer ON grants (to_namespace) WHERE revoked_at IS NULL;
