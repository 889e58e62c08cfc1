-- Namespace files (Kestra's namespace files): the tree of a namespace kept in
-- storage_files (kind 'namespace', migration 0016) and written through the
-- gateway's routes. These functions are the tree operations that must see a
-- stable tree: each takes the namespace's advisory lock, so two writers
-- cannot both find /a free and make it a file and a directory.
--
-- Directories are implicit (a file /a/b.py makes /a exist) or, when created
-- empty, a marker row whose path ends with '/' ('/a/'), size 0, content_type
-- 'application/x-directory'. A marker is removed with its directory.
--
-- An upload streams its chunks into a staging row ('/.weft-upload/<id>',
-- complete = false, invisible to every reader), one statement per chunk,
-- then weft_nsfile_commit replaces the file at the real path and marks the
-- row complete in one transaction: readers see the old file or the new one,
-- never part of either. Staging rows of uploads that never finished are
-- removed an hour later by the next upload to the namespace.

-- Why `p_path` (clean, never '/') cannot be a file of `p_ns`: it is a
-- directory, or one of its ancestors is a file. NULL when it can.
CREATE FUNCTION weft_nsfile_conflict(p_ns text, p_path text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM storage_files f WHERE f.kind = 'namespace'
                     AND f.namespace = p_ns AND left(f.path, length(p_path) + 1) = p_path || '/')
            THEN p_path || ' is a directory'
        ELSE (SELECT f.path || ' is a file' FROM storage_files f WHERE f.kind = 'namespace'
              AND f.namespace = p_ns AND f.complete AND right(f.path, 1) <> '/'
              AND left(p_path, length(f.path) + 1) = f.path || '/' LIMIT 1)
    END
$$;

-- Kestra's FileAttributes of a row: fileName is the last segment.
CREATE FUNCTION weft_nsfile_attrs(f storage_files) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'fileName', regexp_replace(rtrim(f.path, '/'), '^.*/', ''),
        'type', CASE WHEN right(f.path, 1) = '/' THEN 'Directory' ELSE 'File' END,
        'size', f.size,
        'sha256', f.sha256,
        'creationTime', (extract(epoch FROM f.created_at) * 1000)::bigint,
        'lastModifiedTime', (extract(epoch FROM f.updated_at) * 1000)::bigint)
$$;

-- A staging row for an upload to `p_ns`; NULL when no domain owns `p_ns`.
CREATE FUNCTION weft_nsfile_begin(p_ns text, p_actor text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_dom text := weft_domain_of(p_ns);
    v_id bigint;
BEGIN
    IF v_dom IS NULL THEN
        RETURN NULL;
    END IF;
    DELETE FROM storage_files WHERE kind = 'namespace' AND namespace = p_ns AND NOT complete
        AND left(path, 14) = '/.weft-upload/' AND created_at < now() - interval '1 hour';
    v_id := nextval('storage_files_id_seq');
    INSERT INTO storage_files (id, domain, namespace, kind, path, created_by)
        VALUES (v_id, v_dom, p_ns, 'namespace', '/.weft-upload/' || v_id, p_actor);
    RETURN v_id;
END
$$;

-- Makes staging row `p_id` the file `p_path` of `p_ns`, replacing the file
-- there. {"outcome": "stored", "entry": attrs} or "conflict" (with
-- "detail"), "short" (the chunks do not add up to `p_size`), "gone" (the
-- staging row was removed meanwhile). Anything but "stored" removes the
-- staging row.
CREATE FUNCTION weft_nsfile_commit(p_ns text, p_path text, p_id bigint, p_size bigint,
                                   p_sha256 text, p_content_type text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_conflict text;
    v_row storage_files;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('weft.nsfiles'), hashtext(p_ns));
    v_conflict := weft_nsfile_conflict(p_ns, p_path);
    IF v_conflict IS NOT NULL THEN
        DELETE FROM storage_files WHERE id = p_id AND NOT complete;
        RETURN jsonb_build_object('outcome', 'conflict', 'detail', v_conflict);
    END IF;
    IF (SELECT coalesce(sum(length(data)), 0) FROM storage_chunks WHERE file_id = p_id)
       IS DISTINCT FROM p_size THEN
        DELETE FROM storage_files WHERE id = p_id AND NOT complete;
        RETURN jsonb_build_object('outcome', 'short');
    END IF;
    DELETE FROM storage_files WHERE kind = 'namespace' AND namespace = p_ns AND path = p_path;
    UPDATE storage_files SET path = p_path, size = p_size, sha256 = p_sha256, complete = true,
        content_type = p_content_type, updated_at = now()
        WHERE id = p_id AND kind = 'namespace' AND namespace = p_ns AND NOT complete
        RETURNING * INTO v_row;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('outcome', 'gone');
    END IF;
    RETURN jsonb_build_object('outcome', 'stored', 'entry', weft_nsfile_attrs(v_row));
END
$$;

-- Creates directory `p_path` (clean, not '/') of `p_ns`: "created", "exists"
-- (already a directory), "conflict" (with "detail") or "nodomain".
CREATE FUNCTION weft_nsfile_mkdir(p_ns text, p_path text, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_dom text := weft_domain_of(p_ns);
    v_conflict text;
BEGIN
    IF v_dom IS NULL THEN
        RETURN jsonb_build_object('outcome', 'nodomain');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('weft.nsfiles'), hashtext(p_ns));
    IF EXISTS (SELECT 1 FROM storage_files WHERE kind = 'namespace' AND namespace = p_ns
               AND left(path, length(p_path) + 1) = p_path || '/') THEN
        RETURN jsonb_build_object('outcome', 'exists');
    END IF;
    v_conflict := weft_nsfile_conflict(p_ns, p_path);
    IF v_conflict IS NULL AND EXISTS (SELECT 1 FROM storage_files WHERE kind = 'namespace'
                                      AND namespace = p_ns AND path = p_path) THEN
        v_conflict := p_path || ' is a file';
    END IF;
    IF v_conflict IS NOT NULL THEN
        RETURN jsonb_build_object('outcome', 'conflict', 'detail', v_conflict);
    END IF;
    INSERT INTO storage_files (domain, namespace, kind, path, size, sha256, complete,
                               content_type, created_by)
        VALUES (v_dom, p_ns, 'namespace', p_path || '/', 0,
                'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', true,
                'application/x-directory', p_actor);
    RETURN jsonb_build_object('outcome', 'created');
END
$$;

-- Deletes file `p_path` of `p_ns`, or directory `p_path` with everything
-- below it. {"type": "File"|"Directory", "files": N, "size": bytes} or NULL
-- when there is neither.
CREATE FUNCTION weft_nsfile_delete(p_ns text, p_path text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_files bigint;
    v_size bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('weft.nsfiles'), hashtext(p_ns));
    DELETE FROM storage_files WHERE kind = 'namespace' AND namespace = p_ns AND path = p_path
        AND complete RETURNING size INTO v_size;
    IF FOUND THEN
        RETURN jsonb_build_object('type', 'File', 'files', 1, 'size', v_size);
    END IF;
    WITH d AS (DELETE FROM storage_files WHERE kind = 'namespace' AND namespace = p_ns
               AND left(path, length(p_path) + 1) = p_path || '/' RETURNING path, size)
    SELECT count(*), coalesce(sum(size), 0) INTO v_files, v_size FROM d;
    IF v_files = 0 THEN
        RETURN NULL;
    END IF;
    -- Markers are not files.
    RETURN jsonb_build_object('type', 'Directory', 'files', v_files, 'size', v_size);
END
$$;

-- Moves file or directory `p_from` of `p_ns` to `p_to` (both clean, not
-- '/'): {"outcome": "moved", "type", "files"} or "missing", "conflict" (with
-- "detail"). The target must not exist; its ancestors must not be files.
CREATE FUNCTION weft_nsfile_move(p_ns text, p_from text, p_to text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_conflict text;
    v_files bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('weft.nsfiles'), hashtext(p_ns));
    IF p_to = p_from OR left(p_to, length(p_from) + 1) = p_from || '/' THEN
        RETURN jsonb_build_object('outcome', 'conflict',
                                  'detail', 'cannot move ' || p_from || ' into itself');
    END IF;
    v_conflict := weft_nsfile_conflict(p_ns, p_to);
    IF v_conflict IS NULL AND EXISTS (SELECT 1 FROM storage_files WHERE kind = 'namespace'
                                      AND namespace = p_ns AND path = p_to) THEN
        v_conflict := p_to || ' exists';
    END IF;
    IF EXISTS (SELECT 1 FROM storage_files WHERE kind = 'namespace' AND namespace = p_ns
               AND path = p_from AND complete) THEN
        IF v_conflict IS NOT NULL THEN
            RETURN jsonb_build_object('outcome', 'conflict', 'detail', v_conflict);
        END IF;
        UPDATE storage_files SET path = p_to, updated_at = now()
            WHERE kind = 'namespace' AND namespace = p_ns AND path = p_from;
        RETURN jsonb_build_object('outcome', 'moved', 'type', 'File', 'files', 1);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM storage_files WHERE kind = 'namespace' AND namespace = p_ns
                   AND left(path, length(p_from) + 1) = p_from || '/') THEN
        RETURN jsonb_build_object('outcome', 'missing');
    END IF;
    IF v_conflict IS NOT NULL THEN
        RETURN jsonb_build_object('outcome', 'conflict', 'detail', v_conflict);
    END IF;
    UPDATE storage_files SET path = p_to || substr(path, length(p_from) + 1), updated_at = now()
        WHERE kind = 'namespace' AND namespace = p_ns
        AND left(path, length(p_from) + 1) = p_from || '/';
    GET DIAGNOSTICS v_files = ROW_COUNT;
    RETURN jsonb_build_object('outcome', 'moved', 'type', 'Directory', 'files', v_files);
END
$$;

-- The gateway (the owner) calls these; executors write namespace files
-- through the storage interface under row-level security, never these.
REVOKE EXECUTE ON FUNCTION weft_nsfile_begin(text, text), weft_nsfile_commit(text, text, bigint,
    bigint, text, text), weft_nsfile_mkdir(text, text, text), weft_nsfile_delete(text, text),
    weft_nsfile_move(text, text, text) FROM PUBLIC;
