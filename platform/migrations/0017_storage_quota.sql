-- Storage use of each domain, for the maxStorage policy (docs/storage.md,
-- docs/governance.md): the bytes of its stored files (storage_chunks) and
-- of its log lines, the two things a domain's flows can grow without bound.
--
-- Kept as deltas rather than one counter per domain: a counter row would be
-- locked by every writer until commit, so a 1 GiB file being written would
-- hold up every log line of its domain, and two replicas writing files
-- would queue behind each other. Each statement that adds or removes chunks
-- or log lines appends one row (statement-level triggers with transition
-- tables, so a batch of 500 log lines is one row), never waiting for
-- anyone; weft_storage_used() folds the rows of the caller's domain into
-- one and returns the sum.
CREATE TABLE domain_storage_usage (
    id      bigserial PRIMARY KEY,
    domain  text NOT NULL,
    bytes   bigint NOT NULL
);
CREATE INDEX domain_storage_usage_domain ON domain_storage_usage (domain);

-- The triggers run as the table owner: writers need no right on the
-- usage table, and cannot forge rows in it.
CREATE FUNCTION weft_storage_usage_chunks_ins() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO domain_storage_usage (domain, bytes)
        SELECT domain, sum(octet_length(data)) FROM new_rows GROUP BY domain;
    RETURN NULL;
END
$$;
CREATE FUNCTION weft_storage_usage_chunks_del() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO domain_storage_usage (domain, bytes)
        SELECT domain, -sum(octet_length(data)) FROM old_rows GROUP BY domain;
    RETURN NULL;
END
$$;
CREATE FUNCTION weft_storage_usage_logs_ins() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO domain_storage_usage (domain, bytes)
        SELECT domain, sum(octet_length(line)) FROM new_rows GROUP BY domain;
    RETURN NULL;
END
$$;
CREATE FUNCTION weft_storage_usage_logs_del() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO domain_storage_usage (domain, bytes)
        SELECT domain, -sum(octet_length(line)) FROM old_rows GROUP BY domain;
    RETURN NULL;
END
$$;
CREATE TRIGGER storage_chunks_usage_ins AFTER INSERT ON storage_chunks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION weft_storage_usage_chunks_ins();
CREATE TRIGGER storage_chunks_usage_del AFTER DELETE ON storage_chunks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION weft_storage_usage_chunks_del();
CREATE TRIGGER logs_usage_ins AFTER INSERT ON logs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION weft_storage_usage_logs_ins();
CREATE TRIGGER logs_usage_del AFTER DELETE ON logs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION weft_storage_usage_logs_del();

-- What is there already.
INSERT INTO domain_storage_usage (domain, bytes)
    SELECT domain, sum(b) FROM (
        SELECT domain, octet_length(data)::bigint AS b FROM storage_chunks
        UNION ALL SELECT domain, octet_length(line)::bigint FROM logs) u
    GROUP BY domain;

-- The bytes domain `d` uses, its delta rows folded into one on the way
-- (the fold deletes only the rows it read: rows added meanwhile stay and
-- are folded next time). Runs with the caller's rights: an executor's role
-- sees and folds only its own domain's rows (row-level security below).
CREATE FUNCTION weft_storage_used(d text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    n bigint;
BEGIN
    SELECT coalesce(sum(bytes), 0), count(*) INTO total, n
        FROM domain_storage_usage WHERE domain = d;
    IF n > 64 THEN
        WITH gone AS (DELETE FROM domain_storage_usage WHERE domain = d RETURNING bytes)
        INSERT INTO domain_storage_usage (domain, bytes)
            SELECT d, sum(bytes) FROM gone HAVING count(*) > 0;
    END IF;
    RETURN total;
END
$$;
GRANT SELECT, INSERT, DELETE ON domain_storage_usage TO weft_executor;
GRANT USAGE ON SEQUENCE domain_storage_usage_id_seq TO weft_executor;
ALTER TABLE domain_storage_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY domain_isolation ON domain_storage_usage TO weft_executor
    USING (domain = weft_current_domain()) WITH CHECK (domain = weft_current_domain());
