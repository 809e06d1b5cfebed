#include "cli.hpp"

#include <map>

#include "sqlstate.hpp"

namespace aidis {

int exit_code_for_sqlstate(std::string_view sqlstate) {
  switch (classify_sqlstate(sqlstate)) {
    case SqlOutcomeClass::Unavailable:
      return kExitNoConnection;
    case SqlOutcomeClass::NotSetUp:
    case SqlOutcomeClass::Forbidden:  // the role lacks aidis_reader/writer/admin
      return kExitNotSetUp;
    case SqlOutcomeClass::NotFound:
    case SqlOutcomeClass::Ambiguous:
      return kExitNotFound;
    case SqlOutcomeClass::Duplicate:
    case SqlOutcomeClass::WrongState:
    case SqlOutcomeClass::Refused:
    case SqlOutcomeClass::BadValue:
      return kExitRefused;
    case SqlOutcomeClass::Retry:
    case SqlOutcomeClass::Failure:
      break;
  }
  return kExitFailure;
}

std::vector<std::string> split_tags(std::string_view csv) {
  // Only splits; the server trims, drops empty and duplicate tags.
  std::vector<std::string> tags;
  if (csv.empty()) return tags;
  for (;;) {
    auto comma = csv.find(',');
    tags.emplace_back(csv.substr(0, comma));
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return tags;
}

namespace {

// `-s/--session` on the commands that default to the current session.
void add_session_option(CLI::App* sub, SessionOptions& s) {
  sub->add_option("-s,--session", s.session,
                  "the session (uuid, unique uuid prefix of 8+ hex digits, or display id like "
                  "SES-2026-0001); default: the current session");
}

// `session <name> <value> [-s id]`: one required positional, then the session option.
template <typename T>
void add_session_edit(CLI::App* session, Options& opts, const char* name, const char* about,
                      const char* value, T& target, const char* value_about, Command command) {
  auto* sub = session->add_subcommand(name, about);
  sub->add_option(value, target, value_about)->required();
  add_session_option(sub, opts.session);
  sub->callback([&opts, command] { opts.command = command; });
}

void define_session(CLI::App& app, Options& opts) {
  auto& s = opts.session;
  auto* session = app.add_subcommand(
      "session", "show the current session, or one session with `session <id>`; manage sessions");
  session->add_option("id", s.outer_id,
                      "a session: uuid, unique uuid prefix (8+ hex digits) or display id; "
                      "default: the current session");
  session->require_subcommand(0, 1);

  auto* current = session->add_subcommand("current", "show the current session (same as `aidis session`)");
  current->callback([&opts] { opts.command = Command::SessionShow; });

  auto* start = session->add_subcommand(
      "start", "start a session (or resume the active one of the same agent and client key)");
  start->add_option("--agent", s.agent,
                    "agent name, e.g. claude-code (default: application_name, i.e. aidis-cli)");
  start->add_option("--project", s.project,
                    "project name or id (default: the project with the most recent work)");
  start->add_option("--title", s.title, "title (default: the display id)");
  start->add_option("--goal", s.goal, "what the session is meant to achieve");
  start->add_option("--model", s.model, "AI model, e.g. claude-sonnet-4-5");
  start->add_option("--client-key", s.client_key,
                    "client instance key (one active session per agent and key)");
  start->add_flag("--new", s.force_new,
                  "always start a new session: end the active one of this agent and key");
  start->callback([&opts] { opts.command = Command::SessionStart; });

  auto* end = session->add_subcommand("end", "end a session (default: the current one)");
  end->add_option("id", s.session, "the session (default: the current one)");
  end->add_flag("--measure-loc", s.measure_loc,
                "record lines added/removed per file with `git diff --numstat` in the project's "
                "root_directory, against the last commit before the session started");
  end->callback([&opts] { opts.command = Command::SessionEnd; });

  auto* project = session->add_subcommand(
      "project", "move a session to another project (asks for confirmation; --yes to skip)");
  project->add_option("project", s.target_project, "the project to move it to (name or id)")->required();
  project->add_option("id", s.session, "the session (default: the current one)");
  project->add_flag("-y,--yes", s.yes, "apply without asking");
  project->callback([&opts] { opts.command = Command::SessionProject; });

  auto* del = session->add_subcommand("delete",
                                      "delete a session; its work moves to the project's active session "
                                      "(asks for confirmation; --yes to skip)");
  del->add_option("id", s.session, "the session (an ended one)")->required();
  del->add_flag("-y,--yes", s.yes, "apply without asking");
  del->callback([&opts] { opts.command = Command::SessionDelete; });

  add_session_edit(session, opts, "goal", "set the goal ('' clears it)", "text", s.text, "the goal",
                   Command::SessionGoal);
  add_session_edit(session, opts, "tag", "add tags", "tags", s.tags, "tags to add", Command::SessionTag);
  add_session_edit(session, opts, "note", "append a line to the notes", "text", s.text, "the note",
                   Command::SessionNote);
  add_session_edit(session, opts, "rename", "change the title", "title", s.text, "the new title",
                   Command::SessionRename);

  auto* edit = session->add_subcommand(
      "edit", "change several fields at once ('' clears a field, except the title and agent)");
  edit->add_option("--title", s.title, "title (1..255 characters)");
  edit->add_option("--description", s.description, "description (up to 2000 characters)");
  edit->add_option("--goal", s.goal, "goal (up to 2000 characters)");
  edit->add_option("--notes", s.notes, "notes, replacing the current ones (up to 10000 characters)");
  edit->add_option("--tags", s.tags_csv, "comma-separated tags, replacing the current ones");
  edit->add_option("--model", s.model, "AI model");
  edit->add_option("--agent", s.agent, "agent name (normalized: 'Claude Code' → claude-code)");
  add_session_option(edit, s);
  edit->callback([&opts] {
    auto& e = opts.session;
    if (!e.title && !e.description && !e.goal && !e.notes && !e.tags_csv && !e.model && !e.agent)
      throw CLI::ValidationError(
          "edit",
          "nothing to change: give at least one of --title --description --goal --notes "
          "--tags --model --agent");
    opts.command = Command::SessionEdit;
  });

  auto* rate = session->add_subcommand("rate", "rate a session: 1 to 5 stars (replaces an earlier rating)");
  rate->add_option("stars", s.stars, "1 to 5")->required()->check(CLI::Range(1, 5));
  rate->add_option("--note", s.note, "why (up to 2000 characters)");
  add_session_option(rate, s);
  rate->callback([&opts] { opts.command = Command::SessionRate; });

  auto* timeline = session->add_subcommand(
      "timeline", "the timeline with events per time bucket (also: aidis session <id> timeline)");
  timeline->add_option("id", s.session, "the session (default: the current one)");
  timeline->add_option("--limit", s.limit, "at most this many events (1..10000)")->capture_default_str();
  timeline->add_option("--after", s.after, "only events with an id above this one (paging)")
      ->capture_default_str();
  timeline->callback([&opts] { opts.command = Command::SessionTimeline; });

  auto* brief = session->add_subcommand(
      "brief", "what an AI needs at the start: the session, the previous one, open tasks, recent decisions");
  brief->add_option("id", s.session, "the session (default: the current one)");
  brief->callback([&opts] { opts.command = Command::SessionBrief; });

  // Runs after the callback of the subcommand (if any).
  session->callback([&opts] {
    auto& sess = opts.session;
    if (opts.command == Command::None) {  // no subcommand: show one
      opts.command = Command::SessionShow;
      sess.session = sess.outer_id;
    } else if (sess.outer_id) {
      if (opts.command == Command::SessionTimeline && !sess.session)
        sess.session = sess.outer_id;  // aidis session <id> timeline
      else
        throw CLI::ExtrasError("session", std::vector<std::string>{*sess.outer_id});
    }
  });
}

void define_sessions(CLI::App& app, Options& opts) {
  auto* sessions = app.add_subcommand("sessions", "list, aggregate and compare sessions");
  sessions->require_subcommand(0, 1);  // none: a clear message in parse_command_line

  auto& l = opts.list;
  auto* list = sessions->add_subcommand("list", "sessions, newest first");
  list->add_option(
      "-q,--q", l.q,
      "text to find in display id, id prefix, title, description, goal, tags, agent or project name");
  list->add_option("--status", l.status, "active, inactive or disconnected");
  list->add_option("--project", l.project, "project name or id");
  list->add_option("--limit", l.limit, "at most this many (1..1000)")->capture_default_str();
  list->add_option("--offset", l.offset, "skip this many (paging)")->capture_default_str();
  list->callback([&opts] { opts.command = Command::SessionsList; });

  auto* stats =
      sessions->add_subcommand("stats", "totals, averages and patterns of the sessions started in a period");
  stats->add_option("--period", opts.stats.period, "day, week or month (up to now)")
      ->check(CLI::IsMember({"day", "week", "month"}))
      ->capture_default_str();
  stats->add_option("--project", opts.stats.project, "only this project (name or id)");
  stats->callback([&opts] { opts.command = Command::SessionsStats; });

  auto* compare = sessions->add_subcommand("compare", "two sessions side by side, with deltas (B - A)");
  compare->add_option("a", opts.compare.a, "session A")->required();
  compare->add_option("b", opts.compare.b, "session B")->required();
  compare->callback([&opts] { opts.command = Command::SessionsCompare; });

  auto& t = opts.transfer;
  auto* exp =
      sessions->add_subcommand("export", "write sessions as JSON documents or as reports, oldest first");
  exp->add_option("-q,--q", t.q, "only sessions matching this text (as sessions list -q)");
  exp->add_option("--status", t.status, "active, inactive or disconnected");
  exp->add_option("--project", t.project, "project name or id");
  exp->add_option("--since", t.since, "only sessions started at or after this time (e.g. 2026-01-01)");
  exp->add_option("--format", t.format, "json (one array), jsonl (one document per line) or md (reports)")
      ->check(CLI::IsMember({"json", "jsonl", "md"}))
      ->capture_default_str();
  exp->add_option("-o,--output", t.output, "write to this file (default: stdout)");
  exp->callback([&opts] { opts.command = Command::SessionsExport; });

  auto* imp = sessions->add_subcommand(
      "import", "restore exported sessions (json or jsonl) in one transaction: all or none");
  imp->add_option("file", t.file, "the file written by sessions export (- for stdin)")->required();
  imp->callback([&opts] { opts.command = Command::SessionsImport; });

  auto* compact = sessions->add_subcommand(
      "compact", "fold old timeline events of ended sessions into one summary per day and kind");
  compact->add_option("--older-than", opts.compact_older_than,
                      "events older than this interval (default: aidis.session_retention; aidis_admin only)");
  compact->callback([&opts] { opts.command = Command::SessionsCompact; });
}

}  // namespace

void define_cli(CLI::App& app, Options& opts) {
  app.description("aidis: AIDIS session tracking (PostgreSQL extension aidis_sessions)");
  app.footer(
      "Exit codes: 0 ok, 1 internal error, 2 usage, 3 database not set up, 4 not found, "
      "5 refused, 6 confirmation needed, 7 cannot connect (docs/cli.md).");
  app.set_version_flag("--version", AIDIS_VERSION);
  // At most one; none is reported by parse_command_line, so that an unknown
  // word is reported as such rather than as "a subcommand is required".
  app.require_subcommand(0, 1);
  // Global options may also follow the subcommand: `aidis worker -d mydb`.
  app.fallthrough();
  app.add_option("-d,--dbname", opts.dbname,
                 "database name, conninfo string or postgresql:// URI; default: libpq's "
                 "PG* environment and service file, as psql");
  app.add_flag("--json", opts.json, "print the result of the SQL call as JSON (for scripts)");
  app.add_option_function<std::string>(
         "--color",
         [&opts](const std::string& v) {
           opts.color = v == "always" ? ColorMode::Always : v == "never" ? ColorMode::Never : ColorMode::Auto;
         },
         "auto (default: only when stdout is a terminal and NO_COLOR is unset), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN");

  auto* worker = app.add_subcommand(
      "worker", "expire idle sessions at their deadlines (LISTEN aidis_sessions; runs until SIGTERM)");
  worker->add_flag("-v,--verbose", opts.worker.verbose, "also log deadlines and notifications");
  worker->callback([&opts] { opts.command = Command::Worker; });

  auto* mcp = app.add_subcommand(
      "mcp", "MCP server over stdio for an AI client: starts or resumes the client's session (docs/mcp.md)");
  mcp->add_option("--project", opts.mcp.project,
                  "project name or id (default: the project whose root_directory holds the client's first "
                  "root, else the extension's rule)");
  mcp->callback([&opts] { opts.command = Command::Mcp; });

  auto* serve =
      app.add_subcommand("serve", "the sessions page and its JSON API over HTTP (runs until SIGTERM)");
  serve->add_option("--listen", opts.serve.listen, "ADDR:PORT; other than loopback needs an access token")
      ->capture_default_str();
  serve->add_option("--token-file", opts.serve.token_file,
                    "file holding the access token (else the environment variable AIDIS_SERVE_TOKEN)");
  serve->add_option("--allow-host", opts.serve.allow_hosts, "also answer to this Host name (repeatable)");
  serve->callback([&opts] { opts.command = Command::Serve; });

  define_session(app, opts);
  define_sessions(app, opts);
}

std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty())
      throw CLI::RequiredError("A command (session, sessions, worker, mcp or serve)");
    if (auto* sessions = app.get_subcommand("sessions");
        sessions->parsed() && sessions->get_subcommands().empty())
      throw CLI::RequiredError("A subcommand of sessions (list, stats, compare, export or import)");
  } catch (const CLI::ParseError& e) {
    // Prints help/version to stdout or the error to stderr. CLI11's own
    // codes (105, 106, ...) are collapsed into our one usage code.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return std::nullopt;
}

}  // namespace aidis
