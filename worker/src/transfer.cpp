// `aidis sessions export` and `aidis sessions import` (docs/export.md).
// Export streams: one SQL call whose rows arrive one at a time (single-row
// mode) and are written as they come, so memory does not grow with the
// number of sessions. Import runs aidis.session_import once per document in
// one transaction: all of them or none.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <unistd.h>

#include <fmt/format.h>

#include "commands_internal.hpp"
#include "log.hpp"
#include "render.hpp"

namespace aidis {

namespace {

// A running count on stderr, only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(const char* verb) : verb_(verb), on_(isatty(STDERR_FILENO) != 0) {}
  void step() {
    ++n_;
    if (on_ && n_ % 50 == 0) show();
  }
  void done() {
    if (!on_) return;
    show();
    fmt::print(stderr, "\n");
  }
  long long count() const { return n_; }

 private:
  void show() const {
    static const char* kBar[] = {"▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"};
    fmt::print(stderr, "\r{} {} {}", kBar[(n_ / 50) % 8], verb_,
               n_ == 1 ? "1 session" : fmt::format("{} sessions", n_));
    std::fflush(stderr);
  }
  const char* verb_;
  bool on_;
  long long n_ = 0;
};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

int sessions_export(Connection& conn, const Options& opts) {
  const TransferOptions& t = opts.transfer;
  std::unique_ptr<FILE, FileCloser> file;
  FILE* out = stdout;
  if (t.output && *t.output != "-") {
    file.reset(std::fopen(t.output->c_str(), "w"));
    if (!file)
      throw CliError(fmt::format("cannot write {}: {}", *t.output, std::strerror(errno)), kExitFailure);
    out = file.get();
  }
  SqlCall call = build_call(opts);
  std::vector<const char*> values;
  for (const auto& p : call.params) values.push_back(p ? p->c_str() : nullptr);
  if (!PQsendQueryParams(conn.raw(), call.sql.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0) ||
      !PQsetSingleRowMode(conn.raw()))
    throw PgError::from_result(conn.raw(), nullptr);

  Progress progress("exported");
  std::optional<PgError> failed;
  while (PGresult* raw = PQgetResult(conn.raw())) {
    Result r(raw);
    auto status = PQresultStatus(raw);
    if (failed) continue;  // read to the end of the call
    if (status == PGRES_SINGLE_TUPLE) {
      std::string_view doc = r.text(0, 0);
      if (t.format == "json") {
        std::fputs(progress.count() == 0 ? "[\n" : ",\n", out);
        std::fwrite(doc.data(), 1, doc.size(), out);
      } else if (t.format == "jsonl") {
        std::fwrite(doc.data(), 1, doc.size(), out);
        std::fputc('\n', out);
      } else {
        std::fputs(progress.count() == 0 ? "" : "\n", out);
        std::fputs(render_export_md(Json::parse(doc)).c_str(), out);
      }
      progress.step();
    } else if (status != PGRES_TUPLES_OK) {
      failed = PgError::from_result(conn.raw(), raw);
    }
  }
  if (failed) {
    if (file) std::remove(t.output->c_str());  // no partial export left behind
    throw *failed;
  }
  if (t.format == "json") std::fputs(progress.count() == 0 ? "[]\n" : "\n]\n", out);
  progress.done();
  if (std::fflush(out) != 0 || std::ferror(out))
    throw CliError(fmt::format("cannot write {}: {}", t.output.value_or("stdout"), std::strerror(errno)),
                   kExitFailure);
  return kExitOk;
}

int sessions_import(Connection& conn, const Options& opts) {
  const TransferOptions& t = opts.transfer;
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (t.file != "-") {
    in_file.open(t.file);
    if (!in_file)
      throw CliError(fmt::format("cannot read {}: {}", t.file, std::strerror(errno)), kExitFailure);
    in = &in_file;
  }
  exec(conn, {"BEGIN", {}});
  Progress progress("imported");
  Json imported = Json::array();
  auto import_one = [&](const std::string& doc) {
    try {
      Result r = exec(conn, import_call(doc));
      Json row = Json::parse(r.text(0, 0));
      if (!opts.json)
        fmt::print("{}  {}  {}\n", row.value("display_id", ""), row.value("id", ""),
                   row.value("project_name", ""));
      else
        imported.push_back(std::move(row));
    } catch (const PgError& e) {
      throw PgError(
          fmt::format("session {} of {}: {}; nothing was imported", progress.count() + 1, t.file, e.what()),
          e.sqlstate(), e.detail(), e.hint());
    }
    progress.step();
  };
  // A JSON array (--format json) is read whole; JSON lines one at a time.
  int first = (*in >> std::ws).peek();
  try {
    if (first == '[') {
      Json all = Json::parse(*in);
      for (const auto& doc : all) import_one(doc.dump());
    } else {
      std::string line;
      while (std::getline(*in, line))
        if (line.find_first_not_of(" \t\r") != std::string::npos) import_one(line);
    }
  } catch (const Json::exception& e) {
    throw CliError(fmt::format("{} is not JSON or JSON lines: {}; nothing was imported", t.file, e.what()),
                   kExitRefused);
  }
  exec(conn, {"COMMIT", {}});
  progress.done();
  if (opts.json) fmt::print("{}\n", imported.dump(2));
  return kExitOk;
}

}  // namespace aidis
