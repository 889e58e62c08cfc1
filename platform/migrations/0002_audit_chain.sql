-- Hash chain over audit_log (see tenants/audit.h for the encoding, which the
-- C verifier recomputes byte for byte).
--
-- Every insert goes through audit_log_chain(): it locks the one-row chain head
-- (so concurrent appends are serialised until commit), numbers the entry
-- after its predecessor (gapless: a rolled-back append also rolls back the
-- head's move), stamps it with clock_timestamp() taken under the lock (so time
-- order = chain order), and sets prev_hash and hash = sha256(canonical row);
-- at the end of each INSERT statement the head moves to its last entry.
--
-- UPDATE, DELETE and TRUNCATE on audit_log are refused by triggers, and the
-- head only moves from inside the chain trigger. This is not a wall against
-- the table's owner or a superuser, who can disable triggers (ALTER TABLE ...
-- DISABLE TRIGGER, session_replication_role = replica); it makes tampering
-- deliberate, and `weftd audit verify` detects every altered, deleted or
-- inserted row by recomputing the chain and comparing its end with the head.

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_log) THEN
        RAISE EXCEPTION 'audit_log already holds entries that are not hash-chained; '
                        'export and empty it before applying this migration';
    END IF;
END $$;

-- F(v) of the canonical encoding: 0x00 for NULL, else 0x01, int4 length, UTF-8 bytes.
CREATE FUNCTION audit_field(v text) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NULL THEN '\x00'::bytea
           ELSE '\x01'::bytea || int4send(octet_length(convert_to(v, 'UTF8')))
                || convert_to(v, 'UTF8') END
$$;

-- The canonical encoding of one entry, version 1.
CREATE FUNCTION audit_canonical(prev_hash bytea, seq bigint, ts timestamptz, actor text,
                                action text, namespace text, target text, result text,
                                reason text, details jsonb) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT convert_to('weft-audit-v1', 'UTF8') || prev_hash || int8send(seq)
           || int8send((extract(epoch FROM ts) * 1000000)::bigint)
           || audit_field(actor) || audit_field(action) || audit_field(namespace)
           || audit_field(target) || audit_field(result) || audit_field(reason)
           || audit_field(details::text)
$$;

CREATE TABLE audit_chain_head (
    id    boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq   bigint NOT NULL CHECK (seq >= 0),
    hash  bytea NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (true, 0, decode(repeat('00', 32), 'hex'));

ALTER TABLE audit_log ADD CONSTRAINT audit_log_details_object
    CHECK (jsonb_typeof(details) = 'object');

-- Row trigger: numbers and hashes each entry. The head is locked, not
-- updated, per row (updating one row n times in a transaction would make
-- every later lookup walk n row versions); rows this statement already
-- inserted lie above the head and are the predecessor of the next one.
CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    prev_seq  bigint;
    prev_hash bytea;
    own_seq   bigint;
    own_hash  bytea;
BEGIN
    -- audit_log_lock_head() holds the head's row lock for this transaction.
    SELECT seq, hash INTO prev_seq, prev_hash FROM audit_chain_head WHERE id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit chain head is missing: the audit log was tampered with';
    END IF;
    -- Visible rows above the head can only be this statement's own (earlier
    -- statements moved the head; other transactions' are invisible or wait).
    SELECT seq, hash INTO own_seq, own_hash FROM audit_log
     WHERE seq > prev_seq ORDER BY seq DESC LIMIT 1;
    IF FOUND THEN
        prev_seq := own_seq;
        prev_hash := own_hash;
    END IF;
    NEW.seq := prev_seq + 1;
    NEW.ts := clock_timestamp();
    NEW.prev_hash := prev_hash;
    NEW.hash := sha256(audit_canonical(NEW.prev_hash, NEW.seq, NEW.ts, NEW.actor, NEW.action,
                                       NEW.namespace, NEW.target, NEW.result, NEW.reason,
                                       NEW.details));
    RETURN NEW;
END $$;

-- Statement trigger, before any row: takes the head's row lock, held until the
-- appending transaction ends; the next append waits here and then reads the
-- committed head. Once per statement, not per row. Entries beyond the head at
-- this point were not written through the chain (forged with the triggers
-- off): appending is refused rather than building on them.
CREATE FUNCTION audit_log_lock_head() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
BEGIN
    SELECT seq INTO head_seq FROM audit_chain_head WHERE id FOR UPDATE;
    -- Written as "last entry" so that the primary key answers it even when the
    -- planner's statistics predate a bulk insert (a range test could be planned
    -- as a full scan).
    IF FOUND AND (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1) > head_seq THEN
        RAISE EXCEPTION 'audit_log has entries after the chain head (%): the log was tampered '
                        'with; run weftd audit verify', head_seq
            USING ERRCODE = 'data_corrupted';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_log_lock_head BEFORE INSERT ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_lock_head();
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- Statement trigger: moves the head to the last entry the statement added.
CREATE FUNCTION audit_log_chain_head() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_chain_head c SET seq = l.seq, hash = l.hash
      FROM (SELECT seq, hash FROM audit_log
             WHERE seq > (SELECT seq FROM audit_chain_head WHERE id)
             ORDER BY seq DESC LIMIT 1) l
     WHERE c.id;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_log_chain_head AFTER INSERT ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_chain_head();

CREATE FUNCTION audit_log_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();

-- The head moves only from inside audit_log_chain() (trigger depth 2 there).
CREATE FUNCTION audit_chain_head_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_chain_head is maintained by the audit trigger: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_chain_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_guard();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_guard();
