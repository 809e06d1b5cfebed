-- Ablation (bench/run.sh --fk): the same tracking on a host table that also has
-- the foreign keys a user would add (session_id -> session_base, project_id ->
-- projects). Measures what "no foreign keys on the hot tables" buys.
CREATE TABLE bench.fk_contexts (LIKE aidis.contexts INCLUDING ALL,
  FOREIGN KEY (session_id) REFERENCES aidis.session_base (id),
  FOREIGN KEY (project_id) REFERENCES aidis.projects (id));
SELECT aidis.track('bench.fk_contexts', 'context');
