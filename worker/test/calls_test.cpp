// The SQL of each command: one API call, parameters in order, NULL for
// "not given"; the helpers that build array literals, parse git output and
// re-indent JSON.
#include <gtest/gtest.h>

#include "calls.hpp"

using namespace aidis;

namespace {

Options with(Command c) {
  Options o;
  o.command = c;
  return o;
}

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

// How many functions of the aidis schema the statement calls, by name.
int api_calls(const std::string& sql, const std::vector<std::string>& names) {
  int n = 0;
  for (const auto& name : names) {
    for (size_t pos = sql.find("aidis." + name + "("); pos != std::string::npos;
         pos = sql.find("aidis." + name + "(", pos + 1))
      ++n;
  }
  return n;
}

const std::vector<std::string> kApi = {
    "session_details",  "start_session",   "end_session",   "update_session", "rate_session",
    "session_timeline", "session_brief",   "list_sessions", "session_stats",  "compare_sessions",
    "reassign_project", "current_session", "record_file"};

}  // namespace

TEST(Calls, ShowIsSessionDetails) {
  auto o = with(Command::SessionShow);
  auto c = build_call(o);
  EXPECT_TRUE(contains(c.sql, "aidis.session_details($1::text)"));
  ASSERT_EQ(c.params.size(), 1u);
  EXPECT_FALSE(c.params[0]);  // NULL: the current session
  o.session.session = "SES-2026-0001";
  EXPECT_EQ(build_call(o).params[0].value_or(""), "SES-2026-0001");
}

TEST(Calls, EveryCommandIsOneApiCall) {
  for (Command cmd :
       {Command::SessionShow, Command::SessionStart, Command::SessionEnd, Command::SessionGoal,
        Command::SessionRename, Command::SessionEdit, Command::SessionRate, Command::SessionBrief,
        Command::SessionsList, Command::SessionsStats, Command::SessionsCompare}) {
    auto c = build_call(with(cmd));
    EXPECT_EQ(api_calls(c.sql, kApi), 1) << c.sql;
  }
  // The timeline names its session for the header: the timeline call plus session_details.
  auto t = build_call(with(Command::SessionTimeline));
  EXPECT_EQ(api_calls(t.sql, {"session_timeline"}), 1);
  // tag and note read the current value of the same session in the same statement.
  EXPECT_EQ(api_calls(build_call(with(Command::SessionTag)).sql, {"update_session"}), 1);
  EXPECT_EQ(api_calls(build_call(with(Command::SessionNote)).sql, {"update_session"}), 1);
}

TEST(Calls, StartPassesEveryArgumentInOrder) {
  auto o = with(Command::SessionStart);
  o.session.agent = "Claude Code";
  o.session.project = "shop";
  o.session.goal = "G";
  o.session.force_new = true;
  auto c = build_call(o);
  EXPECT_TRUE(
      contains(c.sql, "aidis.start_session(agent => $1::text, project => $2::text, title => $3::text"));
  ASSERT_EQ(c.params.size(), 7u);
  EXPECT_EQ(c.params[0].value_or(""), "Claude Code");
  EXPECT_EQ(c.params[1].value_or(""), "shop");
  EXPECT_FALSE(c.params[2]);  // title: server default
  EXPECT_EQ(c.params[3].value_or(""), "G");
  EXPECT_FALSE(c.params[4]);
  EXPECT_FALSE(c.params[5]);
  EXPECT_EQ(c.params[6].value_or(""), "true");
}

TEST(Calls, EndAndRate) {
  auto e = with(Command::SessionEnd);
  e.session.session = "abcdef12";
  auto c = build_call(e);
  EXPECT_TRUE(contains(c.sql, "aidis.end_session($1::text)"));
  EXPECT_EQ(c.params, (std::vector<std::optional<std::string>>{"abcdef12"}));
  e.session.measure_loc = true;
  EXPECT_THROW(build_call(e), std::logic_error);

  auto r = with(Command::SessionRate);
  r.session.stars = 4;
  auto rc = build_call(r);
  EXPECT_TRUE(contains(rc.sql, "aidis.rate_session($1::text, $2::integer, $3::text)"));
  EXPECT_EQ(rc.params, (std::vector<std::optional<std::string>>{std::nullopt, "4", std::nullopt}));
}

TEST(Calls, UpdatesChangeOnlyTheirField) {
  auto g = with(Command::SessionGoal);
  g.session.text = "";  // '' clears the goal
  auto c = build_call(g);
  ASSERT_EQ(c.params.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    if (i == 3)
      EXPECT_EQ(c.params[i].value_or("?"), "");
    else
      EXPECT_FALSE(c.params[i]) << i;
  }

  auto r = with(Command::SessionRename);
  r.session.text = "New";
  EXPECT_EQ(build_call(r).params[1].value_or(""), "New");

  auto t = with(Command::SessionTag);
  t.session.tags = {"a", "b c"};
  auto tc = build_call(t);
  EXPECT_FALSE(tc.params[4]);                              // tags not replaced...
  EXPECT_EQ(tc.params[8].value_or(""), R"({"a","b c"})");  // ...but added to

  auto n = with(Command::SessionNote);
  n.session.text = "line";
  auto nc = build_call(n);
  EXPECT_FALSE(nc.params[5]);                    // notes not replaced...
  EXPECT_EQ(nc.params[9].value_or(""), "line");  // ...but appended to

  auto e = with(Command::SessionEdit);
  e.session.tags_csv = "";
  e.session.description = "";
  auto ec = build_call(e);
  EXPECT_EQ(ec.params[2].value_or("?"), "");    // description cleared
  EXPECT_EQ(ec.params[4].value_or("?"), "{}");  // tags cleared
  EXPECT_FALSE(ec.params[1]);                   // title unchanged
  EXPECT_FALSE(ec.params[8]);                   // edit replaces the tags
}

TEST(Calls, ListAndTimelineKeepTheFunctionsOrder) {
  auto l = with(Command::SessionsList);
  l.list.q = "cart";
  l.list.limit = 10;
  auto c = build_call(l);
  EXPECT_TRUE(contains(c.sql, "WITH ORDINALITY"));
  EXPECT_TRUE(contains(c.sql, "ORDER BY r.ordinality"));
  EXPECT_EQ(c.params,
            (std::vector<std::optional<std::string>>{"cart", std::nullopt, std::nullopt, "10", "0"}));

  auto t = with(Command::SessionTimeline);
  t.session.after = 42;
  auto tc = build_call(t);
  EXPECT_TRUE(contains(tc.sql, "aidis.session_timeline($1::text, $2::integer, $3::bigint)"));
  EXPECT_EQ(tc.params, (std::vector<std::optional<std::string>>{std::nullopt, "500", "42"}));
}

TEST(Calls, StatsCompareBrief) {
  auto s = with(Command::SessionsStats);
  s.stats.period = "week";
  EXPECT_EQ(build_call(s).params, (std::vector<std::optional<std::string>>{"week", std::nullopt}));
  auto c = with(Command::SessionsCompare);
  c.compare = {"A", "B"};
  EXPECT_EQ(build_call(c).params, (std::vector<std::optional<std::string>>{"A", "B"}));
  EXPECT_TRUE(contains(build_call(with(Command::SessionBrief)).sql, "aidis.session_brief($1::text)"));
}

TEST(Calls, Compact) {
  auto c = with(Command::SessionsCompact);
  EXPECT_EQ(build_call(c).sql, "CALL aidis.compact_activity($1::interval)");
  EXPECT_EQ(build_call(c).params, (std::vector<std::optional<std::string>>{std::nullopt}));  // the setting
  c.compact_older_than = "90 days";
  EXPECT_EQ(build_call(c).params, (std::vector<std::optional<std::string>>{"90 days"}));
}

TEST(Calls, TwoStepCommandsAreNotBuiltHere) {
  EXPECT_THROW(build_call(with(Command::SessionProject)), std::logic_error);
  EXPECT_THROW(build_call(with(Command::SessionDelete)), std::logic_error);
  auto del = delete_call(std::string("SES-2026-0001"), std::nullopt);
  EXPECT_TRUE(contains(del.sql, "aidis.delete_session($1::text, $2::text)"));
  EXPECT_EQ(del.params, (std::vector<std::optional<std::string>>{"SES-2026-0001", std::nullopt}));
  EXPECT_THROW(build_call(with(Command::Worker)), std::logic_error);
  auto ask = reassign_call(std::nullopt, "docs", std::nullopt);
  EXPECT_TRUE(contains(ask.sql, "aidis.reassign_project($1::text, $2::text, $3::text)"));
  EXPECT_EQ(ask.params, (std::vector<std::optional<std::string>>{std::nullopt, "docs", std::nullopt}));
  auto apply = reassign_call(std::string("uuid"), "docs", std::string("123.abc"));
  EXPECT_EQ(apply.params[2].value_or(""), "123.abc");
}

TEST(Calls, EndMeasuredIsOneCallWithTheFiles) {
  auto c =
      end_measured_call("0b5e2c1d-0000-0000-0000-000000000000", {{"src/a.ts", 3, 1}, {"b \"q\".txt", 0, 0}});
  EXPECT_EQ(api_calls(c.sql, {"end_session"}), 1);
  EXPECT_EQ(api_calls(c.sql, {"record_file"}), 0);
  EXPECT_TRUE(contains(c.sql, "aidis.end_session($1::text, files => $2::jsonb)"));
  ASSERT_EQ(c.params.size(), 2u);
  EXPECT_EQ(c.params[1].value_or(""),
            R"([{"added":3,"path":"src/a.ts","removed":1},{"added":0,"path":"b \"q\".txt","removed":0}])");
  auto none = end_measured_call("x", {});
  EXPECT_EQ(none.params[1].value_or(""), "[]");
}

TEST(Calls, MeasureInfoIsTheDetails) {
  auto c = measure_info_call(std::nullopt);
  EXPECT_EQ(c.sql, "SELECT aidis.session_details($1::text)::text");
}

TEST(Calls, SessionRowsComeAsCards) {
  // The row and what the client shows with it (project name, resumed) come
  // from aidis.session_card(), not from a query of the binary's own.
  for (Command cmd : {Command::SessionStart, Command::SessionEnd, Command::SessionRate}) {
    auto c = build_call(with(cmd));
    EXPECT_TRUE(contains(c.sql, "aidis.session_card(s)")) << c.sql;
    EXPECT_FALSE(contains(c.sql, "aidis.projects")) << c.sql;
    EXPECT_FALSE(contains(c.sql, "created_at")) << c.sql;
  }
}

TEST(Numstat, ParsesNulTerminatedRecords) {
  const char nul = '\0';
  std::string out = std::string("3\t1\tsrc/a.ts") + nul + "-\t-\timg.png" + nul +
                    "0\t12\tdir/with space\tand tab.txt" + nul;
  auto files = parse_numstat_z(out);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "src/a.ts");
  EXPECT_EQ(files[0].added, 3);
  EXPECT_EQ(files[0].removed, 1);
  EXPECT_EQ(files[1].path, "img.png");  // binary: 0/0
  EXPECT_EQ(files[1].added, 0);
  EXPECT_EQ(files[2].path, "dir/with space\tand tab.txt");
  EXPECT_EQ(files[2].removed, 12);
  EXPECT_TRUE(parse_numstat_z("").empty());
}

TEST(Numstat, RejectsGarbage) {
  EXPECT_THROW(parse_numstat_z("3\t1\tno-nul"), std::runtime_error);
  EXPECT_THROW(parse_numstat_z(std::string("x\t1\ta\0", 6)), std::runtime_error);
  EXPECT_THROW(parse_numstat_z(std::string("3\t1\0", 4)), std::runtime_error);
  EXPECT_THROW(parse_numstat_z(std::string("-3\t1\ta\0", 7)), std::runtime_error);
}

TEST(PgArrays, QuotesEverything) {
  EXPECT_EQ(pg_text_array({}), "{}");
  EXPECT_EQ(pg_text_array({"a", "NULL", "x,y", "q\"uote", "back\\slash", "{}", ""}),
            R"({"a","NULL","x,y","q\"uote","back\\slash","{}",""})");
  EXPECT_EQ(pg_bigint_array({}), "{}");
  EXPECT_EQ(pg_bigint_array({1, 0, 123456789012}), "{1,0,123456789012}");
}

TEST(JsonReindent, KeepsValuesExactly) {
  EXPECT_EQ(json_reindent(R"({"a": 1.50, "b": [1, 2], "c": {}, "d": [], "e": "x, y: {z}"})"),
            "{\n  \"a\": 1.50,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {},\n  \"d\": [],\n  \"e\": \"x, "
            "y: {z}\"\n}");
  EXPECT_EQ(json_reindent(R"("esc \" , [")"), R"("esc \" , [")");
  EXPECT_EQ(json_reindent("null"), "null");
  EXPECT_EQ(json_reindent("[]"), "[]");
  EXPECT_EQ(json_reindent(R"([{"n": 12345678901234567890.123}])"),
            "[\n  {\n    \"n\": 12345678901234567890.123\n  }\n]");
  EXPECT_EQ(json_reindent(R"({"a": [ ]})", 4), "{\n    \"a\": []\n}");
}

TEST(Calls, ExportStreamsOneCallImportIsPerDocument) {
  auto o = with(Command::SessionsExport);
  o.transfer.status = "inactive";
  o.transfer.since = "2026-01-01";
  auto c = build_call(o);
  EXPECT_TRUE(contains(c.sql, "SELECT aidis.export_sessions(")) << "in the SELECT list, so rows stream";
  EXPECT_FALSE(contains(c.sql, " FROM "));
  EXPECT_EQ(c.params,
            (std::vector<std::optional<std::string>>{std::nullopt, "inactive", std::nullopt, "2026-01-01"}));
  EXPECT_THROW(build_call(with(Command::SessionsImport)), std::logic_error);
  auto i = import_call(R"({"format":"aidis-session"})");
  EXPECT_TRUE(contains(i.sql, "aidis.session_import($1::jsonb)"));
  EXPECT_EQ(i.params.size(), 1u);
}
