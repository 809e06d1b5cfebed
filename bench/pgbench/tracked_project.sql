\set n random(1, 1000000000)
INSERT INTO aidis.contexts (project_id, context_type, content) VALUES (:p, 'note', 'Benchmark context ' || :n || ': the checkout total is rounded twice; the cart service and the pricing module disagree on half-cent values.');
