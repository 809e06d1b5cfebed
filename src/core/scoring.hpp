// The derived session score (rule 10 of docs/design.md, docs/scoring.md): one versioned
// formula over verifiable signals, and the near-duplicate detector that feeds
// its "repeated work" signal. Pure C++: the SQL side gathers the counts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aidis::core {

inline constexpr const char* kScoreVersion = "2026.1";

// Two items of the same kind are near duplicates at or above this similarity.
inline constexpr double kDuplicateThreshold = 0.6;
// At most this many items of one kind (the most recent) are compared.
inline constexpr std::size_t kMaxComparedItems = 200;
// The activity signal is full at this many activities (log scale below it).
inline constexpr std::int64_t kFullActivity = 50;

// Counts gathered by aidis._score_signals(); every one can be recounted from
// the session row and its timeline.
struct ScoreInputs {
  std::int64_t tasks_created = 0;     // session counter (rows attached now)
  std::int64_t tasks_completed = 0;   // session counter (completion events)
  std::int64_t tasks_reopened = 0;    // session counter (completed -> other events)
  std::int64_t completed_tasks = 0;   // distinct tasks completed in this session
  std::int64_t first_time_right = 0;  // ...of which never reopened afterwards (any session)
  std::int64_t items_compared = 0;    // task titles + context summaries compared
  std::int64_t repeated_items = 0;    // ...that nearly repeat an earlier one of the same kind
  std::int64_t contexts = 0;          // contexts added
  std::int64_t error_contexts = 0;    // ...that record an error
  bool goal_set = false;
  std::int64_t activity = 0;  // session counter activity_count
};

struct Signal {
  std::string name;
  double value = 0;         // 0..1, higher is better
  int weight = 0;           // nominal weight (the weights add up to 100)
  bool applies = false;     // false: not measurable for this session, left out
  double contribution = 0;  // points added to the score
  std::string why;          // the counts behind the value, in words
};

struct Score {
  double score = 0;  // 0..100, one decimal
  std::string version = kScoreVersion;
  std::vector<Signal> signals;
};

// Negative counts are treated as zero; rates are clamped to 0..1.
Score compute_score(const ScoreInputs& in);

// {"score":…, "version":…, "signals":{name:{value, weight, applies, contribution, why}}}
std::string score_json(const Score& score);

// pg_trgm's trigrams of a text (see docs/scoring.md): words are runs of
// letters and digits (any non-ASCII character counts as a letter), ASCII is
// lowercased, each word is padded with two spaces before and one after; the
// set is returned sorted and without duplicates, one 64-bit key per trigram.
std::vector<std::uint64_t> trigrams(std::string_view text);

// pg_trgm's similarity: shared trigrams / (trigrams of a + trigrams of b - shared);
// 0 when either text has no trigram.
double similarity(std::string_view a, std::string_view b);
double similarity(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b);

// How many items nearly repeat an earlier item of the list (similarity >= threshold).
std::int64_t count_near_duplicates(const std::vector<std::string>& items,
                                   double threshold = kDuplicateThreshold);

}  // namespace aidis::core
