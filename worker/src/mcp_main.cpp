#include "mcp_main.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "connection.hpp"
#include "conninfo.hpp"
#include "log.hpp"
#include "mcp_server.hpp"

namespace aidis {

namespace {

// How long a client that offers roots has to answer roots/list before the
// extension's rule chooses the project.
constexpr std::chrono::seconds kRootsWait{10};

// Stable for the client process: the MCP server is its child, and a
// restarted server (same parent) resumes the same session. The parent's
// start time tells a reused pid apart.
std::string client_key() {
  if (const char* k = std::getenv("AIDIS_CLIENT_KEY"); k && *k) return k;
  pid_t parent = getppid();
  std::ifstream f(fmt::format("/proc/{}/stat", parent));
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (auto start = mcp::proc_start_time(stat)) return fmt::format("pid:{}@{}", parent, *start);
  return fmt::format("pid:{}", parent);
}

class Database {
 public:
  explicit Database(ConnParams params) : params_(std::move(params)) {}

  mcp::SqlOutcome run(const SqlCall& call) {
    if (conn_ && PQstatus(conn_->raw()) != CONNECTION_OK) {
      log("connection lost; reconnecting");
      conn_.reset();
    }
    if (!conn_) {
      try {
        conn_ = Connection::open(params_, -1, connect_timeout());
      } catch (const PgError& e) {
        log(fmt::format("could not connect: {}", e.what()));
        return mcp::SqlOutcome::failure("", fmt::format("could not connect to the database: {}", e.what()));
      }
      log(fmt::format("connected: {}", conn_->describe()));
    }
    try {
      Result r = conn_->exec_params(call.sql, call.params);
      if (r.rows() == 1) return mcp::SqlOutcome::success(r.opt_text(0, 0));
      return mcp::SqlOutcome::failure("", fmt::format("expected one row from the server, got {}", r.rows()));
    } catch (const PgError& e) {
      return mcp::SqlOutcome::failure(e.sqlstate(), e.what(), e.detail(), e.hint());
    }
  }

 private:
  ConnParams params_;
  std::optional<Connection> conn_;
};

}  // namespace

int run_mcp(const Options& opts) {
  std::signal(SIGPIPE, SIG_IGN);  // a vanished client: EPIPE, then exit
  Database db(connection_params(opts.dbname, "aidis-mcp"));
  bool stdout_gone = false;
  auto write_line = [&](const std::string& message) {
    std::string line = message + "\n";
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0 && !stdout_gone) {
      ssize_t n = ::write(STDOUT_FILENO, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        log(fmt::format("stdout closed: {}", std::strerror(errno)));
        stdout_gone = true;
        break;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  };
  mcp::ServerConfig cfg{opts.mcp.project, client_key(), AIDIS_VERSION};
  log(fmt::format("aidis mcp {} (client_key={})", AIDIS_VERSION, cfg.client_key));
  mcp::Server server(
      cfg, [&](const SqlCall& c) { return db.run(c); }, write_line, [](const std::string& m) { log(m); });
  mcp::LineFramer framer(mcp::kMaxMessageBytes);

  std::optional<std::chrono::steady_clock::time_point> roots_deadline;
  std::vector<char> buf(1 << 16);
  while (!stdout_gone) {
    int timeout = -1;
    if (server.waiting_for_roots()) {
      auto now = std::chrono::steady_clock::now();
      if (!roots_deadline) roots_deadline = now + kRootsWait;
      timeout = static_cast<int>(std::max<long long>(
          0, std::chrono::ceil<std::chrono::milliseconds>(*roots_deadline - now).count()));
    } else {
      roots_deadline.reset();
    }
    pollfd in{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&in, 1, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log(fmt::format("poll: {}", std::strerror(errno)));
      return kExitFailure;
    }
    if (ready == 0) {
      server.stop_waiting_for_roots();
      continue;
    }
    ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      log(fmt::format("stdin: {}", std::strerror(errno)));
      return kExitFailure;
    }
    if (n == 0) break;
    for (const auto& frame : framer.feed({buf.data(), static_cast<size_t>(n)})) server.on_frame(frame);
  }
  for (const auto& frame : framer.finish()) server.on_frame(frame);
  server.stop_waiting_for_roots();
  log("stdin closed: exiting; the session stays active until the inactivity timeout");
  return kExitOk;
}

}  // namespace aidis
