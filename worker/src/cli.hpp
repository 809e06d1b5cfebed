// Command line of the `aidis` binary: option and subcommand definitions and
// exit codes. Pure (CLI11 only), unit-tested; main.cpp dispatches.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace aidis {

// Process exit codes, shared by every subcommand (docs/worker.md).
enum ExitCode : int {
    kExitOk = 0,        // done; for `worker`: stopped by SIGTERM/SIGINT
    kExitFailure = 1,   // unexpected internal error
    kExitUsage = 2,     // bad command line
    kExitNotSetUp = 3,  // the database lacks the aidis_sessions extension or grants
};

enum class Command { None, Worker };

struct WorkerOptions {
    bool verbose = false;  // also log deadlines, notifications and wake-ups
};

struct Options {
    std::optional<std::string> dbname;  // -d: name, conninfo or URI
    Command command = Command::None;
    WorkerOptions worker;
};

// Registers global options and subcommands on `app`, writing into `opts`.
// `opts` must outlive `app`.
void define_cli(CLI::App& app, Options& opts);

// Parses argv. Returns an exit code when the process must stop right away
// (--help, --version, or a usage error; the message is already printed),
// std::nullopt when `opts` holds a command to run.
std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv);

}  // namespace aidis
