\set n random(1, 1000000000)
SELECT id AS sid, project_id AS pid FROM app.sessions WHERE status = 'active' ORDER BY last_activity_at DESC LIMIT 1 \gset
INSERT INTO app.contexts (project_id, session_id, context_type, content) VALUES (:pid, :sid, 'note', 'Benchmark context ' || :n || ': the checkout total is rounded twice; the cart service and the pricing module disagree on half-cent values.') RETURNING id AS cid \gset
UPDATE app.sessions SET last_activity_at = now() WHERE id = :sid;
INSERT INTO app.activities (session_id, project_id, kind, entity_id, summary, data) VALUES (:sid, :pid, 'context_added', :cid, left('Benchmark context ' || :n || ': the checkout total is rounded twice; the cart service and the pricing module disagree on half-cent values.', 160), '{"table": "app.contexts", "context_type": "note"}');
UPDATE app.sessions SET contexts_created = contexts_created + 1, activity_count = activity_count + 1 WHERE id = :sid;
