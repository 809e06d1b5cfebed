// The worker loop. One connection at a time:
//
//   connect → LISTEN aidis_sessions → sweep → compact if due → loop {
//       deadline = aidis.next_timeout_at()
//       wait on (socket, signalfd) until deadline + slack, the next compaction,
//       a notification or a signal
//       compaction due → compact, re-read the deadline;  deadline reached → sweep;
//       notification → re-read the deadline
//   }
//
// Compaction (aidis.compact_activity, retention of old timelines) runs at the
// first connection and then once a day; it commits batch by batch, so the
// sweep waits for it at most as long as it runs.
//
// Any failure drops the connection and starts over after a backoff, so every
// (re)connect re-LISTENs and resyncs; nothing is cached across connections.
// Signals are blocked and read from a signalfd, so they are only acted upon
// between SQL calls: a SIGTERM lets the current call finish.
#include "worker.hpp"

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/signalfd.h>
#include <system_error>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "connection.hpp"
#include "log.hpp"
#include "schedule.hpp"

namespace aidis {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kConnectTimeout{15000};
constexpr milliseconds kBackoffBase{100};
constexpr milliseconds kBackoffCap{30000};

// What the worker asks of the extension (rule 7 of docs/design.md). Durations and
// deadlines are computed by the server, against its own clock.
constexpr const char* kListen = "LISTEN aidis_sessions";
constexpr const char* kSweep =
    "SELECT display_id, project_name, agent,"
    " extract(epoch FROM clock_timestamp() - last_activity_at)::float8"
    " FROM aidis.expire_idle_sessions_list()";
constexpr const char* kCompact = "CALL aidis.compact_activity()";
constexpr const char* kNextDeadline =
    "SELECT extract(epoch FROM t)::float8, extract(epoch FROM t - clock_timestamp())::float8"
    " FROM aidis.next_timeout_at() AS t";

// SIGTERM, SIGINT and SIGHUP, blocked and delivered through a file
// descriptor that poll() can wait on next to the libpq socket.
class SignalFd {
 public:
  SignalFd() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
    if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
      throw std::system_error(errno, std::generic_category(), "sigprocmask");
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  }
  // The signals stay blocked: unblocking one that arrived after the last
  // read would kill the process on its way out with a non-zero status.
  ~SignalFd() { ::close(fd_); }
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  int fd() const { return fd_; }
  // The next pending signal number, 0 if none.
  int take() {
    signalfd_siginfo si{};
    return ::read(fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si) ? static_cast<int>(si.ssi_signo)
                                                                          : 0;
  }

 private:
  int fd_ = -1;
};

// Why one connection's lifetime ended.
enum class Stop { Terminate, Reload, Retry, NotSetUp };

Stop stop_for(int signo) {
  if (signo == SIGHUP) return Stop::Reload;
  return signo ? Stop::Terminate : Stop::Retry;
}

struct Deadline {
  double epoch;          // the deadline, seconds since 1970 (server clock)
  double seconds_until;  // from now, per the server clock; may be negative
};

struct Wake {
  enum Kind { DeadlineReached, Notified, Signal } kind;
  int signo = 0;
};

std::chrono::system_clock::time_point from_epoch(double epoch) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(epoch)));
}

void log_server_notice(void*, const char* message) { log("server: " + one_line(message)); }

class Worker {
 public:
  Worker(const ConnParams& params, const WorkerOptions& opts)
      : params_(params), opts_(opts), backoff_(kBackoffBase, kBackoffCap, seed()), stall_(seed() + 1) {}

  int run() {
    log(fmt::format("worker starting (aidis {}, pid {})", AIDIS_VERSION, ::getpid()));
    for (;;) {
      Stop stop = serve();
      if (stop == Stop::Retry) {
        milliseconds delay = backoff_.next();
        log(fmt::format("reconnecting in {}", format_duration(static_cast<double>(delay.count()) / 1000.0)));
        // A signal cuts the wait short: SIGHUP reconnects at once.
        if (int signo = sleep_for(delay)) stop = stop_for(signo);
      }
      switch (stop) {
        case Stop::Terminate:
          log("worker stopping on signal");
          return kExitOk;
        case Stop::NotSetUp:
          log("worker exiting: the database is not set up for it (is the aidis_sessions extension "
              "installed there, and may this role execute its functions?)");
          return kExitNotSetUp;
        case Stop::Reload:
          log("reloading: reconnecting");
          backoff_.reset();
          break;
        case Stop::Retry:
          break;
      }
    }
  }

 private:
  static std::uint64_t seed() {
    return static_cast<std::uint64_t>(steady_clock::now().time_since_epoch().count()) ^
           (static_cast<std::uint64_t>(::getpid()) << 32);
  }

  // One connection, from connect to its end.
  Stop serve() {
    std::optional<Connection> conn;
    try {
      conn = Connection::open(params_, signals_.fd(), kConnectTimeout);
    } catch (const PgError& e) {
      log(fmt::format("connection failed: {}", e.what()));
      return Stop::Retry;
    }
    if (!conn) return stop_for(signals_.take());
    PQsetNoticeProcessor(conn->raw(), log_server_notice, nullptr);
    log(fmt::format("connected: {} pid={}", conn->describe(), conn->backend_pid()));

    try {
      conn->exec(kListen);
      sweep(*conn);
      compact_if_due(*conn);
      std::optional<Deadline> next = next_deadline(*conn);
      milliseconds floor = stall_.after_requery(epoch_of(next));
      backoff_.reset();  // only once the connection proved usable
      for (;;) {
        int timeout = poll_timeout_ms(seconds_until(next), kDeadlineSlack, floor);
        if (opts_.verbose) log_wait(next, timeout);
        timeout = combine_timeouts_ms(timeout,
                                      std::chrono::ceil<milliseconds>(next_compact_ - steady_clock::now()));
        Wake w = wait(*conn, timeout);
        if (w.kind == Wake::Signal) return stop_for(w.signo);
        if (w.kind == Wake::DeadlineReached && steady_clock::now() >= next_compact_) {
          compact_if_due(*conn);  // then the deadline as after a notification
          next = next_deadline(*conn);
          floor = stall_.after_requery(epoch_of(next));
        } else if (w.kind == Wake::DeadlineReached && next) {
          double swept = next->epoch;
          sweep(*conn);
          next = next_deadline(*conn);
          bool was_stalled = stall_.stalled();
          floor = stall_.after_sweep(swept, epoch_of(next));
          if (stall_.stalled() && !was_stalled)
            log(
                fmt::format("deadline {} still pending after the sweep (session row locked by "
                            "another transaction?); retrying with backoff",
                            format_utc(from_epoch(swept))));
        } else {
          next = next_deadline(*conn);
          floor = stall_.after_requery(epoch_of(next));
        }
      }
    } catch (const PgError& e) {
      log(e.sqlstate().empty() ? fmt::format("connection lost: {}", e.what())
                               : fmt::format("error: {} (SQLSTATE {}){}", e.what(), e.sqlstate(),
                                             e.hint().empty() ? "" : " (hint: " + e.hint() + ")"));
      return action_for_sqlstate(e.sqlstate()) == ErrorAction::Exit ? Stop::NotSetUp : Stop::Retry;
    }
  }

  void sweep(Connection& conn) {
    Result r = conn.exec(kSweep);
    for (int i = 0; i < r.rows(); ++i)
      log(expired_message(
          {std::string(r.text(i, 0)), r.opt_text(i, 1), r.opt_text(i, 2), r.opt_double(i, 3).value_or(0)}));
  }

  // A failure the server reported is logged and tried again later (the
  // sweep must go on); a broken connection reconnects as usual.
  void compact_if_due(Connection& conn) {
    if (steady_clock::now() < next_compact_) return;
    try {
      Result r = conn.exec(kCompact);
      nlohmann::json report = nlohmann::json::parse(r.opt_text(0, 0).value_or("{}"), nullptr, false);
      auto number = [&](const char* key) {
        return report.is_object() && report.contains(key) && report[key].is_number_integer()
                   ? report[key].get<long long>()
                   : 0LL;
      };
      std::string older =
          report.is_object() && report.contains("older_than") && report["older_than"].is_string()
              ? report["older_than"].get<std::string>()
              : "";
      log(compacted_message({older, number("sessions"), number("events_removed"), number("summaries")}));
      next_compact_ = steady_clock::now() + kCompactEvery;
    } catch (const PgError& e) {
      if (e.sqlstate().empty()) throw;
      milliseconds retry = compact_retry_after(e.sqlstate());
      log(fmt::format("compaction failed: {} (SQLSTATE {}); next attempt in {}", e.what(), e.sqlstate(),
                      format_duration(static_cast<double>(retry.count()) / 1000.0)));
      next_compact_ = steady_clock::now() + retry;
    }
  }

  static std::optional<Deadline> next_deadline(Connection& conn) {
    Result r = conn.exec(kNextDeadline);
    if (r.rows() != 1 || r.columns() != 2)
      throw std::runtime_error("aidis.next_timeout_at() returned an unexpected shape");
    auto epoch = r.opt_double(0, 0);
    if (!epoch) return std::nullopt;
    return Deadline{*epoch, r.opt_double(0, 1).value_or(0)};
  }

  static std::optional<double> epoch_of(const std::optional<Deadline>& d) {
    return d ? std::optional<double>(d->epoch) : std::nullopt;
  }
  static std::optional<double> seconds_until(const std::optional<Deadline>& d) {
    return d ? std::optional<double>(d->seconds_until) : std::nullopt;
  }

  void log_wait(const std::optional<Deadline>& next, int timeout_ms) {
    if (!next)
      log("no active session: waiting for a notification");
    else
      log(fmt::format("next deadline {}: sleeping {}", format_utc(from_epoch(next->epoch)),
                      format_duration(timeout_ms / 1000.0)));
  }

  // Activity only moves deadlines later (docs/timeout.md): waking at the
  // old one costs a sweep that finds nothing, re-reading on every activity
  // notice would cost a query each.
  static bool is_activity(const char* payload) {
    auto note = nlohmann::json::parse(payload, nullptr, false);
    if (!note.is_object()) return false;
    auto event = note.find("event");
    return event != note.end() && event->is_string() && *event == "activity";
  }

  // Delivers what libpq has already read; our own NOTIFYs (the sweep's
  // "timeout" events) cannot change the deadline we just read, nor can
  // activity.
  bool drain_notifications(Connection& conn) {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn.raw())) {
      if (n->be_pid != conn.backend_pid() && !is_activity(n->extra)) {
        any = true;
        if (opts_.verbose) log(fmt::format("notification: {}", n->extra));
      }
      PQfreemem(n);
    }
    return any;
  }

  // Sleeps until `timeout_ms` passes (-1: forever), a notification from
  // another backend arrives, or a signal.
  Wake wait(Connection& conn, int timeout_ms) {
    if (drain_notifications(conn)) return {Wake::Notified};
    auto until = steady_clock::now() + milliseconds(timeout_ms);
    for (;;) {
      int left = -1;
      if (timeout_ms >= 0) {
        auto d = std::chrono::ceil<milliseconds>(until - steady_clock::now());
        if (d.count() <= 0) return {Wake::DeadlineReached};
        left = static_cast<int>(d.count());
      }
      pollfd fds[2] = {{signals_.fd(), POLLIN, 0}, {conn.socket(), POLLIN, 0}};
      int n = ::poll(fds, 2, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "poll");
      }
      if (fds[0].revents)
        if (int signo = signals_.take()) return {Wake::Signal, signo};
      if (fds[1].revents) {
        if (!PQconsumeInput(conn.raw())) throw PgError(one_line(PQerrorMessage(conn.raw())), "");
        if (drain_notifications(conn)) return {Wake::Notified};
        if (PQstatus(conn.raw()) == CONNECTION_BAD) throw PgError("connection closed by the server", "");
      }
    }
  }

  // Sleeps for `d`; returns the signal that interrupted it, or 0.
  int sleep_for(milliseconds d) {
    auto until = steady_clock::now() + d;
    for (;;) {
      auto left = std::chrono::ceil<milliseconds>(until - steady_clock::now());
      if (left.count() <= 0) return 0;
      pollfd fd{signals_.fd(), POLLIN, 0};
      int n = ::poll(&fd, 1, static_cast<int>(left.count()));
      if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
      if (n > 0)
        if (int signo = signals_.take()) return signo;
    }
  }

  const ConnParams& params_;
  const WorkerOptions& opts_;
  SignalFd signals_;
  Backoff backoff_;
  StallGuard stall_;
  // Kept across reconnects: once a day, not once per connection.
  steady_clock::time_point next_compact_ = steady_clock::now();
};

}  // namespace

int run_worker(const ConnParams& params, const WorkerOptions& opts) {
  // A log reader that went away (closed stderr pipe) must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  return Worker(params, opts).run();
}

}  // namespace aidis
