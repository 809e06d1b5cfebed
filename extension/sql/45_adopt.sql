-- Adopting an existing AIDIS database (docs/adopting.md): the record of the
-- adoption, the host projects table kept as one concept with aidis.projects,
-- and the helpers of aidis.adopt() (46_adopt_run.sql).

-- At most one adoption per database. The host tables are named by regclass,
-- like aidis.tracked_tables; foreign_keys keeps the definitions of the host
-- constraints adopt replaced, so that they can be restored.
CREATE TABLE aidis.adoption (
  singleton    boolean PRIMARY KEY DEFAULT true CONSTRAINT adoption_once CHECK (singleton),
  projects     regclass NOT NULL,
  sessions     regclass,
  contexts     regclass,
  tasks        regclass,
  decisions    regclass,
  foreign_keys jsonb NOT NULL DEFAULT '[]',
  report       jsonb NOT NULL,
  adopted_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('aidis.adoption', '');

-- What the tracking trigger writes for a row (src/pg/api.cpp), for rows that
-- were there before: the summary of its timeline entry, its estimated tokens.
CREATE FUNCTION aidis._row_summary(content text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_row_summary';
CREATE FUNCTION aidis._estimate_tokens(content text) RETURNS bigint
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_estimate_tokens';

-- The expression adopt reads column `col` of host table `tbl` with (alias t),
-- cast to `typ`: uuid, text (text, varchar or a domain over them),
-- timestamptz, bigint (any integer), text[] or any (read as text). A missing optional column
-- reads as NULL; a missing required one is 42703, a wrong type 42804.
CREATE FUNCTION aidis._adopt_column(tbl regclass, col text, typ text, required boolean DEFAULT true)
  RETURNS text
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  found oid;
BEGIN
  SELECT a.atttypid INTO found FROM pg_attribute a
  WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
  IF found IS NULL THEN
    IF required THEN
      RAISE EXCEPTION '% has no column "%"', tbl, col
        USING ERRCODE = 'undefined_column',
              HINT = 'aidis.adopt() needs the columns listed in docs/adopting.md.';
    END IF;
    RETURN format('NULL::%s', CASE typ WHEN 'any' THEN 'text' ELSE typ END);
  END IF;
  IF NOT (CASE typ WHEN 'any' THEN true
                   WHEN 'text' THEN aidis._text_like(found)
                   WHEN 'bigint' THEN found IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
                   WHEN 'text[]' THEN found IN ('text[]'::regtype, 'varchar[]'::regtype)
                   ELSE found = typ::regtype END) THEN
    RAISE EXCEPTION 'column "%" of % is %, not %', col, tbl, format_type(found, NULL),
                    CASE typ WHEN 'text' THEN 'text or varchar' WHEN 'bigint' THEN 'an integer' ELSE typ END
      USING ERRCODE = 'datatype_mismatch';
  END IF;
  IF typ = 'any' THEN  -- its output function, never a cast its owner may have added
    RETURN format('pg_catalog.format(%L, t.%I)', '%s', col);
  END IF;
  RETURN format('t.%I::%s', col, typ);
END
$$;

-- A host project status as an aidis one: only an active project is a
-- candidate for new sessions; paused, completed and archived ones are archived.
CREATE FUNCTION aidis._host_project_status(status text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN CASE WHEN status IS NULL OR lower(btrim(status)) = 'active' THEN 'active' ELSE 'archived' END;

-- A project the extension creates goes into the host's table (its trigger
-- then adds it to aidis.projects), as that table's owner in a
-- security-restricted operation (src/pg/host.cpp): the host's own triggers
-- and checks never run with the extension owner's rights.
CREATE FUNCTION aidis._host_insert_project(host regclass, id uuid, name text, root_directory text)
  RETURNS void
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_host_insert_project';

-- The columns of a host projects row that the triggers below read, through
-- adopt's checked expressions (uuid, text-like, timestamptz): no cast or
-- output function the table's owner chose runs as the extension owner, as
-- it could with to_jsonb() of the whole row.
CREATE FUNCTION aidis._host_project_fields(host regclass, r anyelement, OUT id uuid, OUT name text,
                                           OUT status text, OUT root_directory text,
                                           OUT created_at timestamptz)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  EXECUTE format('SELECT %s, %s, %s, %s, %s FROM (SELECT ($1).*) t',
                 aidis._adopt_column(host, 'id', 'uuid'), aidis._adopt_column(host, 'name', 'text'),
                 aidis._adopt_column(host, 'status', 'text', false),
                 aidis._adopt_column(host, 'root_directory', 'text', false),
                 aidis._adopt_column(host, 'created_at', 'timestamptz', false))
  INTO id, name, status, root_directory, created_at USING r;
END
$$;

-- BEFORE UPDATE OR DELETE on the adopted projects table. A disconnected
-- project refuses the host's writes; an id cannot change under its sessions;
-- a project with sessions or tracked rows cannot be deleted, because the
-- host's ON DELETE CASCADE would delete them with it.
CREATE FUNCTION aidis._host_project_check() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pid uuid := (aidis._host_project_fields(TG_RELID, OLD)).id;
  proj aidis.projects;
  t regclass;
  used boolean;
BEGIN
  SELECT * INTO proj FROM aidis.projects p WHERE p.id = pid;
  PERFORM aidis._refuse_disconnected(CASE WHEN proj.status = 'disconnected' THEN proj.name END);
  IF TG_OP = 'UPDATE' THEN
    IF (aidis._host_project_fields(TG_RELID, NEW)).id IS DISTINCT FROM pid THEN
      RAISE EXCEPTION 'the id of project "%" cannot change', proj.name
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Sessions and their timelines name the project by its id.';
    END IF;
    RETURN NEW;
  END IF;
  IF pid = '00000000-0000-0000-0000-000000000000' THEN
    RAISE EXCEPTION 'the __unassigned__ project cannot be deleted'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  used := EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.project_id = pid);
  FOR t IN SELECT x.tbl FROM aidis.tracked_tables x ORDER BY x.tbl::oid LOOP
    EXIT WHEN used;
    used := EXISTS (SELECT 1 FROM aidis._host_rows(t, NULL, pid));  -- read as the table's owner
  END LOOP;
  IF used THEN
    RAISE EXCEPTION 'project "%" has sessions or tracked rows and cannot be deleted', COALESCE(proj.name, pid::text)
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Deleting it from %s would delete its sessions and rows with it.', TG_RELID::regclass),
            HINT = 'Disconnect it with aidis.disconnect_project(): its data is kept and hidden, and aidis.reconnect_project() brings it back.';
  END IF;
  RETURN OLD;
END
$$;

-- AFTER INSERT OR UPDATE OR DELETE on the adopted projects table: the same
-- project in aidis.projects, in the same transaction.
CREATE FUNCTION aidis._host_project_mirror() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  changed integer;
BEGIN
  IF TG_OP = 'DELETE' THEN  -- the check let it through: nothing uses it
    DELETE FROM aidis.projects p WHERE p.id = (aidis._host_project_fields(TG_RELID, OLD)).id;
    RETURN NULL;
  END IF;
  r := aidis._host_project_fields(TG_RELID, NEW);
  INSERT INTO aidis.projects AS p (id, name, status, root_directory, created_at, updated_at)
  VALUES (r.id, r.name, aidis._host_project_status(r.status),
          r.root_directory, COALESCE(r.created_at, now()), clock_timestamp())
  ON CONFLICT (id) DO UPDATE
    SET name = excluded.name, status = excluded.status, root_directory = excluded.root_directory,
        updated_at = excluded.updated_at
    WHERE (p.name, p.status, p.root_directory)
          IS DISTINCT FROM (excluded.name, excluded.status, excluded.root_directory);
  GET DIAGNOSTICS changed = ROW_COUNT;
  IF TG_OP = 'UPDATE' AND changed > 0 THEN
    PERFORM aidis._invalidate_caches();  -- backends cache project names and statuses
  END IF;
  RETURN NULL;
END
$$;
