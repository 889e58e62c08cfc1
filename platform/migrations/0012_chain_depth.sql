-- Execution chains are bounded by their depth.
--
-- Two flows calling each other as subflows, or each triggering the other on
-- completion, would otherwise start executions without end. Every execution
-- now carries its depth in the chain that started it: 0 for one started by
-- a person, the API, a webhook or a schedule; the parent's depth + 1 for a
-- subflow child; the producer's depth + 1 for an execution a Flow trigger
-- starts (across domains too). The executor that would create an execution
-- deeper than the namespace's maxChainDepth policy (10 by default) refuses
-- it, and says so.
ALTER TABLE executions ADD COLUMN chain_depth integer NOT NULL DEFAULT 0
    CHECK (chain_depth >= 0);

-- A consumer cannot read a producer's execution in another domain, only its
-- completion event: the event carries the producer's depth.
ALTER TABLE events ADD COLUMN chain_depth integer NOT NULL DEFAULT 0;

-- The depth is copied from the execution the event is about, so no writer
-- can state another one. It runs with the writer's rights: an executor
-- writes events only for its own executions (policy events_write), which it
-- can read.
CREATE FUNCTION weft_event_chain_depth() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.chain_depth := COALESCE((SELECT e.chain_depth FROM executions e
                                  WHERE e.id = NEW.execution_id), 0);
    RETURN NEW;
END
$$;
CREATE TRIGGER events_chain_depth BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION weft_event_chain_depth();
