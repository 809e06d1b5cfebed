#include <vector>

#include <gtest/gtest.h>

#include "cli.hpp"
#include "conninfo.hpp"

using namespace aidis;

namespace {

struct Parsed {
  std::optional<int> exit;
  Options opts;
};

Parsed parse(std::vector<const char*> args) {
  args.insert(args.begin(), "aidis");
  Parsed p;
  CLI::App app{"", "aidis"};
  define_cli(app, p.opts);
  p.exit = parse_command_line(app, static_cast<int>(args.size()), args.data());
  return p;
}

}  // namespace

TEST(Cli, Worker) {
  auto p = parse({"worker"});
  EXPECT_FALSE(p.exit);
  EXPECT_EQ(p.opts.command, Command::Worker);
  EXPECT_FALSE(p.opts.dbname);
  EXPECT_FALSE(p.opts.worker.verbose);
}

TEST(Cli, DbnameBeforeOrAfterSubcommand) {
  auto before = parse({"-d", "postgresql://u@h/db?sslmode=require", "worker"});
  EXPECT_FALSE(before.exit);
  EXPECT_EQ(before.opts.dbname.value_or(""), "postgresql://u@h/db?sslmode=require");
  auto after = parse({"worker", "--dbname=host=/tmp dbname=aidis", "-v"});
  EXPECT_FALSE(after.exit);
  EXPECT_EQ(after.opts.dbname.value_or(""), "host=/tmp dbname=aidis");
  EXPECT_TRUE(after.opts.worker.verbose);
  EXPECT_EQ(after.opts.command, Command::Worker);
}

TEST(Cli, UsageErrorsExit2) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse({}).exit, kExitUsage);                          // no subcommand
  EXPECT_EQ(parse({"bogus"}).exit, kExitUsage);                   // unknown subcommand
  EXPECT_EQ(parse({"worker", "--password=x"}).exit, kExitUsage);  // no such option, ever
  EXPECT_EQ(parse({"worker", "-d"}).exit, kExitUsage);            // missing value
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("password"), std::string::npos);
}

TEST(Cli, HelpAndVersionExit0) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(parse({"--help"}).exit, kExitOk);
  EXPECT_EQ(parse({"worker", "--help"}).exit, kExitOk);
  EXPECT_EQ(parse({"--version"}).exit, kExitOk);
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("worker"), std::string::npos);
  EXPECT_NE(out.find(AIDIS_VERSION), std::string::npos);
}

TEST(ConnParams, DefaultsFirstUserDbnameLast) {
  ConnParams p = connection_params(std::string("postgresql:///aidis?keepalives_idle=5"), "aidis-worker");
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.front(), (std::pair<std::string, std::string>{"fallback_application_name", "aidis-worker"}));
  // Last, so that libpq lets what the user wrote override our defaults.
  EXPECT_EQ(p.back(),
            (std::pair<std::string, std::string>{"dbname", "postgresql:///aidis?keepalives_idle=5"}));
  bool keepalives = false;
  for (const auto& [k, v] : p) keepalives |= (k == "keepalives" && v == "1");
  EXPECT_TRUE(keepalives);
  for (const auto& [k, v] : p) EXPECT_NE(k, "password");
}

TEST(ConnParams, NoDbnameLeavesItToLibpq) {
  for (const auto& dbname : {std::optional<std::string>{}, std::optional<std::string>{""}}) {
    ConnParams p = connection_params(dbname, "aidis-worker");
    for (const auto& [k, v] : p) EXPECT_NE(k, "dbname");
  }
}

TEST(Cli, Mcp) {
  auto p = parse({"mcp", "-d", "dbname=aidis", "--project", "shop"});
  EXPECT_FALSE(p.exit);
  EXPECT_EQ(p.opts.command, Command::Mcp);
  EXPECT_EQ(p.opts.mcp.project, "shop");
  EXPECT_EQ(p.opts.dbname, "dbname=aidis");
  auto bare = parse({"mcp"});
  EXPECT_EQ(bare.opts.command, Command::Mcp);
  EXPECT_EQ(bare.opts.mcp.project, std::nullopt);
}
