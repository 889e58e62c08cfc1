-- The key-value store of a namespace (Kestra's KV store): typed values that
-- flows of the namespace and of the namespaces below it read with kv() or
-- the kv.Get task, and write with kv.Set, across executions.
--
-- Every row carries its domain, the owner of its namespace, and sits under
-- the same row-level security as the domain's other rows: the executor role
-- of domain B reads and writes none of A's keys, whatever namespace it names.
CREATE TABLE kv (
    namespace    text NOT NULL CHECK (namespace ~ '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$'),
    key          text NOT NULL CHECK (key ~ '^[a-zA-Z0-9][a-zA-Z0-9._-]*$' AND length(key) <= 255),
    domain       text NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
    type         text NOT NULL CHECK (type IN ('STRING', 'NUMBER', 'BOOLEAN', 'DATETIME', 'DATE',
                                               'DURATION', 'JSON')),
    value        jsonb NOT NULL,
    size         integer NOT NULL CHECK (size >= 0),
    description  text,
    expires_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL,
    PRIMARY KEY (namespace, key)
);
-- PurgeKV and the lazy clean-up of expired keys.
CREATE INDEX kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;

-- A row's domain is its namespace's owner, never what a writer says: an
-- executor could otherwise park a row of its own domain in another team's
-- namespace, hidden from that team's executors but blocking the key.
CREATE FUNCTION weft_kv_domain_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.domain IS DISTINCT FROM weft_domain_of(NEW.namespace) THEN
        RAISE EXCEPTION 'namespace % is not owned by domain %', NEW.namespace, NEW.domain
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER kv_domain BEFORE INSERT OR UPDATE ON kv
    FOR EACH ROW EXECUTE FUNCTION weft_kv_domain_check();

GRANT SELECT, INSERT, UPDATE, DELETE ON kv TO weft_executor;
ALTER TABLE kv ENABLE ROW LEVEL SECURITY;
CREATE POLICY domain_isolation ON kv TO weft_executor
    USING (domain = weft_current_domain()) WITH CHECK (domain = weft_current_domain());

-- Stores one value; used by the gateway (PUT .../kv/{key}) and by executors
-- (kv.Set), which run it with their own role, so row-level security holds.
-- Returns {"outcome": ...} and, when stored, the entry without its value:
--   stored   the value is stored
--   exists   a live value is there and overwrite is false
--   full     the namespace already holds max_keys live keys
--   nodomain no domain owns the namespace
--   foreign  the caller is a domain's executor and the namespace is another's
-- Writers of one namespace are serialised, so the count limit holds under
-- concurrent writes. An expired value counts as absent.
CREATE FUNCTION weft_kv_put(p_ns text, p_key text, p_type text, p_value jsonb,
                            p_description text, p_ttl interval, p_actor text,
                            p_overwrite boolean, p_max_keys integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d text := weft_domain_of(p_ns);
    me text := weft_current_domain();
    live boolean;
    n bigint;
    r kv;
BEGIN
    IF d IS NULL THEN
        RETURN jsonb_build_object('outcome', 'nodomain');
    END IF;
    IF me IS NOT NULL AND me <> d THEN
        RETURN jsonb_build_object('outcome', 'foreign');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('weft_kv:' || p_ns));
    SELECT (k.expires_at IS NULL OR k.expires_at > now()) INTO live
      FROM kv k WHERE k.namespace = p_ns AND k.key = p_key;
    IF live AND NOT p_overwrite THEN
        RETURN jsonb_build_object('outcome', 'exists');
    END IF;
    IF live IS NOT TRUE THEN
        SELECT count(*) INTO n FROM kv k
         WHERE k.namespace = p_ns AND (k.expires_at IS NULL OR k.expires_at > now());
        IF n >= p_max_keys THEN
            RETURN jsonb_build_object('outcome', 'full', 'limit', p_max_keys);
        END IF;
    END IF;
    INSERT INTO kv AS k (namespace, key, domain, type, value, size, description, expires_at,
                         updated_by)
    VALUES (p_ns, p_key, d, p_type, p_value, octet_length(p_value::text), p_description,
            now() + p_ttl, p_actor)
    ON CONFLICT (namespace, key) DO UPDATE SET
        type = EXCLUDED.type, value = EXCLUDED.value, size = EXCLUDED.size,
        description = EXCLUDED.description, expires_at = EXCLUDED.expires_at,
        updated_at = now(), updated_by = EXCLUDED.updated_by,
        created_at = CASE WHEN k.expires_at IS NOT NULL AND k.expires_at <= now()
                          THEN now() ELSE k.created_at END
    RETURNING * INTO r;
    RETURN jsonb_build_object('outcome', 'stored', 'entry', weft_kv_entry(r));
END
$$;

-- The public form of an entry (Kestra's KVEntry), without its value.
CREATE FUNCTION weft_kv_entry(r kv) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('namespace', r.namespace, 'key', r.key, 'type', r.type,
                              'size', r.size, 'description', r.description,
                              'creationDate', r.created_at, 'updateDate', r.updated_at,
                              'expirationDate', r.expires_at, 'updatedBy', r.updated_by)
$$;
