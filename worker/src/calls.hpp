// The SQL each command of the command line sends: exactly one call of the SQL
// API per command (docs/cli.md), with text parameters. Pure, unit-tested;
// commands.cpp runs them.
//
// Every statement returns one row whose first column is the API result as
// JSON text (jsonb results as they are, `sessions` rows as to_jsonb(row),
// table results as a JSON array of row objects in the function's order).
// A second column, when there is one, holds a few facts the human output
// names (e.g. the project's name next to a project id); --json never prints it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"

namespace aidis {

struct SqlCall {
  std::string sql;
  std::vector<std::optional<std::string>> params;  // text parameters; nullopt = NULL
};

// The call of every command but `session project`, `session delete` and `session end
// --measure-loc` (see below). Throws std::logic_error for those and for
// commands that are not SQL calls (worker).
SqlCall build_call(const Options& opts);

// aidis.reassign_project(s, project, confirm): without a token it only asks.
SqlCall reassign_call(const std::optional<std::string>& session, const std::string& project,
                      const std::optional<std::string>& confirm);

// `sessions import`: aidis.session_import(doc) for one document; the
// command runs it for each one inside one transaction.
SqlCall import_call(const std::string& document);
// aidis.delete_session(s, confirm): without a token it only asks.
SqlCall delete_call(const std::optional<std::string>& session, const std::optional<std::string>& confirm);

// `session end --measure-loc`, step 1: session_details() (its id, start and
// project_root_directory).
SqlCall measure_info_call(const std::optional<std::string>& session);

// One line of `git diff --numstat -z --no-renames`.
struct FileDelta {
  std::string path;
  long long added = 0;  // 0 for binary files ("-")
  long long removed = 0;
};

// `session end --measure-loc`, step 2: end_session(s, files), which records
// the files and ends the session in one transaction (both or neither).
SqlCall end_measured_call(const std::string& session_id, const std::vector<FileDelta>& files);

// Parses `git diff --numstat -z --no-renames` output. Throws
// std::runtime_error on anything else.
std::vector<FileDelta> parse_numstat_z(std::string_view out);

// A PostgreSQL text[] literal: {"a","b \"c\""}; {} when empty.
std::string pg_text_array(const std::vector<std::string>& items);
// A PostgreSQL bigint[] literal: {1,2,3}.
std::string pg_bigint_array(const std::vector<long long>& items);

// Re-indents compact JSON text (as PostgreSQL prints it) without parsing
// numbers or strings, so every value stays exactly as the server wrote it.
// Empty objects and arrays stay on one line. No trailing newline.
std::string json_reindent(std::string_view json, int indent = 2);

}  // namespace aidis
