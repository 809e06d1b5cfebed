-- Naive reference: the same tracking as aidis_sessions, written the way a user
-- would write it in plain PL/pgSQL row triggers. Every tracked row runs a
-- row-level UPDATE of the session's counters and an INSERT into the timeline.
-- Used by bench/run.sh as the reference the C++ design is compared with.
-- Schema `naive`; no foreign keys (aidis.contexts has none either).

CREATE SCHEMA naive;

CREATE TABLE naive.sessions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id       uuid NOT NULL,
  status           text NOT NULL DEFAULT 'active',
  started_at       timestamptz NOT NULL DEFAULT now(),
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  contexts_created bigint NOT NULL DEFAULT 0,
  activity_count   bigint NOT NULL DEFAULT 0,
  estimated_tokens bigint NOT NULL DEFAULT 0
);
CREATE INDEX naive_sessions_active ON naive.sessions (last_activity_at) WHERE status = 'active';

CREATE TABLE naive.activities (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id  uuid NOT NULL,
  project_id  uuid NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  kind        text NOT NULL,
  entity_id   text,
  summary     text,
  data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX naive_activities_session ON naive.activities (session_id, id);
CREATE INDEX naive_activities_recent ON naive.activities (occurred_at);

-- Same columns, defaults, checks and indexes as the tracked table.
CREATE TABLE naive.contexts (LIKE aidis.contexts INCLUDING ALL);

-- BEFORE INSERT: stamp the current session (the one this connection names in
-- naive.session_id, else the most recently active one).
CREATE FUNCTION naive.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cur naive.sessions;
BEGIN
  IF NEW.session_id IS NULL THEN
    SELECT * INTO cur FROM naive.sessions s
    WHERE s.id = NULLIF(current_setting('naive.session_id', true), '')::uuid AND s.status = 'active';
    IF NOT FOUND THEN
      SELECT * INTO cur FROM naive.sessions s WHERE s.status = 'active'
      ORDER BY s.last_activity_at DESC LIMIT 1;
    END IF;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no active session';
    END IF;
    NEW.session_id := cur.id;
    NEW.project_id := COALESCE(NEW.project_id, cur.project_id);
  END IF;
  RETURN NEW;
END
$$;

-- AFTER INSERT/DELETE: the counter UPDATE and the timeline INSERT.
CREATE FUNCTION naive.track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE naive.sessions s
    SET contexts_created = s.contexts_created + 1,
        activity_count   = s.activity_count + 1,
        estimated_tokens = s.estimated_tokens + (octet_length(NEW.content) + 3) / 4,
        last_activity_at = now()
    WHERE s.id = NEW.session_id;
    INSERT INTO naive.activities (session_id, project_id, kind, entity_id, summary, data)
    VALUES (NEW.session_id, NEW.project_id, 'context_added', NEW.id::text, left(NEW.content, 160),
            jsonb_build_object('table', TG_TABLE_NAME, 'context_type', NEW.context_type));
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE naive.sessions s
    SET contexts_created = s.contexts_created - 1, activity_count = s.activity_count + 1,
        last_activity_at = now()
    WHERE s.id = OLD.session_id;
    INSERT INTO naive.activities (session_id, project_id, kind, entity_id, summary)
    VALUES (OLD.session_id, OLD.project_id, 'context_deleted', OLD.id::text, left(OLD.content, 160));
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER naive_stamp BEFORE INSERT ON naive.contexts
  FOR EACH ROW EXECUTE FUNCTION naive.stamp();
CREATE TRIGGER naive_track AFTER INSERT OR DELETE ON naive.contexts
  FOR EACH ROW EXECUTE FUNCTION naive.track();
