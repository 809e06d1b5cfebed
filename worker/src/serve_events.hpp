// Live updates of `aidis serve`: one LISTEN aidis_sessions connection whose
// notifications (and the database's availability) go to every open page as
// Server-Sent Events.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "conninfo.hpp"

namespace aidis {

// Fan-out of events to the SSE streams: a numbered ring of recent events,
// each stream reads those after the last one it sent.
class Hub {
 public:
  void publish(std::string event, std::string data);
  // Waits up to `ms` for events after `seq`; appends them to `out` as SSE
  // text and advances `seq`. Returns false once the hub is stopped.
  bool wait(uint64_t& seq, std::string& out, int ms);
  uint64_t last() const;
  void stop();

 private:
  struct Item {
    uint64_t seq;
    std::string text;
  };
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
  uint64_t seq_ = 0;
  bool stopped_ = false;
};

// The LISTEN thread: reconnects with back-off, publishes "session" for each
// notification and "database" ({"available": bool}) when that changes.
class Listener {
 public:
  Listener(ConnParams params, Hub& hub) : params_(std::move(params)), hub_(hub) {}
  ~Listener() { stop(); }
  void start();
  void stop();
  bool available() const { return available_; }

 private:
  void run();
  void set_available(bool v);
  ConnParams params_;
  Hub& hub_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> available_{false};
  bool announced_ = false;
  std::thread thread_;
};

}  // namespace aidis
