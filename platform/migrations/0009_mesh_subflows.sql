-- Subflow calls into another domain, through grants with "subflow": true.
--
-- The parent's executor may insert exactly one kind of row in another
-- domain: a new (CREATED, unclaimed) child execution of a flow that a live
-- subflow grant shares with the parent's namespace, whose parent is one of
-- its own executions. The child's domain then claims and runs it with its
-- own role and key. The parent reads its children's rows (state, declared
-- outputs) and nothing else of that domain.

-- Revision and domain of a flow that some live grant shares for subflow
-- calls (nothing for any other flow): the parent's role cannot read another
-- domain's flows, only learn what it needs to create the child row.
CREATE FUNCTION weft_subflow_target(ns text, flow text)
RETURNS TABLE (revision integer, domain text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT f.revision, f.domain FROM flows f
     WHERE f.namespace = ns AND f.id = flow AND NOT f.deleted AND NOT f.disabled
       AND EXISTS (SELECT 1 FROM grants g
                    WHERE g.revoked_at IS NULL AND g.subflow
                      AND weft_ns_covers(g.namespace, f.namespace)
                      AND (f.id = ANY (g.flows) OR '*' = ANY (g.flows)))
$$;
REVOKE ALL ON FUNCTION weft_subflow_target(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION weft_subflow_target(text, text) TO weft_executor;

-- Namespace and domain of an execution, whatever the caller may read: the
-- policies below compare the domain with the caller's own.
CREATE FUNCTION weft_execution_home(exec_id text)
RETURNS TABLE (namespace text, domain text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT e.namespace, e.domain FROM executions e WHERE e.id = exec_id
$$;
REVOKE ALL ON FUNCTION weft_execution_home(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION weft_execution_home(text) TO weft_executor;

CREATE POLICY subflow_child_insert ON executions FOR INSERT TO weft_executor
    WITH CHECK (parent_id IS NOT NULL AND state = 'CREATED' AND claimed_by IS NULL
                AND domain = weft_domain_of(namespace)
                AND EXISTS (SELECT 1 FROM weft_execution_home(parent_id) p
                             WHERE p.domain = weft_current_domain()
                               AND weft_grant_covers(executions.namespace, executions.flow_id,
                                                     p.namespace, NULL, true)));
CREATE POLICY subflow_child_read ON executions FOR SELECT TO weft_executor
    USING (parent_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM weft_execution_home(parent_id) p
                        WHERE p.domain = weft_current_domain()));
