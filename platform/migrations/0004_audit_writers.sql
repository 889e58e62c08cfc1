-- Domain executors append audit entries (a refused cross-team trigger, for
-- instance) but get no other hold on the log: their only access is
-- audit_append(), which inserts one entry and returns its number. They cannot
-- read the log (not even count it), choose a number or hash, change or delete
-- entries, or touch the chain head. audit_append() and the chain triggers run
-- as their owner (SECURITY DEFINER, fixed search_path), so neither the caller's
-- privileges nor its row-level security can bend the chain.

ALTER FUNCTION audit_log_lock_head() SECURITY DEFINER SET search_path = pg_catalog, public;
ALTER FUNCTION audit_log_chain() SECURITY DEFINER SET search_path = pg_catalog, public;
ALTER FUNCTION audit_log_chain_head() SECURITY DEFINER SET search_path = pg_catalog, public;
REVOKE ALL ON FUNCTION audit_log_lock_head(), audit_log_chain(), audit_log_chain_head()
    FROM PUBLIC;

-- The chain trigger numbers every entry; the serial default only consumed
-- a sequence that means nothing.
ALTER TABLE audit_log ALTER COLUMN seq DROP DEFAULT;

-- NULL namespace, target and reason mean '' and NULL details mean {}.
CREATE FUNCTION audit_append(actor text, action text, namespace text, target text, result text,
                             reason text, details jsonb) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    INSERT INTO audit_log (actor, action, namespace, target, result, reason, details)
    VALUES (actor, action, coalesce(namespace, ''), coalesce(target, ''), result,
            coalesce(reason, ''), coalesce(details, '{}'::jsonb))
    RETURNING seq
$$;
REVOKE ALL ON FUNCTION audit_append(text, text, text, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(text, text, text, text, text, text, jsonb)
    TO weft_executor;
