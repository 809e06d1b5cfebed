// Argument parsing of `aidis session …` / `aidis sessions …` (valid and
// invalid) and the SQLSTATE → exit code mapping.
#include <vector>

#include <gtest/gtest.h>

#include "cli.hpp"

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

// Parses a command line that must fail with a usage error; returns stderr.
std::string usage_error(std::vector<const char*> args) {
  testing::internal::CaptureStderr();
  auto p = parse(std::move(args));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(p.exit, kExitUsage) << err;
  return err;
}

}  // namespace

TEST(CliSession, ShowCurrentAndById) {
  auto cur = parse({"session"});
  ASSERT_FALSE(cur.exit);
  EXPECT_EQ(cur.opts.command, Command::SessionShow);
  EXPECT_FALSE(cur.opts.session.session);

  auto alias = parse({"session", "current"});
  ASSERT_FALSE(alias.exit);
  EXPECT_EQ(alias.opts.command, Command::SessionShow);
  EXPECT_FALSE(alias.opts.session.session);

  auto one = parse({"session", "SES-2026-0001", "--json"});
  ASSERT_FALSE(one.exit);
  EXPECT_EQ(one.opts.command, Command::SessionShow);
  EXPECT_EQ(one.opts.session.session.value_or(""), "SES-2026-0001");
  EXPECT_TRUE(one.opts.json);
}

TEST(CliSession, GlobalOptionsAnywhere) {
  auto p = parse({"session", "-d", "dbname=x options=-cTimeZone=UTC", "tag", "a", "--json", "--color=never"});
  ASSERT_FALSE(p.exit);
  EXPECT_EQ(p.opts.dbname.value_or(""), "dbname=x options=-cTimeZone=UTC");
  EXPECT_TRUE(p.opts.json);
  EXPECT_EQ(p.opts.color, ColorMode::Never);
  auto q = parse({"--color", "always", "sessions", "list"});
  ASSERT_FALSE(q.exit);
  EXPECT_EQ(q.opts.color, ColorMode::Always);
  EXPECT_EQ(parse({"session"}).opts.color, ColorMode::Auto);
  usage_error({"--color=sometimes", "session"});
}

TEST(CliSession, Start) {
  auto p = parse({"session", "start", "--agent", "Claude Code", "--project", "shop", "--title", "T", "--goal",
                  "G", "--model", "m", "--client-key", "k", "--new"});
  ASSERT_FALSE(p.exit);
  const auto& s = p.opts.session;
  EXPECT_EQ(p.opts.command, Command::SessionStart);
  EXPECT_EQ(s.agent.value_or(""), "Claude Code");
  EXPECT_EQ(s.project.value_or(""), "shop");
  EXPECT_EQ(s.title.value_or(""), "T");
  EXPECT_EQ(s.goal.value_or(""), "G");
  EXPECT_EQ(s.model.value_or(""), "m");
  EXPECT_EQ(s.client_key.value_or(""), "k");
  EXPECT_TRUE(s.force_new);

  auto bare = parse({"session", "start"});
  ASSERT_FALSE(bare.exit);
  EXPECT_FALSE(bare.opts.session.agent);
  EXPECT_FALSE(bare.opts.session.force_new);

  usage_error({"session", "start", "--agent"});  // missing value
  usage_error({"session", "start", "--bogus"});  // unknown option
  usage_error({"session", "start", "extra"});    // no positional
}

TEST(CliSession, End) {
  auto cur = parse({"session", "end"});
  ASSERT_FALSE(cur.exit);
  EXPECT_EQ(cur.opts.command, Command::SessionEnd);
  EXPECT_FALSE(cur.opts.session.session);
  EXPECT_FALSE(cur.opts.session.measure_loc);

  auto one = parse({"session", "end", "SES-2026-0002", "--measure-loc"});
  ASSERT_FALSE(one.exit);
  EXPECT_EQ(one.opts.session.session.value_or(""), "SES-2026-0002");
  EXPECT_TRUE(one.opts.session.measure_loc);

  // A surplus positional is not silently taken as something else.
  std::string err = usage_error({"session", "end", "SES-2026-0002", "SES-2026-0003"});
  EXPECT_NE(err.find("SES-2026-0003"), std::string::npos);
  usage_error({"session", "SES-2026-0001", "end"});
}

TEST(CliSession, Project) {
  auto p = parse({"session", "project", "docs"});
  ASSERT_FALSE(p.exit);
  EXPECT_EQ(p.opts.command, Command::SessionProject);
  EXPECT_EQ(p.opts.session.target_project, "docs");
  EXPECT_FALSE(p.opts.session.session);
  EXPECT_FALSE(p.opts.session.yes);

  auto q = parse({"session", "project", "docs", "SES-2026-0001", "--yes"});
  ASSERT_FALSE(q.exit);
  EXPECT_EQ(q.opts.session.session.value_or(""), "SES-2026-0001");
  EXPECT_TRUE(q.opts.session.yes);
  EXPECT_TRUE(parse({"session", "project", "-y", "docs"}).opts.session.yes);

  usage_error({"session", "project"});  // the project is required
  usage_error({"session", "project", "a", "b", "c"});
}

TEST(CliSession, Delete) {
  auto p = parse({"session", "delete", "SES-2026-0001"});
  ASSERT_FALSE(p.exit);
  EXPECT_EQ(p.opts.command, Command::SessionDelete);
  EXPECT_EQ(p.opts.session.session.value_or(""), "SES-2026-0001");
  EXPECT_FALSE(p.opts.session.yes);
  EXPECT_TRUE(parse({"session", "delete", "-y", "SES-2026-0001"}).opts.session.yes);
  usage_error({"session", "delete"});  // never "the current session"
  usage_error({"session", "delete", "a", "b"});
}

TEST(CliSessions, Compact) {
  auto p = parse({"sessions", "compact"});
  ASSERT_FALSE(p.exit);
  EXPECT_EQ(p.opts.command, Command::SessionsCompact);
  EXPECT_FALSE(p.opts.compact_older_than);
  EXPECT_EQ(parse({"sessions", "compact", "--older-than", "90 days"}).opts.compact_older_than.value_or(""),
            "90 days");
  usage_error({"sessions", "compact", "--older-than"});
}

TEST(CliSession, GoalTagNoteRename) {
  auto g = parse({"session", "goal", "Fix the cart", "-s", "SES-2026-0001"});
  ASSERT_FALSE(g.exit);
  EXPECT_EQ(g.opts.command, Command::SessionGoal);
  EXPECT_EQ(g.opts.session.text, "Fix the cart");
  EXPECT_EQ(g.opts.session.session.value_or(""), "SES-2026-0001");

  auto clear = parse({"session", "goal", ""});
  ASSERT_FALSE(clear.exit);
  EXPECT_EQ(clear.opts.session.text, "");

  auto t = parse({"session", "tag", "backend", "cart", "v2"});
  ASSERT_FALSE(t.exit);
  EXPECT_EQ(t.opts.command, Command::SessionTag);
  EXPECT_EQ(t.opts.session.tags, (std::vector<std::string>{"backend", "cart", "v2"}));
  EXPECT_FALSE(t.opts.session.session);

  auto n = parse({"session", "note", "--", "-3 flaky tests"});
  ASSERT_FALSE(n.exit);
  EXPECT_EQ(n.opts.command, Command::SessionNote);
  EXPECT_EQ(n.opts.session.text, "-3 flaky tests");

  auto r = parse({"session", "rename", "Cart rounding", "--session=0b5e2c1d"});
  ASSERT_FALSE(r.exit);
  EXPECT_EQ(r.opts.command, Command::SessionRename);
  EXPECT_EQ(r.opts.session.text, "Cart rounding");
  EXPECT_EQ(r.opts.session.session.value_or(""), "0b5e2c1d");

  usage_error({"session", "goal"});
  usage_error({"session", "tag"});
  usage_error({"session", "note"});
  usage_error({"session", "rename"});
  // Unquoted words: the second one is not taken as a session.
  usage_error({"session", "goal", "two", "words"});
}

TEST(CliSession, TextThatLooksLikeACommand) {
  auto g = parse({"session", "goal", "end"});
  ASSERT_FALSE(g.exit);
  EXPECT_EQ(g.opts.command, Command::SessionGoal);
  EXPECT_EQ(g.opts.session.text, "end");
  auto t = parse({"session", "tag", "start", "timeline"});
  ASSERT_FALSE(t.exit);
  EXPECT_EQ(t.opts.command, Command::SessionTag);
  EXPECT_EQ(t.opts.session.tags, (std::vector<std::string>{"start", "timeline"}));
  auto r = parse({"session", "rename", "brief"});
  ASSERT_FALSE(r.exit);
  EXPECT_EQ(r.opts.command, Command::SessionRename);
  EXPECT_EQ(r.opts.session.text, "brief");
}

TEST(CliSession, Edit) {
  auto e = parse({"session", "edit", "--title", "T", "--description", "", "--goal", "G", "--notes", "N",
                  "--tags", "a,b", "--model", "m", "--agent", "cursor", "-s", "SES-2026-0001"});
  ASSERT_FALSE(e.exit);
  const auto& s = e.opts.session;
  EXPECT_EQ(e.opts.command, Command::SessionEdit);
  EXPECT_EQ(s.title.value_or("?"), "T");
  EXPECT_EQ(s.description.value_or("?"), "");  // '' clears
  EXPECT_EQ(s.goal.value_or("?"), "G");
  EXPECT_EQ(s.notes.value_or("?"), "N");
  EXPECT_EQ(s.tags_csv.value_or("?"), "a,b");
  EXPECT_EQ(s.model.value_or("?"), "m");
  EXPECT_EQ(s.agent.value_or("?"), "cursor");
  EXPECT_EQ(s.session.value_or(""), "SES-2026-0001");

  auto one = parse({"session", "edit", "--tags", ""});
  ASSERT_FALSE(one.exit);
  EXPECT_EQ(one.opts.session.tags_csv.value_or("?"), "");
  EXPECT_FALSE(one.opts.session.title);

  std::string err = usage_error({"session", "edit"});  // nothing to change
  EXPECT_NE(err.find("nothing to change"), std::string::npos);
}

TEST(CliSession, Rate) {
  auto r = parse({"session", "rate", "4", "--note", "good flow"});
  ASSERT_FALSE(r.exit);
  EXPECT_EQ(r.opts.command, Command::SessionRate);
  EXPECT_EQ(r.opts.session.stars, 4);
  EXPECT_EQ(r.opts.session.note.value_or(""), "good flow");
  EXPECT_EQ(parse({"session", "rate", "1"}).opts.session.stars, 1);
  EXPECT_EQ(parse({"session", "rate", "5"}).opts.session.stars, 5);

  usage_error({"session", "rate"});
  usage_error({"session", "rate", "0"});
  usage_error({"session", "rate", "6"});
  usage_error({"session", "rate", "four"});
  usage_error({"session", "rate", "4.5"});
}

TEST(CliSession, Timeline) {
  auto outer = parse({"session", "SES-2026-0001", "timeline"});
  ASSERT_FALSE(outer.exit);
  EXPECT_EQ(outer.opts.command, Command::SessionTimeline);
  EXPECT_EQ(outer.opts.session.session.value_or(""), "SES-2026-0001");
  EXPECT_EQ(outer.opts.session.limit, 500);
  EXPECT_EQ(outer.opts.session.after, 0);

  auto inner = parse({"session", "timeline", "SES-2026-0002", "--limit", "20", "--after", "99"});
  ASSERT_FALSE(inner.exit);
  EXPECT_EQ(inner.opts.session.session.value_or(""), "SES-2026-0002");
  EXPECT_EQ(inner.opts.session.limit, 20);
  EXPECT_EQ(inner.opts.session.after, 99);

  auto cur = parse({"session", "timeline"});
  ASSERT_FALSE(cur.exit);
  EXPECT_FALSE(cur.opts.session.session);

  usage_error({"session", "SES-2026-0001", "timeline", "SES-2026-0002"});  // two sessions
  usage_error({"session", "timeline", "--limit", "many"});
}

TEST(CliSession, Brief) {
  auto b = parse({"session", "brief"});
  ASSERT_FALSE(b.exit);
  EXPECT_EQ(b.opts.command, Command::SessionBrief);
  EXPECT_FALSE(b.opts.session.session);
  EXPECT_EQ(parse({"session", "brief", "SES-2026-0001"}).opts.session.session.value_or(""), "SES-2026-0001");
}

TEST(CliSessions, List) {
  auto l = parse({"sessions", "list"});
  ASSERT_FALSE(l.exit);
  EXPECT_EQ(l.opts.command, Command::SessionsList);
  EXPECT_EQ(l.opts.list.limit, 50);
  EXPECT_EQ(l.opts.list.offset, 0);
  EXPECT_FALSE(l.opts.list.q);

  auto f = parse({"sessions", "list", "--q", "cart", "--status", "active", "--project", "shop", "--limit",
                  "10", "--offset", "20"});
  ASSERT_FALSE(f.exit);
  EXPECT_EQ(f.opts.list.q.value_or(""), "cart");
  EXPECT_EQ(f.opts.list.status.value_or(""), "active");
  EXPECT_EQ(f.opts.list.project.value_or(""), "shop");
  EXPECT_EQ(f.opts.list.limit, 10);
  EXPECT_EQ(f.opts.list.offset, 20);
  EXPECT_EQ(parse({"sessions", "list", "-q", "x"}).opts.list.q.value_or(""), "x");

  usage_error({"sessions"});  // needs a subcommand
  usage_error({"sessions", "list", "--limit", "ten"});
  usage_error({"sessions", "list", "extra"});
}

TEST(CliSessions, Stats) {
  auto s = parse({"sessions", "stats"});
  ASSERT_FALSE(s.exit);
  EXPECT_EQ(s.opts.command, Command::SessionsStats);
  EXPECT_EQ(s.opts.stats.period, "month");
  for (const char* period : {"day", "week", "month"}) {
    std::string arg = std::string("--period=") + period;
    auto p = parse({"sessions", "stats", arg.c_str(), "--project", "shop"});
    ASSERT_FALSE(p.exit);
    EXPECT_EQ(p.opts.stats.period, period);
    EXPECT_EQ(p.opts.stats.project.value_or(""), "shop");
  }
  usage_error({"sessions", "stats", "--period=year"});
  usage_error({"sessions", "stats", "--period"});
}

TEST(CliSessions, Compare) {
  auto c = parse({"sessions", "compare", "SES-2026-0001", "SES-2026-0002"});
  ASSERT_FALSE(c.exit);
  EXPECT_EQ(c.opts.command, Command::SessionsCompare);
  EXPECT_EQ(c.opts.compare.a, "SES-2026-0001");
  EXPECT_EQ(c.opts.compare.b, "SES-2026-0002");
  usage_error({"sessions", "compare", "SES-2026-0001"});
  usage_error({"sessions", "compare"});
  usage_error({"sessions", "compare", "a", "b", "c"});
}

TEST(CliSessions, NoPasswordOption) {
  std::string err = usage_error({"session", "--password", "x"});
  EXPECT_NE(err.find("password"), std::string::npos);
}

TEST(CliSessions, HelpMentionsEveryCommand) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(parse({"session", "--help"}).exit, kExitOk);
  std::string out = testing::internal::GetCapturedStdout();
  for (const char* c : {"start", "end", "project", "delete", "goal", "tag", "note", "rate", "rename", "edit",
                        "timeline", "brief"})
    EXPECT_NE(out.find(c), std::string::npos) << c;
  testing::internal::CaptureStdout();
  EXPECT_EQ(parse({"sessions", "--help"}).exit, kExitOk);
  out = testing::internal::GetCapturedStdout();
  for (const char* c : {"list", "stats", "compare", "compact"})
    EXPECT_NE(out.find(c), std::string::npos) << c;
}

TEST(SplitTags, SplitsOnCommasOnly) {
  EXPECT_EQ(split_tags(""), std::vector<std::string>{});
  EXPECT_EQ(split_tags("a"), std::vector<std::string>{"a"});
  EXPECT_EQ(split_tags("a, b,,c "), (std::vector<std::string>{"a", " b", "", "c "}));
}

TEST(ExitCodes, SqlstateMapping) {
  EXPECT_EQ(exit_code_for_sqlstate("42704"), kExitNotFound);
  EXPECT_EQ(exit_code_for_sqlstate("P0002"), kExitNotFound);
  EXPECT_EQ(exit_code_for_sqlstate("21000"), kExitNotFound);
  EXPECT_EQ(exit_code_for_sqlstate("55000"), kExitRefused);
  EXPECT_EQ(exit_code_for_sqlstate("22023"), kExitRefused);
  EXPECT_EQ(exit_code_for_sqlstate("22001"), kExitRefused);
  EXPECT_EQ(exit_code_for_sqlstate("23514"), kExitRefused);
  EXPECT_EQ(exit_code_for_sqlstate("23505"), kExitRefused);
  EXPECT_EQ(exit_code_for_sqlstate("P0001"), kExitRefused);
  EXPECT_EQ(exit_code_for_sqlstate("3F000"), kExitNotSetUp);
  EXPECT_EQ(exit_code_for_sqlstate("42883"), kExitNotSetUp);
  EXPECT_EQ(exit_code_for_sqlstate("42P01"), kExitNotSetUp);
  EXPECT_EQ(exit_code_for_sqlstate("42501"), kExitNotSetUp);
  EXPECT_EQ(exit_code_for_sqlstate(""), kExitNoConnection);
  EXPECT_EQ(exit_code_for_sqlstate("08006"), kExitNoConnection);
  EXPECT_EQ(exit_code_for_sqlstate("57P01"), kExitNoConnection);
  EXPECT_EQ(exit_code_for_sqlstate("XX000"), kExitFailure);
  EXPECT_EQ(exit_code_for_sqlstate("40P01"), kExitFailure);
  EXPECT_EQ(exit_code_for_sqlstate("42601"), kExitFailure);  // a syntax error is our bug
}

TEST(ExitCodes, DistinctAndStable) {
  // Documented in docs/cli.md; scripts depend on the numbers.
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailure, 1);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(kExitNotSetUp, 3);
  EXPECT_EQ(kExitNotFound, 4);
  EXPECT_EQ(kExitRefused, 5);
  EXPECT_EQ(kExitConfirm, 6);
  EXPECT_EQ(kExitNoConnection, 7);
}

TEST(CliSessions, ExportAndImport) {
  auto e = parse({"sessions", "export", "--q", "cart", "--status", "inactive", "--project", "shop", "--since",
                  "2026-01-01", "--format", "md", "-o", "out.md"});
  ASSERT_FALSE(e.exit);
  EXPECT_EQ(e.opts.command, Command::SessionsExport);
  EXPECT_EQ(e.opts.transfer.q.value_or(""), "cart");
  EXPECT_EQ(e.opts.transfer.since.value_or(""), "2026-01-01");
  EXPECT_EQ(e.opts.transfer.format, "md");
  EXPECT_EQ(e.opts.transfer.output.value_or(""), "out.md");
  EXPECT_EQ(parse({"sessions", "export"}).opts.transfer.format, "json");
  usage_error({"sessions", "export", "--format", "xml"});
  auto i = parse({"sessions", "import", "all.jsonl"});
  EXPECT_EQ(i.opts.command, Command::SessionsImport);
  EXPECT_EQ(i.opts.transfer.file, "all.jsonl");
  usage_error({"sessions", "import"});
}
