#include "serve_db.hpp"

#include <chrono>

#include <fmt/format.h>

#include "log.hpp"

namespace aidis {

namespace {

constexpr std::chrono::seconds kConnectTimeout{5};

CallResult exec_call(Connection& conn, const SqlCall& call) {
  CallResult out;
  try {
    Result r = conn.exec_params(call.sql, call.params);
    out.ok = true;
    if (r.rows() >= 1 && r.columns() >= 1) out.json = r.opt_text(0, 0);
  } catch (const PgError& e) {
    out.sqlstate = e.sqlstate();
    out.message = e.what();
    if (!e.hint().empty()) out.message += " " + e.hint();
  }
  return out;
}

}  // namespace

std::unique_ptr<Connection> Pool::take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (PQstatus(c->raw()) == CONNECTION_OK) return c;
    }
  }
  try {
    auto c = Connection::open(params_, -1, kConnectTimeout);
    return c ? std::make_unique<Connection>(std::move(*c)) : nullptr;
  } catch (const PgError& e) {
    log(fmt::format("serve: cannot connect: {}", e.what()));
    return nullptr;
  }
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  // Only healthy, idle connections go back; an aborted transaction cannot
  // linger because every call is one autocommit statement.
  if (PQstatus(c->raw()) != CONNECTION_OK || PQtransactionStatus(c->raw()) != PQTRANS_IDLE) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < size_) idle_.push_back(std::move(c));
}

CallResult Pool::run(const SqlCall& call) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto conn = take();
    if (!conn) return {};
    CallResult r = exec_call(*conn, call);
    bool broken = PQstatus(conn->raw()) != CONNECTION_OK;
    if (!broken) give_back(std::move(conn));
    // A connection that died under the call (database restarted): the
    // statement did not run to completion, so once more on a new one.
    std::string_view cls = std::string_view(r.sqlstate).substr(0, 2);
    if (r.ok || !broken || !(r.sqlstate.empty() || cls == "57" || cls == "08")) return r;
  }
  return {};
}

}  // namespace aidis
