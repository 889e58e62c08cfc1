-- Domain executors append audit entries (a refused cross-team trigger, for
-- instance) but get no other hold on the log: they may name only the entry's
-- content columns, read back only the number they were given, and never touch
-- the chain head. The chain triggers run as their owner (SECURITY DEFINER,
-- fixed search_path), so they work for any role allowed to INSERT and are not
-- narrowed by that role's privileges or row-level security.

ALTER FUNCTION audit_log_lock_head() SECURITY DEFINER SET search_path = pg_catalog, public;
ALTER FUNCTION audit_log_chain() SECURITY DEFINER SET search_path = pg_catalog, public;
ALTER FUNCTION audit_log_chain_head() SECURITY DEFINER SET search_path = pg_catalog, public;
REVOKE ALL ON FUNCTION audit_log_lock_head(), audit_log_chain(), audit_log_chain_head()
    FROM PUBLIC;

-- The chain trigger numbers every entry; the serial default would only make
-- writers need rights on a sequence that means nothing.
ALTER TABLE audit_log ALTER COLUMN seq DROP DEFAULT;

GRANT INSERT (actor, action, namespace, target, result, reason, details) ON audit_log
    TO weft_executor;
GRANT SELECT (seq) ON audit_log TO weft_executor;
