// Database side of `aidis serve`: a small pool of libpq connections, each
// request borrowing one for its single SQL API call. A broken connection is
// dropped and replaced on the next request, so the server outlives a
// database restart.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "calls.hpp"
#include "connection.hpp"
#include "conninfo.hpp"

namespace aidis {

// The answer of one call: the JSON text of column 1 and, on failure, the
// server's SQLSTATE and message (+ hint). sqlstate "" with !ok: no connection.
struct CallResult {
  bool ok = false;
  std::optional<std::string> json;
  std::string sqlstate, message;
};

class Pool {
 public:
  Pool(ConnParams params, size_t size) : params_(std::move(params)), size_(size) {}
  // Runs `call` (one row, JSON in column 1). Retries once on a fresh
  // connection when the borrowed one turned out to be broken.
  CallResult run(const SqlCall& call);

 private:
  std::unique_ptr<Connection> take();
  void give_back(std::unique_ptr<Connection> c);

  ConnParams params_;
  size_t size_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace aidis
