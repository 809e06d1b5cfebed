#include "serve_events.hpp"

#include <cerrno>
#include <chrono>
#include <poll.h>

#include <fmt/format.h>

#include "connection.hpp"
#include "log.hpp"

namespace aidis {

namespace {
constexpr size_t kKeep = 256;  // a slow stream that falls further behind skips events
}

void Hub::publish(std::string event, std::string data) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++seq_;
    items_.push_back({seq_, fmt::format("id: {}\nevent: {}\ndata: {}\n\n", seq_, event, data)});
    if (items_.size() > kKeep) items_.pop_front();
  }
  cv_.notify_all();
}

bool Hub::wait(uint64_t& seq, std::string& out, int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopped_ || seq_ > seq; });
  if (stopped_) return false;
  for (const auto& item : items_)
    if (item.seq > seq) out += item.text;
  seq = seq_;
  return true;
}

uint64_t Hub::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

void Hub::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

void Listener::start() {
  thread_ = std::thread([this] { run(); });
}

void Listener::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Listener::set_available(bool v) {
  if (announced_ && available_ == v) return;
  announced_ = true;
  available_ = v;
  hub_.publish("database", v ? R"({"available":true})" : R"({"available":false})");
}

void Listener::run() {
  int backoff_ms = 250;
  while (!stop_) {
    std::optional<Connection> conn;
    try {
      conn = Connection::open(params_, -1, std::chrono::seconds(5));
      conn->exec("LISTEN aidis_sessions");
    } catch (const PgError& e) {
      if (available_ || !announced_) log(fmt::format("serve: database unavailable: {}", e.what()));
      set_available(false);
      for (int waited = 0; waited < backoff_ms && !stop_; waited += 50)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      backoff_ms = std::min(backoff_ms * 2, 4000);
      continue;
    }
    backoff_ms = 250;
    set_available(true);
    // Poll with a short timeout so stop() is seen quickly.
    while (!stop_) {
      pollfd fd{conn->socket(), POLLIN, 0};
      int n = ::poll(&fd, 1, 200);
      if (n < 0 && errno != EINTR) break;
      if (n <= 0) continue;
      if (!PQconsumeInput(conn->raw())) break;
      while (PGnotify* note = PQnotifies(conn->raw())) {
        hub_.publish("session", note->extra);
        PQfreemem(note);
      }
      if (PQstatus(conn->raw()) != CONNECTION_OK) break;
    }
    if (!stop_) {
      set_available(false);
      log("serve: LISTEN connection lost; reconnecting");
    }
  }
}

}  // namespace aidis
