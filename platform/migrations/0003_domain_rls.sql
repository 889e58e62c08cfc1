-- Per-domain isolation in the database: every domain's executors log in with
-- their own role, and row-level security limits that role to the rows of its
-- own domain in every tenant table. RBAC in the gateway is the first wall;
-- this one holds even when an executor is compromised.

-- The privileges every domain role shares. Membership gives table access;
-- the policies below narrow it to the member's own domain.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'weft_executor') THEN
        CREATE ROLE weft_executor NOLOGIN;
    END IF;
END
$$;

-- The role name of a domain. PostgreSQL cuts identifiers at 63 bytes, so long
-- domain names keep a hash suffix to stay distinct.
CREATE FUNCTION weft_domain_role_name(domain text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN length(domain) <= 51 THEN 'weft_domain_' || domain
                ELSE 'weft_domain_' || left(domain, 42) || '_' || left(md5(domain), 8) END
$$;

-- The domain of the role running the statement (NULL for any other role, so
-- every policy below then matches nothing).
CREATE FUNCTION weft_current_domain() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT name FROM domains WHERE db_role = current_user
$$;

-- Creates the domain's role when missing, records it on the domain, and
-- returns its name. Run by the superuser an executor starts with; the
-- executor then logs in as (or switches to) the returned role.
CREATE FUNCTION weft_ensure_domain_role(dom text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r text := weft_domain_role_name(dom);
BEGIN
    IF dom !~ '^[a-z][a-z0-9-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid domain name %', dom;
    END IF;
    -- Serialise concurrent replicas starting at the same time.
    PERFORM pg_advisory_xact_lock(hashtext('weft_ensure_domain_role'));
    INSERT INTO domains (name) VALUES (dom) ON CONFLICT (name) DO NOTHING;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
        -- LOGIN without password: the embedded cluster trusts its private
        -- socket only; an external server sets its own authentication.
        EXECUTE format('CREATE ROLE %I LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE '
                       'NOREPLICATION NOBYPASSRLS', r);
    END IF;
    EXECUTE format('GRANT weft_executor TO %I', r);
    EXECUTE format('ALTER ROLE %I INHERIT', r);
    UPDATE domains SET db_role = r WHERE name = dom AND db_role IS DISTINCT FROM r;
    RETURN r;
END
$$;
REVOKE ALL ON FUNCTION weft_ensure_domain_role(text) FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO weft_executor;
GRANT SELECT ON domains, namespaces TO weft_executor;
GRANT SELECT ON flows, flow_revisions, secrets TO weft_executor;
GRANT SELECT, INSERT, UPDATE ON executions, task_runs, trigger_state, executors TO weft_executor;
GRANT SELECT, INSERT ON logs, events TO weft_executor;
GRANT USAGE ON SEQUENCE logs_id_seq, events_id_seq TO weft_executor;

-- One policy per tenant table: a domain role sees and writes only its rows.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['flows', 'flow_revisions', 'executions', 'task_runs', 'logs',
                             'secrets', 'events', 'trigger_state', 'executors', 'grants',
                             'service_accounts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY domain_isolation ON %I TO weft_executor '
                       'USING (domain = weft_current_domain()) '
                       'WITH CHECK (domain = weft_current_domain())', t);
    END LOOP;
END
$$;
