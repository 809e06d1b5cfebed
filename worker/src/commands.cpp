#include "commands.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <iostream>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

#include <fmt/format.h>

#include "calls.hpp"
#include "commands_internal.hpp"
#include "connection.hpp"
#include "conninfo.hpp"
#include "log.hpp"
#include "render.hpp"

extern char** environ;

namespace aidis {

namespace {

struct Row {
  std::optional<std::string> result;  // column 1: the API result as JSON text
  std::optional<std::string> extra;   // column 2, if any
};

Row call_row(Connection& conn, const SqlCall& call) {
  Result r = exec(conn, call);
  if (r.rows() != 1)
    throw std::runtime_error(fmt::format("expected one row from the server, got {}", r.rows()));
  Row row;
  row.result = r.opt_text(0, 0);
  if (r.columns() > 1) row.extra = r.opt_text(0, 1);
  return row;
}

std::string str_of(const Json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
  return "";
}

Json parse_json(const std::optional<std::string>& text) {
  if (!text) return Json();
  try {
    return Json::parse(*text);
  } catch (const Json::exception& e) {
    throw std::runtime_error(fmt::format("the server returned invalid JSON: {}", e.what()));
  }
}

void print_json(const std::optional<std::string>& text) {
  fmt::print("{}\n", text ? json_reindent(*text) : "null");
}

// Output: --json prints the API result; otherwise the report `render` draws.
template <typename Render>
void print_result(const Options& opts, const Row& row, Render render) {
  if (opts.json) return print_json(row.result);
  fmt::print("{}", render(parse_json(row.result), parse_json(row.extra)));
}

// --- git, for `session end --measure-loc` -------------------------------------------

struct ProcessResult {
  int status = -1;  // exit status, or -1 if it did not exit normally
  std::string out, err;
};

ProcessResult run_process(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  if (pipe(err_pipe) != 0) {
    int e = errno;
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw std::system_error(e, std::generic_category(), "pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
    posix_spawn_file_actions_addclose(&actions, fd);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw CliError(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)), kExitRefused);
  }
  ProcessResult res;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&res.out, &res.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  res.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  return res;
}

ProcessResult git(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir});
  return run_process(args);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// --- commands -------------------------------------------------------------------------

// Two calls: the first only asks (and returns the confirmation token), the
// second applies it once the user said yes (--yes, or "y" on a terminal).
struct TwoStep {
  std::function<SqlCall(const std::optional<std::string>& session, const std::optional<std::string>& confirm)>
      call;
  std::function<std::string(const Json&, const Style&)> done;
  const char* question;  // "Move?"
  const char* verb;      // "moved": "Not moved."
  const char* again;     // "move it"
};

int two_step(Connection& conn, const Options& opts, const Style& st, const TwoStep& step) {
  const SessionOptions& s = opts.session;
  Row first = call_row(conn, step.call(s.session, std::nullopt));
  Json answer = parse_json(first.result);
  if (str_of(answer, "status") != "confirmation_required") {
    print_result(opts, first, [&](const Json& r, const Json&) { return step.done(r, st); });
    return kExitOk;
  }
  if (!s.yes) {
    Style err_style{
        want_color(opts.color, isatty(STDERR_FILENO), std::getenv("NO_COLOR"), std::getenv("TERM"))};
    fmt::print(stderr, "{}", render_reassign_warning(answer, err_style));
    if (!isatty(STDIN_FILENO)) {
      if (opts.json) print_json(first.result);
      fmt::print(stderr,
                 "aidis: not {}: confirmation needed, and stdin is not a terminal to ask on; "
                 "run again with --yes to {}\n",
                 step.verb, step.again);
      return kExitConfirm;
    }
    fmt::print(stderr, "{} [y/N] ", step.question);
    std::fflush(stderr);
    std::string reply;
    if (!std::getline(std::cin, reply)) reply.clear();
    reply = trim(reply);
    if (reply != "y" && reply != "Y" && reply != "yes" && reply != "Yes" && reply != "YES") {
      fmt::print(stderr, "Not {}.\n", step.verb);
      return kExitConfirm;
    }
  }
  // The session the token was issued for, not "the current one" again.
  std::optional<std::string> session = s.session;
  if (answer.contains("session_id") && answer["session_id"].is_string())
    session = answer["session_id"].get<std::string>();
  Row applied = call_row(conn, step.call(session, str_of(answer, "confirm")));
  print_result(opts, applied, [&](const Json& r, const Json&) { return step.done(r, st); });
  return kExitOk;
}

int session_project(Connection& conn, const Options& opts, const Style& st) {
  const std::string& project = opts.session.target_project;
  return two_step(
      conn, opts, st,
      {[&](const auto& session, const auto& confirm) { return reassign_call(session, project, confirm); },
       render_reassigned, "Move?", "moved", "move it"});
}

int session_delete(Connection& conn, const Options& opts, const Style& st) {
  return two_step(conn, opts, st, {delete_call, render_deleted, "Delete?", "deleted", "delete it"});
}

int session_end_measured(Connection& conn, const Options& opts, const Style& st) {
  Result info = exec(conn, measure_info_call(opts.session.session));
  if (info.rows() != 1) throw std::runtime_error("expected one row from session_details");
  const Json details = Json::parse(info.text(0, 0));
  std::string id = str_of(details, "id"), display = str_of(details, "display_id"),
              project = str_of(details, "project_name");
  std::optional<std::string> root;
  if (details.contains("project_root_directory") && details["project_root_directory"].is_string())
    root = details["project_root_directory"].get<std::string>();
  // The start as git reads a date: "YYYY-MM-DD HH:MM:SS +HHMM".
  auto started = parse_timestamp(str_of(details, "started_at"));
  if (!started) throw std::runtime_error("session_details gave no started_at");
  const int offset = std::abs(started->offset_minutes);
  std::string since = fmt::format("{} {} {}{:02}{:02}", started->date, started->time,
                                  started->offset_minutes < 0 ? '-' : '+', offset / 60, offset % 60);
  if (!root || root->empty())
    throw CliError(fmt::format("cannot measure lines: project \"{}\" has no root_directory (set "
                               "aidis.projects.root_directory, or end without --measure-loc); "
                               "session {} was not ended",
                               project, display),
                   kExitRefused);
  auto fail = [&](const std::string& what, const ProcessResult& r) {
    return CliError(fmt::format("cannot measure lines in {}: {}{}; session {} was not ended", *root, what,
                                r.err.empty() ? "" : ": " + one_line(r.err), display),
                    kExitRefused);
  };
  ProcessResult inside = git(*root, {"rev-parse", "--is-inside-work-tree"});
  if (inside.status != 0 || trim(inside.out) != "true") throw fail("not a git work tree", inside);
  // The last commit before the session started; none: everything is new.
  std::string base;
  ProcessResult rev = git(*root, {"rev-list", "-1", "--before=" + since, "HEAD"});
  if (rev.status == 0) base = trim(rev.out);
  std::string against = base;
  if (against.empty()) {
    ProcessResult empty = git(*root, {"hash-object", "-t", "tree", "/dev/null"});
    if (empty.status != 0) throw fail("git hash-object failed", empty);
    against = trim(empty.out);
  }
  ProcessResult diff = git(*root, {"diff", "--numstat", "-z", "--no-renames", "--no-color", "--no-ext-diff",
                                   "--no-textconv", against, "--"});
  if (diff.status != 0) throw fail("git diff failed", diff);
  std::vector<FileDelta> files;
  try {
    files = parse_numstat_z(diff.out);
  } catch (const std::runtime_error& e) {
    throw CliError(e.what(), kExitFailure);
  }
  Measured m{base, static_cast<int>(files.size()), 0, 0};
  for (const auto& f : files) m.added += f.added, m.removed += f.removed;

  Row row = call_row(conn, end_measured_call(id, files));
  print_result(opts, row, [&](const Json& r, const Json&) { return render_ended(r, m, st); });
  return kExitOk;
}

int dispatch(Connection& conn, const Options& opts, const Style& st) {
  const Command cmd = opts.command;
  switch (cmd) {
    case Command::SessionProject:
      return session_project(conn, opts, st);
    case Command::SessionDelete:
      return session_delete(conn, opts, st);
    case Command::SessionEnd:
      if (opts.session.measure_loc) return session_end_measured(conn, opts, st);
      break;
    case Command::SessionsExport:
      return sessions_export(conn, opts);
    case Command::SessionsImport:
      return sessions_import(conn, opts);
    default:
      break;
  }
  Row row = call_row(conn, build_call(opts));
  print_result(opts, row, [&](const Json& r, const Json& extra) -> std::string {
    switch (cmd) {
      case Command::SessionShow:
        return opts.session.session ? render_details(r, st) : render_status(r, st);
      case Command::SessionStart:
        return render_started(r, st);
      case Command::SessionEnd:
        return render_ended(r, std::nullopt, st);
      case Command::SessionGoal:
      case Command::SessionTag:
      case Command::SessionNote:
      case Command::SessionRename:
      case Command::SessionEdit:
        return render_updated(cmd, r, st);
      case Command::SessionRate:
        return render_rated(r, st);
      case Command::SessionTimeline:
        return render_timeline(r, extra, opts.session.limit, st);
      case Command::SessionBrief:
        return render_brief(r, st);
      case Command::SessionsList:
        return render_list(r, opts.list.limit, opts.list.offset, st);
      case Command::SessionsStats:
        return render_stats(r, st);
      case Command::SessionsCompare:
        return render_compare(r, st);
      case Command::SessionsCompact:
        return render_compacted(r, st);
      default:
        throw std::logic_error("no renderer for this command");
    }
  });
  return kExitOk;
}

}  // namespace

std::chrono::milliseconds connect_timeout() {
  // As libpq's connect_timeout: PGCONNECT_TIMEOUT seconds, else 30 s.
  if (const char* v = std::getenv("PGCONNECT_TIMEOUT")) {
    char* end = nullptr;
    long s = std::strtol(v, &end, 10);
    if (end != v && *end == '\0' && s > 0) return std::chrono::seconds(std::max(2L, s));
  }
  return std::chrono::seconds(30);
}

int run_command(const Options& opts) {
  Style st{want_color(opts.color, isatty(STDOUT_FILENO), std::getenv("NO_COLOR"), std::getenv("TERM"))};
  try {
    std::optional<Connection> conn;
    try {
      conn = Connection::open(connection_params(opts.dbname, "aidis-cli"), -1, connect_timeout());
    } catch (const PgError& e) {
      fmt::print(stderr, "aidis: could not connect: {}\n", e.what());
      return kExitNoConnection;
    }
    int rc = dispatch(*conn, opts, st);
    std::fflush(stdout);
    return rc;
  } catch (const PgError& e) {
    std::fflush(stdout);
    if (e.sqlstate().empty())
      fmt::print(stderr, "aidis: {}\n", e.what());
    else
      fmt::print(stderr, "aidis: {} (SQLSTATE {})\n", e.what(), e.sqlstate());
    if (!e.detail().empty()) fmt::print(stderr, "detail: {}\n", one_line(e.detail()));
    if (!e.hint().empty()) fmt::print(stderr, "hint: {}\n", one_line(e.hint()));
    return exit_code_for_sqlstate(e.sqlstate());
  } catch (const CliError& e) {
    std::fflush(stdout);
    fmt::print(stderr, "aidis: {}\n", e.what());
    return e.code;
  }
}

}  // namespace aidis
