// Entry point of the `aidis` binary: parse the command line, dispatch.
#include <exception>

#include <fmt/format.h>

#include "cli.hpp"
#include "commands.hpp"
#include "conninfo.hpp"
#include "mcp_main.hpp"
#include "serve.hpp"
#include "worker.hpp"

int main(int argc, char** argv) {
  using namespace aidis;
  try {
    Options opts;
    CLI::App app{"", "aidis"};
    define_cli(app, opts);
    if (auto rc = parse_command_line(app, argc, argv)) return *rc;
    switch (opts.command) {
      case Command::Worker:
        return run_worker(connection_params(opts.dbname, "aidis-worker"), opts.worker);
      case Command::Mcp:
        return run_mcp(opts);
      case Command::Serve:
        return run_serve(connection_params(opts.dbname, "aidis-serve"), opts.serve);
      case Command::None:
        break;  // parse_command_line() reports a missing command
      default:
        return run_command(opts);  // aidis session …, aidis sessions …
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "aidis: {}\n", e.what());
    return kExitFailure;
  } catch (...) {
    fmt::print(stderr, "aidis: unexpected error\n");
    return kExitFailure;
  }
  return kExitUsage;
}
