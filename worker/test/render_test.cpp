// Human output: small formatters, timeline buckets and sparklines, colors and
// NO_COLOR, and the reports drawn from API-shaped JSON.
#include <gtest/gtest.h>

#include "render.hpp"
#include "render_util.hpp"

using namespace aidis;

namespace {

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

std::string dots(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "·";
  return s;
}

bool has_escape(const std::string& s) { return contains(s, "\x1b["); }

// Every line of a box starts with a border character.
void expect_box(const std::string& out) {
  size_t pos = 0;
  int lines = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    std::string line = out.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("Details:", 0) == 0 || line.rfind("Timeline:", 0) == 0) continue;
    ++lines;
    EXPECT_TRUE(line.rfind("╔", 0) == 0 || line.rfind("║", 0) == 0 || line.rfind("╠", 0) == 0 ||
                line.rfind("╚", 0) == 0)
        << "line: " << line;
  }
  EXPECT_GT(lines, 4);
  EXPECT_EQ(out.rfind("╔", 0), 0u);
}

Json details() {
  return Json::parse(R"({
      "id": "c0a89afa-9ffd-4dc5-aa71-293e2c44a28e", "display_id": "SES-2026-0042", "title": "Cart rounding",
      "status": "active", "end_reason": null, "project_name": "shop", "project_status": "active",
      "agent": "claude-code", "ai_model": null, "goal": null, "description": "Fix it",
      "notes": "line one\nline two", "tags": ["backend", "cart"],
      "started_at": "2026-03-02T14:00:03.051234+00:00", "ended_at": null,
      "last_activity_at": "2026-03-02T16:03:00+00:00",
      "wall_seconds": 7380, "active_seconds": 3600,
      "tasks_created": 5, "tasks_completed": 3, "tasks_reopened": 1, "contexts_created": 12,
      "decisions_created": 2, "activity_count": 40, "input_tokens": 1200, "output_tokens": 340,
      "cache_read_tokens": 0, "cache_creation_tokens": 0, "estimated_tokens": 9001,
      "loc_added": 120, "loc_removed": 30, "files_touched": 2, "rating": 4, "rating_note": "solid",
      "score": 72.5, "score_label": "Good session", "score_source": "live",
      "score_breakdown": {"score": 72.5, "version": "2026.1", "signals": {
         "goal_set": {"why": "no goal", "value": 0.0, "weight": 10, "applies": true, "contribution": 0.0},
         "first_time_right": {"why": "2 of 3", "value": 0.66, "weight": 25, "applies": true, "contribution": 16.7},
         "error_contexts": {"why": "no contexts", "value": 1.0, "weight": 10, "applies": false, "contribution": 0}}},
      "top_files": [{"path": "src/cart.ts", "mentions": 3, "modifications": 2, "loc_added": 100, "loc_removed": 20}]
    })");
}

}  // namespace

TEST(Color, NoColorAndTty) {
  EXPECT_TRUE(want_color(ColorMode::Auto, true, nullptr, "xterm"));
  EXPECT_FALSE(want_color(ColorMode::Auto, false, nullptr, "xterm"));  // not a terminal
  EXPECT_FALSE(want_color(ColorMode::Auto, true, "1", "xterm"));       // NO_COLOR set
  EXPECT_TRUE(want_color(ColorMode::Auto, true, "", "xterm"));         // NO_COLOR empty: ignored
  EXPECT_FALSE(want_color(ColorMode::Auto, true, nullptr, "dumb"));
  EXPECT_TRUE(want_color(ColorMode::Always, false, "1", nullptr));  // explicit flag wins
  EXPECT_FALSE(want_color(ColorMode::Never, true, nullptr, "xterm"));
}

TEST(Color, StyleIsPlainWhenDisabled) {
  Style off{false}, on{true};
  EXPECT_EQ(off.bold("x"), "x");
  EXPECT_EQ(off.red("x"), "x");
  EXPECT_EQ(on.green("x"), "\x1b[32mx\x1b[0m");
  EXPECT_EQ(on.bold(""), "");
  EXPECT_FALSE(has_escape(render_details(details(), off)));
  EXPECT_TRUE(has_escape(render_details(details(), on)));
  EXPECT_FALSE(has_escape(render_status(details(), off)));
}

TEST(Timestamps, Parse) {
  auto t = parse_timestamp("2026-03-02T14:00:03.5+00:00");
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->epoch, 1772460003.5);
  EXPECT_EQ(t->offset_minutes, 0);
  EXPECT_EQ(t->date, "2026-03-02");
  EXPECT_EQ(t->time, "14:00:03");
  auto ist = parse_timestamp("2026-03-02T19:30:03+05:30");
  ASSERT_TRUE(ist);
  EXPECT_DOUBLE_EQ(ist->epoch, 1772460003);
  EXPECT_EQ(ist->offset_minutes, 330);
  auto west = parse_timestamp("2026-03-02T09:00:03-05");
  ASSERT_TRUE(west);
  EXPECT_DOUBLE_EQ(west->epoch, 1772460003);
  EXPECT_TRUE(parse_timestamp("1969-12-31T23:59:59Z"));
  EXPECT_DOUBLE_EQ(parse_timestamp("1969-12-31T23:59:59Z")->epoch, -1);
  EXPECT_FALSE(parse_timestamp("infinity"));
  EXPECT_FALSE(parse_timestamp("2026-13-02T14:00:03+00:00"));
  EXPECT_FALSE(parse_timestamp("2026-03-02T14:00:03+00:00 junk"));
}

TEST(Timestamps, Format) {
  EXPECT_EQ(format_timestamp("2026-03-02T14:00:03.051234+00:00"), "2026-03-02 14:00:03 UTC");
  EXPECT_EQ(format_timestamp("2026-03-02T19:30:03+05:30"), "2026-03-02 19:30:03 +05:30");
  EXPECT_EQ(format_timestamp("2026-03-02T09:00:03-05:00"), "2026-03-02 09:00:03 -05:00");
  EXPECT_EQ(format_timestamp(""), "—");
  EXPECT_EQ(format_timestamp("infinity"), "infinity");
  EXPECT_EQ(format_timestamp_short("2026-03-02T14:00:03+00:00"), "2026-03-02 14:00");
}

TEST(Durations, Human) {
  EXPECT_EQ(human_duration(-5), "0s");
  EXPECT_EQ(human_duration(0), "0s");
  EXPECT_EQ(human_duration(0.9), "0s");
  EXPECT_EQ(human_duration(45), "45s");
  EXPECT_EQ(human_duration(60), "1m 00s");
  EXPECT_EQ(human_duration(725), "12m 05s");
  EXPECT_EQ(human_duration(3600), "1h 00m");
  EXPECT_EQ(human_duration(7380), "2h 03m");
  EXPECT_EQ(human_duration(86400 * 3 + 4 * 3600 + 59), "3d 04h");
}

TEST(Numbers, CountsAndStars) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_count(-1234), "-1,234");
  EXPECT_EQ(stars(4), "★★★★☆");
  EXPECT_EQ(stars(0), "");
  EXPECT_EQ(stars(6), "");
}

TEST(Reports, ScoreShowsTheDatabasesLabel) {
  using render_detail::score_text;
  Style off{false};
  EXPECT_EQ(score_text(Json{{"score", 91.0}, {"score_label", "Excellent session"}}, off),
            "91.0/100 Excellent session");
  // No label given (a document of an older release): the number alone.
  EXPECT_EQ(score_text(Json{{"score", 91.0}}, off), "91.0/100");
  EXPECT_EQ(score_text(Json::object(), off), "not scored yet");
}

TEST(Text, WidthTruncatePad) {
  EXPECT_EQ(display_width("abc"), 3);
  EXPECT_EQ(display_width("★★☆"), 3);
  EXPECT_EQ(display_width("日本"), 4);
  EXPECT_EQ(display_width("e\xcc\x81"), 1);  // e + combining acute
  EXPECT_EQ(display_width("\x1b[32mok\x1b[0m"), 2);
  EXPECT_EQ(truncate_text("hello world", 8), "hello w…");
  EXPECT_EQ(truncate_text("hello", 5), "hello");
  EXPECT_EQ(truncate_text("日本語テキスト", 5), "日本…");
  EXPECT_EQ(pad("ab", 4), "ab  ");
  EXPECT_EQ(pad("ab", 4, true), "  ab");
  EXPECT_EQ(pad("abcdef", 4), "abcdef");
}

TEST(Text, Wrap) {
  EXPECT_TRUE(wrap_text("", 10).empty());
  EXPECT_TRUE(wrap_text("  \n", 10).empty());
  EXPECT_EQ(wrap_text("one two three four", 9), (std::vector<std::string>{"one two", "three", "four"}));
  EXPECT_EQ(wrap_text("a\n\nb", 9), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(wrap_text("averyveryverylongword x", 5),
            (std::vector<std::string>{"averyveryverylongword", "x"}));
}

TEST(Table, AlignsWithoutTrailingSpaces) {
  std::string t =
      format_table({"ID", "N", "TITLE"}, {{"a", "1", "x"}, {"bbb", "22", ""}}, {false, true, false});
  EXPECT_EQ(t,
            "ID    N  TITLE\n"
            "a     1  x\n"
            "bbb  22\n");
  // Colored cells align by their visible width.
  Style on{true};
  std::string c = format_table({"S", "X"}, {{on.green("ok"), "1"}, {"fail", "2"}});
  EXPECT_TRUE(contains(c, on.green("ok") + "    1\n"));
}

TEST(Buckets, ChoosesRoundWidthsAndAligns) {
  // Three events within 10 minutes: 1-minute buckets from 14:00.
  double t0 = 1772460000;  // 2026-03-02 14:00:00 UTC
  Buckets b = bucketize({t0 + 5, t0 + 65, t0 + 599}, 60);
  EXPECT_EQ(b.width, 60);
  EXPECT_EQ(b.start, t0);
  EXPECT_EQ(b.counts, (std::vector<int>{1, 1, 0, 0, 0, 0, 0, 0, 0, 1}));

  // Five hours with at most 12 buckets: 30-minute buckets.
  Buckets h = bucketize({t0, t0 + 5 * 3600}, 12);
  EXPECT_EQ(h.width, 1800);
  EXPECT_EQ(h.counts.size(), 11u);
  EXPECT_EQ(h.counts.front(), 1);
  EXPECT_EQ(h.counts.back(), 1);

  // Aligned in local time: +05:30 puts hour boundaries at :30 UTC.
  Buckets ist = bucketize({t0 + 100, t0 + 2 * 3600}, 4, 330);
  EXPECT_EQ(ist.width, 3600);
  EXPECT_EQ(ist.start, t0 - 1800);

  // One event, and none.
  Buckets one = bucketize({t0 + 30}, 60);
  EXPECT_EQ(one.counts, std::vector<int>{1});
  EXPECT_TRUE(bucketize({}, 60).counts.empty());

  // Years of events still fit.
  Buckets far = bucketize({t0, t0 + 40.0 * 365 * 86400}, 60);
  EXPECT_LE(far.counts.size(), 60u);

  // Another category counted in the same buckets.
  EXPECT_EQ(count_in(b, {t0 + 590}), (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(Sparkline, ScalesToPeak) {
  EXPECT_EQ(sparkline({0, 1, 4, 8}, 8), "·▁▄█");
  EXPECT_EQ(sparkline({1, 1}, 1), "██");
  EXPECT_EQ(sparkline({1}, 100), "▁");  // any event is visible
  EXPECT_EQ(sparkline({}, 5), "");
  EXPECT_EQ(sparkline({3}, 0), "·");
}

TEST(Reports, StatusBox) {
  std::string out = render_status(details(), Style{false});
  expect_box(out);
  EXPECT_TRUE(contains(out, "SES-2026-0042 · ACTIVE"));
  EXPECT_TRUE(contains(out, "Cart rounding"));
  EXPECT_TRUE(contains(out, "Project:   shop"));
  EXPECT_TRUE(contains(out, "Started:   2026-03-02 14:00:03 UTC (2h 03m ago)"));
  EXPECT_TRUE(contains(out, "Goal: not set - use: aidis session goal \"<text>\""));
  EXPECT_TRUE(contains(out, "Tasks:      3/5 completed (1 reopened)"));
  EXPECT_TRUE(contains(out, "Code:       +120 / -30 lines (net +90), 2 files"));
  EXPECT_TRUE(contains(out, "1,200 in / 340 out"));
  EXPECT_TRUE(contains(out, "Score:      72.5/100 Good session (live)"));
  EXPECT_TRUE(contains(out, "Tags: backend, cart"));
}

TEST(Reports, Details) {
  std::string out = render_details(details(), Style{false});
  expect_box(out);
  EXPECT_TRUE(contains(out, "Duration:  2h 03m wall, 1h 00m active"));
  EXPECT_TRUE(contains(out, "Ended:     — (active)"));
  // Signals heaviest first; signals that do not apply say so.
  auto ftr = out.find("first_time_right");
  auto goal = out.find("goal_set");
  ASSERT_NE(ftr, std::string::npos);
  ASSERT_NE(goal, std::string::npos);
  EXPECT_LT(ftr, goal);
  EXPECT_TRUE(contains(out, "first_time_right   16.7  2 of 3"));
  EXPECT_TRUE(contains(out, "error_contexts      n/a  no contexts"));
  EXPECT_TRUE(contains(out, "Rating: ★★★★☆ 4/5 - solid"));
  EXPECT_TRUE(contains(out, "• src/cart.ts (2× modified, 3× @mentioned, +100/-20)"));
  EXPECT_TRUE(contains(out, "║ Notes:\n║   line one\n║   line two\n"));
  EXPECT_TRUE(contains(out, "Timeline: aidis session SES-2026-0042 timeline"));
}

TEST(Reports, DetailsOfAnEndedSession) {
  Json d = details();
  d["status"] = "inactive";
  d["end_reason"] = "timeout";
  d["ended_at"] = "2026-03-02T16:03:00+00:00";
  d["rating"] = nullptr;
  d["score"] = nullptr;
  d.erase("score_breakdown");
  std::string out = render_details(d, Style{false});
  EXPECT_TRUE(contains(out, "SES-2026-0042 · INACTIVE (timeout)"));
  EXPECT_TRUE(contains(out, "Ended:     2026-03-02 16:03:00 UTC"));
  EXPECT_TRUE(contains(out, "Score: not scored yet"));
  EXPECT_TRUE(contains(out, "Rating: not rated"));
}

TEST(Reports, StartedAndEnded) {
  Json row = details();
  row["project_name"] = "shop";
  row["resumed"] = true;
  std::string s = render_started(row, Style{false});
  EXPECT_TRUE(contains(s, "Resumed session SES-2026-0042 on project shop (agent claude-code)"));
  EXPECT_TRUE(contains(s, "Title: Cart rounding"));
  row["resumed"] = false;
  EXPECT_TRUE(contains(render_started(row, Style{false}), "Started session"));

  row["status"] = "inactive";
  row["end_reason"] = "ended";
  row["ended_at"] = "2026-03-02T15:30:04+00:00";
  row["wall_seconds"] = 5401;
  std::string e = render_ended(row, Measured{"0123456789abcdef", 3, 10, 2}, Style{false});
  expect_box(e);
  EXPECT_TRUE(contains(e, "SESSION SUMMARY · SES-2026-0042"));
  EXPECT_TRUE(contains(e, "Duration:  1h 30m (2026-03-02 14:00:03 UTC to 2026-03-02 15:30:04 UTC)"));
  EXPECT_TRUE(contains(e, "git diff 0123456789ab: 3 files, +10 / -2 lines, recorded"));
  EXPECT_TRUE(contains(e, "Score:      72.5/100 Good session (live)"));
  EXPECT_FALSE(contains(render_ended(row, std::nullopt, Style{false}), "git diff"));
}

TEST(Reports, Updated) {
  Json row = details();
  Style off{false};
  EXPECT_EQ(render_updated(Command::SessionTag, row, off), "Tags of SES-2026-0042: backend, cart\n");
  EXPECT_EQ(render_updated(Command::SessionGoal, row, off), "Goal of SES-2026-0042: (none)\n");
  EXPECT_EQ(render_updated(Command::SessionRename, row, off), "Title of SES-2026-0042: Cart rounding\n");
  EXPECT_EQ(render_updated(Command::SessionNote, row, off),
            "Notes of SES-2026-0042:\n  line one\n  line two\n");
  std::string edit = render_updated(Command::SessionEdit, row, off);
  EXPECT_TRUE(contains(edit, "Description:  Fix it"));
  EXPECT_TRUE(contains(edit, "Model:        (none)"));
  EXPECT_EQ(render_rated(row, off), "Rated SES-2026-0042 ★★★★☆ 4/5 - solid\n");
}

TEST(Reports, Reassign) {
  Json answer = {
      {"status", "confirmation_required"}, {"warning", "Session X will move."}, {"confirm", "1.ab"}};
  EXPECT_EQ(render_reassign_warning(answer, Style{false}), "Warning:\n  Session X will move.\n");
  Json done = Json::parse(R"({"status":"reassigned","display_id":"SES-2026-0042","from_project":"shop",
        "to_project":"docs","moved":{"contexts":1,"tasks":2,"decisions":0,"timeline_events":9,"files":1}})");
  EXPECT_EQ(render_reassigned(done, Style{false}),
            "Moved SES-2026-0042 from project shop to docs: 1 context, 2 tasks, 0 decisions, 9 timeline "
            "events, 1 file\n");
}

TEST(Reports, DeleteAndCompact) {
  Json done = Json::parse(R"({"status":"deleted","display_id":"SES-2026-0040","to_display_id":"SES-2026-0042",
        "moved":{"contexts":1,"tasks":0,"decisions":2,"timeline_events":5,"files":0}})");
  EXPECT_EQ(render_deleted(done, Style{false}),
            "Deleted SES-2026-0040; its work moved to SES-2026-0042: 1 context, 0 tasks, 2 decisions, "
            "5 timeline events, 0 files\n");
  Json report = Json::parse(R"({"older_than":"1 year","sessions":3,"events_removed":117,"summaries":9})");
  EXPECT_EQ(render_compacted(report, Style{false}),
            "Compacted 3 sessions older than 1 year: 126 events folded into 9 summaries\n");
  EXPECT_EQ(render_compacted(Json::parse(R"({"older_than":"infinity","sessions":0})"), Style{false}),
            "Nothing compacted: aidis.session_retention is 'infinity' (keep everything).\n");
}

TEST(Reports, List) {
  Json rows = Json::array({details()});
  rows[0]["ended_at"] = "2026-03-02T16:03:04+00:00";
  rows[0]["status"] = "inactive";
  rows[0]["end_reason"] = "timeout";
  std::string out = render_list(rows, 50, 0, Style{false});
  EXPECT_TRUE(contains(out, "ID             STARTED           DURATION  STATUS"));
  EXPECT_TRUE(contains(out, "SES-2026-0042  2026-03-02 14:00    2h 03m  timeout"));
  EXPECT_TRUE(contains(out, "3/5"));
  EXPECT_TRUE(contains(out, "★★★★☆"));
  EXPECT_TRUE(contains(out, "\n1 session\n"));
  EXPECT_TRUE(contains(render_list(rows, 1, 0, Style{false}), "1 session; more with --offset 1"));
  EXPECT_EQ(render_list(Json::array(), 50, 0, Style{false}), "No sessions.\n");
  EXPECT_EQ(render_list(Json::array(), 50, 10, Style{false}), "No sessions after the first 10.\n");
}

TEST(Reports, Timeline) {
  Json events = Json::parse(R"([
      {"id": 1, "occurred_at": "2026-03-02T14:00:00+00:00", "kind": "session_started", "summary": "session started"},
      {"id": 2, "occurred_at": "2026-03-02T14:01:10+00:00", "kind": "context_added", "summary": "Checkout fails"},
      {"id": 3, "occurred_at": "2026-03-02T14:01:20+00:00", "kind": "task_created", "summary": "Fix rounding"},
      {"id": 4, "occurred_at": "2026-03-02T14:04:00+00:00", "kind": "task_completed", "summary": "Fix rounding"},
      {"id": 5, "occurred_at": "2026-03-03T00:10:00+00:00", "kind": "session_ended", "summary": "session ended"}
    ])");
  Json session = {{"display_id", "SES-2026-0042"}, {"title", "Cart rounding"}};
  std::string out = render_timeline(events, session, 500, Style{false});
  EXPECT_TRUE(contains(out, "Timeline of SES-2026-0042 · Cart rounding\n"));
  EXPECT_TRUE(contains(out, "5 events from 2026-03-02 14:00:00 UTC to 2026-03-03 00:10:00 UTC (10h 10m)"));
  // 10h10m in at most 60 columns: 15-minute buckets from 14:00, 41 of them.
  EXPECT_TRUE(contains(out, "one column = 15m, from 14:00 (peak 4 per column)"));
  EXPECT_TRUE(contains(out, "  all        █" + dots(39) + "▂  5\n"));
  EXPECT_TRUE(contains(out, "  tasks      ▄"));
  EXPECT_TRUE(contains(out, "  contexts   ▂"));
  // The date is shown on the first event of each day.
  EXPECT_TRUE(contains(out, " 1  2026-03-02  14:00:00  session_started"));
  EXPECT_TRUE(contains(out, " 2              14:01:10  context_added"));
  EXPECT_TRUE(contains(out, " 5  2026-03-03  00:10:00  session_ended"));
  EXPECT_FALSE(contains(out, "More:"));
  EXPECT_TRUE(contains(render_timeline(events, session, 5, Style{false}), "More: --after 5"));
  EXPECT_TRUE(contains(render_timeline(Json::array(), session, 500, Style{false}), "No events."));
  // The axis names where the first column starts (aligned), not the first event.
  Json late = Json::parse(R"([
      {"id": 1, "occurred_at": "2026-03-02T14:07:00+00:00", "kind": "session_started", "summary": "s"},
      {"id": 2, "occurred_at": "2026-03-02T17:00:00+00:00", "kind": "session_ended", "summary": "e"}])");
  EXPECT_TRUE(contains(render_timeline(late, session, 500, Style{false}), "one column = 5m, from 14:05"));
  Json days = Json::parse(R"([
      {"id": 1, "occurred_at": "2026-03-02T14:07:00+05:30", "kind": "session_started", "summary": "s"},
      {"id": 2, "occurred_at": "2026-04-20T10:00:00+05:30", "kind": "session_ended", "summary": "e"}])");
  EXPECT_TRUE(
      contains(render_timeline(days, session, 500, Style{false}), "one column = 1d, from 2026-03-02"));
}

TEST(Reports, Stats) {
  Json s = Json::parse(
      R"({"period": "week", "since": "2026-02-23T14:00:00+00:00", "until": "2026-03-02T14:00:00+00:00",
      "project": null, "sessions": 4, "active_sessions": 1, "rated_sessions": 2, "total_wall_seconds": 36000,
      "total_active_seconds": 18000, "avg_wall_seconds": 9000, "avg_active_seconds": 4500, "tasks_created": 10,
      "tasks_completed": 7, "tasks_reopened": 1, "completion_rate": 0.7, "decisions_created": 3,
      "contexts_created": 20, "loc_added": 500, "loc_removed": 100, "net_loc": 400, "avg_score": 66.6,
      "avg_rating": 4.5, "input_tokens": 1000, "output_tokens": 200,
      "most_productive_weekday": {"weekday": "Tuesday", "isodow": 2, "sessions": 2, "tasks_completed": 5},
      "most_used_model": {"model": "claude-sonnet-4-5", "sessions": 3},
      "top_tags": [{"tag": "backend", "sessions": 3}, {"tag": "ui", "sessions": 1}]})");
  std::string out = render_stats(s, Style{false});
  expect_box(out);
  EXPECT_TRUE(contains(out, "SESSION STATISTICS - WEEK"));
  EXPECT_TRUE(contains(out, "Total sessions:     4 (1 active, 2 rated)"));
  EXPECT_TRUE(contains(out, "Total time:         10h 00m wall, 5h 00m active"));
  EXPECT_TRUE(contains(out, "Completion rate: 70.0%"));
  EXPECT_TRUE(contains(out, "Net change:      +400"));
  EXPECT_TRUE(contains(out, "Most productive: Tuesday (5 tasks completed in 2 sessions)"));
  EXPECT_TRUE(contains(out, "Preferred model: claude-sonnet-4-5 (3 sessions)"));
  EXPECT_TRUE(contains(out, "Top tags:        backend (3), ui (1)"));

  Json empty = {
      {"period", "day"}, {"sessions", 0}, {"completion_rate", nullptr}, {"top_tags", Json::array()}};
  std::string e = render_stats(empty, Style{false});
  EXPECT_TRUE(contains(e, "Completion rate: —"));
  EXPECT_TRUE(contains(e, "Top tags:        —"));
}

TEST(Reports, Compare) {
  Json a = details(), b = details();
  b["display_id"] = "SES-2026-0043";
  b["tasks_completed"] = 5;
  b["score"] = 60.0;
  Json cmp = {{"a", a},
              {"b", b},
              {"delta", {{"tasks_completed", 2}, {"score", -12.5}, {"wall_seconds", 0}, {"rating", nullptr}}},
              {"signals", {{"goal_set", {{"a", 0.0}, {"b", 10.0}, {"delta", 10.0}}}}}};
  std::string out = render_compare(cmp, Style{false});
  EXPECT_TRUE(contains(out, "A = SES-2026-0042"));
  EXPECT_TRUE(contains(out, "B = SES-2026-0043"));
  EXPECT_TRUE(contains(out, "tasks completed"));
  EXPECT_TRUE(contains(out, "+2\n"));
  EXPECT_TRUE(contains(out, "-12.5\n"));
  EXPECT_TRUE(contains(out, "Score signals"));
  EXPECT_TRUE(contains(out, "+10.0\n"));
}

TEST(Reports, Brief) {
  Json br = Json::parse(R"({
      "session": {"display_id": "SES-2026-0043", "title": "SES-2026-0043", "status": "active", "project_name": "shop",
                  "agent": "claude-code", "goal": "ship", "tasks_created": 1, "tasks_completed": 0,
                  "contexts_created": 2, "decisions_created": 0, "started_at": "2026-03-02T14:00:00+00:00"},
      "previous_session": {"display_id": "SES-2026-0042", "title": "Cart", "status": "inactive", "end_reason": "ended",
                           "wall_seconds": 3600, "tasks_created": 2, "tasks_completed": 2, "tasks_reopened": 0,
                           "contexts_created": 1, "decisions_created": 1, "score": 88.0,
                           "completed_tasks": ["Fix rounding"], "last_contexts": ["Checkout fails"], "notes": null},
      "open_tasks": [{"title": "Write tests", "status": "todo", "priority": "high"}],
      "recent_decisions": []})");
  std::string out = render_brief(br, Style{false});
  EXPECT_TRUE(contains(out, "Brief for SES-2026-0043\n"));
  EXPECT_TRUE(contains(out, "Goal:    ship"));
  EXPECT_TRUE(contains(out, "SES-2026-0042 · Cart · ended · 1h 00m"));
  EXPECT_TRUE(contains(out, "2/2 tasks completed (0 reopened), 1 context, 1 decision, score 88.0"));
  EXPECT_TRUE(contains(out, "    • Fix rounding"));
  EXPECT_TRUE(contains(out, "  • [high  ] Write tests (todo)"));
  EXPECT_TRUE(contains(out, "Recent decisions\n  none\n"));
  br["previous_session"] = nullptr;
  EXPECT_TRUE(contains(render_brief(br, Style{false}), "Previous session\n  none on this project\n"));
}

TEST(Reports, ExportMarkdown) {
  Json doc = Json::parse(R"({"format": "aidis-session", "version": 1,
      "session": {"id": "4af0d7f3-71d7-4892-a05b-94bef5e510a4", "display_id": "SES-2026-0042", "title": "Cart",
                  "status": "inactive", "end_reason": "ended", "agent": "claude-code",
                  "started_at": "2026-03-02T14:00:00+00:00", "ended_at": "2026-03-02T15:30:00+00:00",
                  "tasks_created": 2, "tasks_completed": 1, "contexts_created": 1, "score": 72.5, "rating": 4, "wall_seconds": 5400},
      "project": {"name": "shop"},
      "files": [{"path": "a.txt", "mentions": 1, "modifications": 0},
                {"path": "src/cart.ts", "mentions": 1, "modifications": 3, "loc_added": 12, "loc_removed": 3}],
      "timeline": [{"id": 7, "occurred_at": "2026-03-02T14:00:00+00:00", "kind": "session_started", "summary": "session started"},
                   {"id": 9, "occurred_at": "2026-03-02T15:30:00+00:00", "kind": "session_ended", "summary": "session ended"}],
      "rows": []})");
  std::string out = render_export_md(doc);
  EXPECT_TRUE(contains(out, "## SES-2026-0042 · Cart\n\n```text\n╔")) << out;
  EXPECT_TRUE(contains(out, "║ Project:   shop\n"));
  EXPECT_TRUE(contains(out, "║ Duration:  1h 30m\n"));
  EXPECT_TRUE(contains(out, "1/2 completed (0 reopened)"));
  EXPECT_TRUE(contains(out, "2 files"));
  // Most worked-on file first.
  EXPECT_LT(out.find("• src/cart.ts (3× modified"), out.find("• a.txt"));
  EXPECT_TRUE(contains(out, "2 events from 2026-03-02 14:00:00 UTC to 2026-03-02 15:30:00 UTC (1h 30m)"));
  EXPECT_FALSE(contains(out, "More:")) << "the whole timeline";
  EXPECT_FALSE(contains(out, "\x1b[")) << "no colors in a file";
  EXPECT_TRUE(out.size() > 4 && out.substr(out.size() - 4) == "```\n");
}
