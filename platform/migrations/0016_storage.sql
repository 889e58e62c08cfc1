-- Internal storage: the files of a domain (task output files, FILE inputs,
-- files written by tasks, namespace files), kept in PostgreSQL in chunks so
-- that they are streamed in and out with bounded memory, every replica of a
-- domain on any host reads the same files, and row-level security walls them
-- off exactly as the domain's other rows. docs/storage.md says why here
-- first; executor/storage.h is the interface an object store would add a
-- backend to.
--
-- A file is addressed by its URI path, as Kestra's internal storage:
--   weft:///company/team/flow/executions/ID/tasks/TASK/RUN/name   (kind 'execution')
--   weft:///company/team/flow/executions/ID/inputs/INPUT/name     (kind 'execution')
--   /scripts/etl.py in namespace company.team                     (kind 'namespace')
-- `path` holds the part after `weft://` (always starting with '/') for
-- execution files and the file's path in the namespace for namespace files.
CREATE TABLE storage_files (
    id            bigserial PRIMARY KEY,
    domain        text NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
    namespace     text NOT NULL CHECK (namespace ~ '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$'),
    kind          text NOT NULL CHECK (kind IN ('execution', 'namespace')),
    path          text NOT NULL CHECK (path LIKE '/%' AND path NOT LIKE '%/../%'
                                       AND path NOT LIKE '%/./%' AND path NOT LIKE '%//%'
                                       AND length(path) <= 1024),
    -- Execution files go with their execution (retention, purges).
    execution_id  text REFERENCES executions(id) ON DELETE CASCADE,
    size          bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    -- Hex SHA-256 of the content; NULL while the file is being written. A
    -- file is visible to readers only once complete.
    sha256        text,
    complete      boolean NOT NULL DEFAULT false,
    content_type  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    CHECK ((kind = 'execution') = (execution_id IS NOT NULL)),
    CHECK (NOT complete OR sha256 IS NOT NULL)
);
-- One live file per path; a rewrite replaces it in one transaction. An
-- execution file's path holds its execution's id, so the path alone names it
-- (readers look it up by URI without splitting the namespace out of it).
CREATE UNIQUE INDEX storage_files_path ON storage_files (kind, namespace, path);
CREATE UNIQUE INDEX storage_files_execution_path ON storage_files (path)
    WHERE kind = 'execution';
CREATE INDEX storage_files_execution ON storage_files (execution_id)
    WHERE execution_id IS NOT NULL;

-- The content, in chunks of at most 1 MiB (the writer's choice; readers take
-- what they find in seq order). The domain is repeated so that row-level
-- security needs no join.
CREATE TABLE storage_chunks (
    file_id  bigint NOT NULL REFERENCES storage_files(id) ON DELETE CASCADE,
    seq      integer NOT NULL CHECK (seq >= 0),
    domain   text NOT NULL,
    data     bytea NOT NULL CHECK (length(data) <= 1048576),
    PRIMARY KEY (file_id, seq)
);
ALTER TABLE storage_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- A file's domain is its namespace's owner, never what a writer says.
CREATE FUNCTION weft_storage_domain_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.domain IS DISTINCT FROM weft_domain_of(NEW.namespace) THEN
        RAISE EXCEPTION 'namespace % is not owned by domain %', NEW.namespace, NEW.domain
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER storage_files_domain BEFORE INSERT OR UPDATE OF domain, namespace ON storage_files
    FOR EACH ROW EXECUTE FUNCTION weft_storage_domain_check();

-- A chunk's domain is its file's.
CREATE FUNCTION weft_storage_chunk_domain_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM storage_files f
                   WHERE f.id = NEW.file_id AND f.domain = NEW.domain) THEN
        RAISE EXCEPTION 'chunk of file % is not of domain %', NEW.file_id, NEW.domain
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER storage_chunks_domain BEFORE INSERT OR UPDATE ON storage_chunks
    FOR EACH ROW EXECUTE FUNCTION weft_storage_chunk_domain_check();

GRANT SELECT, INSERT, UPDATE, DELETE ON storage_files, storage_chunks TO weft_executor;
GRANT USAGE ON SEQUENCE storage_files_id_seq TO weft_executor;
ALTER TABLE storage_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage_chunks ENABLE ROW LEVEL SECURITY;
CREATE POLICY domain_isolation ON storage_files TO weft_executor
    USING (domain = weft_current_domain()) WITH CHECK (domain = weft_current_domain());
CREATE POLICY domain_isolation ON storage_chunks TO weft_executor
    USING (domain = weft_current_domain()) WITH CHECK (domain = weft_current_domain());
