// Human output of the command line: the status and summary boxes and the reports of docs/cli.md
// drawn from the JSON the SQL API returns. Pure (fmt + nlohmann-json, no
// I/O), unit-tested. Everything shown comes from the server; the only
// arithmetic here is presentation (durations between two timestamps the
// server gave, column widths, time buckets of the timeline).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace aidis {

using Json = nlohmann::json;

// ANSI colors, or plain text when disabled.
struct Style {
  bool color = false;
  std::string bold(std::string_view s) const { return wrap("1", s); }
  std::string dim(std::string_view s) const { return wrap("2", s); }
  std::string red(std::string_view s) const { return wrap("31", s); }
  std::string green(std::string_view s) const { return wrap("32", s); }
  std::string yellow(std::string_view s) const { return wrap("33", s); }
  std::string blue(std::string_view s) const { return wrap("34", s); }
  std::string magenta(std::string_view s) const { return wrap("35", s); }
  std::string cyan(std::string_view s) const { return wrap("36", s); }

 private:
  std::string wrap(std::string_view code, std::string_view s) const;
};

// Color or not: --color=always/never decide; auto means stdout is a terminal,
// NO_COLOR is unset or empty (no-color.org) and TERM is not "dumb".
bool want_color(ColorMode mode, bool stdout_is_tty, const char* no_color, const char* term);

// --- small formatters ---------------------------------------------------------

// A timestamp as PostgreSQL's JSON writes it: 2026-03-02T14:00:03.051234+00:00.
struct Timestamp {
  double epoch = 0;        // seconds since 1970-01-01 UTC
  int offset_minutes = 0;  // the server's TimeZone offset it was written in
  std::string date;        // 2026-03-02 (local to that offset)
  std::string time;        // 14:00:03
};
std::optional<Timestamp> parse_timestamp(std::string_view s);

// "2026-03-02 14:00:03 UTC" / "… +05:30"; the input unchanged if unparsable; "—" for "".
std::string format_timestamp(std::string_view s);
// "2026-03-02 14:00" (no seconds, no zone), for tables.
std::string format_timestamp_short(std::string_view s);

// "0s", "45s", "12m 05s", "2h 03m", "3d 04h". Negative → "0s".
std::string human_duration(double seconds);

// 1234567 → "1,234,567".
std::string format_count(std::int64_t n);

// "★★★★☆" for 4; "" for 0 or out of range.
std::string stars(int n);

// Terminal columns of UTF-8 text: one per code point, two for East Asian
// wide and emoji ranges, none for combining marks; ANSI escapes count 0.
int display_width(std::string_view s);
// Cut to at most `width` columns, ending with "…" when cut.
std::string truncate_text(std::string_view s, int width);
// Pad with spaces on the right (left when `right_align`) to `width` columns.
std::string pad(std::string_view s, int width, bool right_align = false);
// Word-wraps each line of `text` at `width` columns; empty text → {}.
std::vector<std::string> wrap_text(std::string_view text, int width);

// A table: header row plus rows, columns separated by two spaces; the
// columns listed in `right` are right-aligned. No trailing spaces.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right = {});

// --- timeline buckets ---------------------------------------------------------

struct Buckets {
  double start = 0;         // epoch seconds of the first bucket (aligned to `width` in local time)
  double width = 60;        // seconds per bucket
  std::vector<int> counts;  // events per bucket
};
// Chooses the smallest "round" width (1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h,
// 6h, 12h, 1d, 2d, 7d, 30d …) that fits all `times` into at most
// `max_buckets` buckets, aligned to that width in the local time of
// `offset_minutes`. Empty input → no buckets.
Buckets bucketize(const std::vector<double>& times, int max_buckets, int offset_minutes = 0);
// Counts of other `times` in the same buckets as `b` (for one category).
std::vector<int> count_in(const Buckets& b, const std::vector<double>& times);
// One character per bucket: "·" for 0, else ▁▂▃▄▅▆▇█ scaled to `peak`.
std::string sparkline(const std::vector<int>& counts, int peak);

// --- reports (each ends with a newline) -----------------------------------------

// `aidis session` (current): the status box, from session_details.
std::string render_status(const Json& details, const Style& st);
// `aidis session <id>`: the details report, from session_details.
std::string render_details(const Json& details, const Style& st);
// `aidis session start`: start_session's row as session_card() shows it.
std::string render_started(const Json& card, const Style& st);

// What `session end --measure-loc` measured with git.
struct Measured {
  std::string base;  // the commit diffed against ("" = the empty tree)
  int files = 0;
  long long added = 0, removed = 0;
};
// `aidis session end`: the summary box from end_session's row (its session_card()).
std::string render_ended(const Json& card, const std::optional<Measured>& measured, const Style& st);
// goal / tag / note / rename / edit: the fields that command changes.
std::string render_updated(Command cmd, const Json& row, const Style& st);
// `aidis session rate`.
std::string render_rated(const Json& row, const Style& st);
// `aidis session project`: the first answer (warning) and the applied move.
std::string render_reassign_warning(const Json& answer, const Style& st);
std::string render_reassigned(const Json& result, const Style& st);
std::string render_deleted(const Json& result, const Style& st);
std::string render_compacted(const Json& report, const Style& st);
// `aidis sessions list`.
std::string render_list(const Json& rows, int limit, int offset, const Style& st);
// `aidis session <id> timeline`: sparkline per category, then the events.
std::string render_timeline(const Json& events, const Json& session, int limit, const Style& st);
// `aidis sessions stats`.
std::string render_stats(const Json& stats, const Style& st);
// `aidis sessions compare A B`.
std::string render_compare(const Json& cmp, const Style& st);
// `aidis session brief`.
std::string render_brief(const Json& brief, const Style& st);
// `aidis sessions export --format md`: one exported document as a Markdown
// section (summary box, top files, timeline; no colors).
std::string render_export_md(const Json& doc);

}  // namespace aidis
