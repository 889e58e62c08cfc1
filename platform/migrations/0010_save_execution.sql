-- An executor saves an execution's changes in one statement.
--
-- Before, a save was BEGIN, a lease check, one upsert per changed task run,
-- the execution row, the completion event and COMMIT: a round trip each,
-- every one of them holding the executor's loop. As one call it is a single
-- round trip that the executor can send without waiting (libpq in
-- non-blocking mode) and read back when the answer arrives.
--
-- It runs with the caller's rights, so the row-level security policies of
-- the domain's role apply to every row it touches, exactly as before.
-- The statements run in order inside the call's own transaction: the lease
-- is checked (and the row locked) first, and the event's policy sees the
-- terminal state the update before it wrote.
--
-- p_truns: [{id, task_id, parent, value, iteration, state, attempt,
--            attempts, outputs, ended}] — the changed task runs.
-- p_exec:  {state, history, outputs, labels, ended} or NULL when only task
--          runs changed.
-- Returns 'ok', or 'lost' when this replica no longer holds the claim
-- (nothing is written then).
CREATE FUNCTION weft_save_execution(p_id text, p_executor text, p_namespace text,
                                    p_domain text, p_truns jsonb, p_exec jsonb)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM executions WHERE id = p_id AND claimed_by = p_executor FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'lost';
    END IF;
    -- Parents and children in one statement: foreign keys are checked at
    -- its end, and they share created_at (the executor orders by it, then
    -- by parent).
    INSERT INTO task_runs AS t (id, execution_id, namespace, domain, task_id,
                                parent_task_run_id, value, iteration, state, attempt,
                                attempts, outputs, claimed_by, lease_until, started_at,
                                ended_at)
    SELECT r.id, p_id, p_namespace, p_domain, r.task_id, r.parent, r.value, r.iteration,
           r.state, r.attempt, COALESCE(r.attempts, '[]'), r.outputs, p_executor,
           now() + interval '15 seconds',
           CASE WHEN r.state <> 'CREATED' THEN now() END,
           CASE WHEN r.ended THEN now() END
      FROM jsonb_to_recordset(COALESCE(p_truns, '[]')) AS r(id text, task_id text,
           parent text, value text, iteration int, state text, attempt int, attempts jsonb,
           outputs jsonb, ended boolean)
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, attempt = excluded.attempt,
           attempts = excluded.attempts, outputs = excluded.outputs,
           claimed_by = excluded.claimed_by, lease_until = excluded.lease_until,
           started_at = COALESCE(t.started_at, excluded.started_at),
           ended_at = excluded.ended_at, updated_at = now();
    IF p_exec IS NULL THEN
        RETURN 'ok';
    END IF;
    -- A kill asked for through the API (KILLING) stands until the executor
    -- reports an end: a save computed before it saw the kill must not undo it.
    UPDATE executions SET state = CASE WHEN state = 'KILLING' AND NOT (p_exec->>'ended')::boolean
                                       THEN state ELSE p_exec->>'state' END,
           state_history = CASE WHEN state = 'KILLING' AND NOT (p_exec->>'ended')::boolean
                                THEN state_history ELSE p_exec->'history' END,
           outputs = CASE WHEN jsonb_typeof(p_exec->'outputs') = 'null' THEN NULL
                          ELSE p_exec->'outputs' END,
           labels = p_exec->'labels',
           started_at = COALESCE(started_at, CASE WHEN p_exec->>'state' NOT IN
                                 ('CREATED', 'QUEUED') THEN now() END),
           ended_at = CASE WHEN (p_exec->>'ended')::boolean THEN now() END,
           claimed_by = CASE WHEN (p_exec->>'ended')::boolean THEN NULL ELSE claimed_by END,
           lease_until = CASE WHEN (p_exec->>'ended')::boolean THEN NULL ELSE lease_until END,
           updated_at = now()
     WHERE id = p_id AND claimed_by = p_executor;
    -- The completion event commits with the terminal state: never lost
    -- between the two, never written for a state that did not commit.
    IF (p_exec->>'ended')::boolean THEN
        INSERT INTO events (namespace, flow_id, domain, execution_id, state, outputs, labels)
        SELECT e.namespace, e.flow_id, e.domain, e.id, e.state, COALESCE(e.outputs, '{}'),
               COALESCE(e.labels, '{}')
          FROM executions e WHERE e.id = p_id;
        PERFORM pg_notify('weft_events', p_domain);
    END IF;
    RETURN 'ok';
END
$$;
