// Command line of the `aidis` binary: option and subcommand definitions, exit
// codes and the SQLSTATE → exit code mapping. Pure (CLI11 only), unit-tested;
// main.cpp dispatches (docs/worker.md, docs/cli.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace aidis {

// Process exit codes, shared by every subcommand (docs/cli.md, docs/worker.md).
enum ExitCode : int {
  kExitOk = 0,            // done; for `worker`: stopped by SIGTERM/SIGINT
  kExitFailure = 1,       // unexpected internal or server error
  kExitUsage = 2,         // bad command line
  kExitNotSetUp = 3,      // the database lacks the aidis_sessions extension or grants
  kExitNotFound = 4,      // no such session or project, ambiguous prefix, no current session
  kExitRefused = 5,       // the server refused the request (bad value, wrong state); nothing changed
  kExitConfirm = 6,       // a confirmation was needed and not given (`session project`)
  kExitNoConnection = 7,  // could not connect to the server
};

// The exit code for an error the server reported with `sqlstate` (empty:
// not from the server, e.g. the connection broke). The one place where
// SQLSTATEs become exit codes.
int exit_code_for_sqlstate(std::string_view sqlstate);

enum class Command {
  None,
  Worker,
  Mcp,              // aidis mcp [--project P]: MCP server over stdio
  Serve,            // aidis serve: the sessions page (docs/serve.md)
  SessionShow,      // aidis session [<id>] | aidis session current
  SessionStart,     // aidis session start
  SessionEnd,       // aidis session end [<id>] [--measure-loc]
  SessionProject,   // aidis session project <project> [<id>] [--yes]
  SessionDelete,    // aidis session delete <id> [--yes]
  SessionGoal,      // aidis session goal <text>
  SessionTag,       // aidis session tag <tag>...
  SessionNote,      // aidis session note <text>
  SessionRename,    // aidis session rename <title>
  SessionEdit,      // aidis session edit --title ... --tags ...
  SessionRate,      // aidis session rate <1-5> [--note]
  SessionTimeline,  // aidis session <id> timeline | aidis session timeline [<id>]
  SessionBrief,     // aidis session brief [<id>]
  SessionsList,     // aidis sessions list
  SessionsStats,    // aidis sessions stats --period=day|week|month
  SessionsCompare,  // aidis sessions compare A B
  SessionsExport,   // aidis sessions export [filters] --format json|jsonl|md [-o FILE]
  SessionsImport,   // aidis sessions import FILE
  SessionsCompact,  // aidis sessions compact [--older-than INTERVAL]
};

enum class ColorMode { Auto, Always, Never };

struct WorkerOptions {
  bool verbose = false;  // also log deadlines, notifications and wake-ups
};

// Arguments of `aidis session …`. `session` is the session the command is
// about (uuid, unique prefix ≥ 8 or display id); nullopt = the current one.
struct SessionOptions {
  std::optional<std::string> session;
  // The positional of `aidis session <id>` and `aidis session <id> timeline`,
  // kept apart from each subcommand's own arguments: CLI11 hands a surplus
  // positional of a subcommand up to its parent, so `session end A B` would
  // otherwise silently mean something. Parsing rejects that; after parsing
  // only `session` matters.
  std::optional<std::string> outer_id;
  // start
  std::optional<std::string> agent, project, title, goal, model, client_key;
  bool force_new = false;
  // end
  bool measure_loc = false;
  // project
  std::string target_project;
  bool yes = false;
  // goal, note, rename: the text
  std::string text;
  // tag
  std::vector<std::string> tags;
  // edit (title, goal, model and agent above are shared with start)
  std::optional<std::string> description, notes, tags_csv;
  // rate
  int stars = 0;
  std::optional<std::string> note;
  // timeline
  int limit = 500;
  long long after = 0;
};

struct McpOptions {
  std::optional<std::string>
      project;  // else the project of the client's first root, else the extension's rule
};

struct ServeOptions {
  std::string listen = "127.0.0.1:8787";  // ADDR:PORT
  std::optional<std::string> token_file;  // else AIDIS_SERVE_TOKEN; never on argv
  std::vector<std::string> allow_hosts;   // extra Host names (behind a proxy, a DNS name)
};

struct ListOptions {
  std::optional<std::string> q, status, project;
  int limit = 50;
  int offset = 0;
};

struct StatsOptions {
  std::string period = "month";
  std::optional<std::string> project;
};

// `sessions export` and `sessions import` (docs/export.md).
struct TransferOptions {
  std::optional<std::string> q, status, project, since;
  std::string format = "json";        // json, jsonl or md
  std::optional<std::string> output;  // -o FILE; else stdout
  std::string file;                   // import: the file ("-" = stdin)
};

struct CompareOptions {
  std::string a, b;
};

struct Options {
  std::optional<std::string> dbname;  // -d: name, conninfo or URI
  bool json = false;                  // --json: print the SQL result as JSON
  ColorMode color = ColorMode::Auto;  // --color
  Command command = Command::None;
  WorkerOptions worker;
  McpOptions mcp;
  ServeOptions serve;
  SessionOptions session;
  ListOptions list;
  StatsOptions stats;
  CompareOptions compare;
  TransferOptions transfer;
  std::optional<std::string> compact_older_than;  // sessions compact: else aidis.session_retention
};

// Registers global options and subcommands on `app`, writing into `opts`.
// `opts` must outlive `app`.
void define_cli(CLI::App& app, Options& opts);

// Parses argv. Returns an exit code when the process must stop right away
// (--help, --version, or a usage error; the message is already printed),
// std::nullopt when `opts` holds a command to run.
std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv);

// "a, b,,c " → {"a", "b", "c"}; "" → {} (clears the tags).
std::vector<std::string> split_tags(std::string_view csv);

}  // namespace aidis
