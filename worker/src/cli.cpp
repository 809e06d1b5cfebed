#include "cli.hpp"

namespace aidis {

void define_cli(CLI::App& app, Options& opts) {
    app.description("aidis: AIDIS session tracking (PostgreSQL extension aidis_sessions)");
    app.set_version_flag("--version", AIDIS_VERSION);
    app.require_subcommand(1);
    // Global options may also follow the subcommand: `aidis worker -d mydb`.
    app.fallthrough();
    app.add_option("-d,--dbname", opts.dbname,
                   "database name, conninfo string or postgresql:// URI; default: libpq's "
                   "PG* environment and service file, as psql");

    auto* worker = app.add_subcommand(
        "worker", "expire idle sessions at their deadlines (LISTEN aidis_sessions; runs until SIGTERM)");
    worker->add_flag("-v,--verbose", opts.worker.verbose, "also log deadlines and notifications");
    worker->callback([&opts] { opts.command = Command::Worker; });
}

std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Prints help/version to stdout or the error to stderr. CLI11's own
        // codes (105, 106, ...) are collapsed into our one usage code.
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    return std::nullopt;
}

}  // namespace aidis
