-- aidis_sessions 0.3.0 -> 0.4.0 (see the README's upgrade table).
\echo Use "ALTER EXTENSION aidis_sessions UPDATE TO '0.4.0'" to load this file. \quit
