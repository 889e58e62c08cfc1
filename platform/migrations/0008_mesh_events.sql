-- Completion events cross domains only through grants.
--
-- A domain's executor writes the events of its own executions (one per
-- terminal state, carrying the flow's declared outputs and labels only) and
-- reads its own events plus those of other domains that a live grant shares
-- with one of its namespaces. It reads the grants made by or to its domain,
-- and can neither write nor change any grant.

-- The transaction that wrote an event. Consumers read events in (txid, id)
-- order and only below the oldest transaction still running, so an event
-- committed late by a slow transaction is never skipped by a cursor that
-- already moved past a higher id.
ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_txid ON events (txid, id);

-- The cursor of a cross-domain Flow trigger: the last event it has seen.
ALTER TABLE trigger_state ADD COLUMN event_txid xid8, ADD COLUMN event_id bigint;

-- True when namespace `ns` is `prefix` or below it ('_' is no wildcard here).
CREATE FUNCTION weft_ns_covers(prefix text, ns text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT ns = prefix OR left(ns, length(prefix) + 1) = prefix || '.'
$$;

-- True when a live grant covers flow `flow_id` of `producer_ns` for the
-- consumer namespace `consumer_ns`, in `state` (NULL: any state), for subflow
-- calls when `subflow`. Runs with the caller's rights: a domain role sees only
-- the grants made by or to its domain.
CREATE FUNCTION weft_grant_covers(producer_ns text, flow_id text, consumer_ns text, state text,
                                  subflow boolean) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM grants g
                    WHERE g.revoked_at IS NULL
                      AND weft_ns_covers(g.namespace, producer_ns)
                      AND (weft_grant_covers.flow_id = ANY (g.flows) OR '*' = ANY (g.flows))
                      AND weft_ns_covers(g.to_namespace, consumer_ns)
                      AND (weft_grant_covers.state IS NULL
                           OR weft_grant_covers.state = ANY (g.events))
                      -- qualified: a bare "subflow" would name the column
                      AND (NOT weft_grant_covers.subflow OR g.subflow))
$$;

GRANT SELECT ON grants TO weft_executor;
DROP POLICY domain_isolation ON grants;
CREATE POLICY grants_read ON grants FOR SELECT TO weft_executor
    USING (domain = weft_current_domain() OR to_domain = weft_current_domain());

DROP POLICY domain_isolation ON events;
CREATE POLICY events_own ON events FOR SELECT TO weft_executor
    USING (domain = weft_current_domain());
-- An event is written only for an execution of the writer's own domain that
-- has reached exactly that state: a forged event for another domain's flow,
-- or for a state the execution never reached, is refused.
CREATE POLICY events_write ON events FOR INSERT TO weft_executor
    WITH CHECK (domain = weft_current_domain()
                AND weft_domain_of(namespace) = domain
                AND EXISTS (SELECT 1 FROM executions e
                             WHERE e.id = execution_id AND e.domain = events.domain
                               AND e.namespace = events.namespace
                               AND e.flow_id = events.flow_id AND e.state = events.state));
CREATE POLICY events_granted ON events FOR SELECT TO weft_executor
    USING (EXISTS (SELECT 1 FROM grants g
                    WHERE g.revoked_at IS NULL AND g.to_domain = weft_current_domain()
                      AND weft_ns_covers(g.namespace, events.namespace)
                      AND (events.flow_id = ANY (g.flows) OR '*' = ANY (g.flows))
                      AND events.state = ANY (g.events)));
