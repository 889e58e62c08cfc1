-- Hash chain over audit_log (see tenants/audit.h for the encoding, which the
-- C verifier recomputes byte for byte).
--
-- Every insert goes through audit_log_chain(): it locks the one-row chain head
-- (so concurrent appends are serialised until commit), numbers the entry
-- head.seq + 1 (gapless: a rolled-back append frees its number with the head
-- update), stamps it with clock_timestamp() taken under the lock (so time
-- order = chain order), and sets prev_hash and hash = sha256(canonical row).
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
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NULL THEN '\x00'::bytea
           ELSE '\x01'::bytea || int4send(octet_length(convert_to(v, 'UTF8')))
                || convert_to(v, 'UTF8') END
$$;

-- The canonical encoding of one entry, version 1.
CREATE FUNCTION audit_canonical(prev_hash bytea, seq bigint, ts timestamptz, actor text,
                                action text, namespace text, target text, result text,
                                reason text, details jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
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

CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head audit_chain_head%ROWTYPE;
BEGIN
    -- The row lock is held until the appending transaction ends: the next
    -- append waits here and then reads the committed head.
    SELECT * INTO head FROM audit_chain_head WHERE id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit chain head is missing: the audit log was tampered with';
    END IF;
    NEW.seq := head.seq + 1;
    NEW.ts := clock_timestamp();
    NEW.prev_hash := head.hash;
    NEW.hash := sha256(audit_canonical(NEW.prev_hash, NEW.seq, NEW.ts, NEW.actor, NEW.action,
                                       NEW.namespace, NEW.target, NEW.result, NEW.reason,
                                       NEW.details));
    UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id;
    RETURN NEW;
END $$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

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
