#include "core/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/interrupts.hpp"

namespace aidis::core {

namespace {

double clamp01(double v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }
std::int64_t nonneg(std::int64_t v) { return v < 0 ? 0 : v; }
double round_to(double v, int decimals) {
  double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}
std::string n(std::int64_t v) { return std::to_string(v); }
std::string plural(std::int64_t v, const char* one, const char* many) {
  return n(v) + " " + (v == 1 ? one : many);
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Bytes of the UTF-8 character starting with lead byte c (1 for invalid leads).
std::size_t char_length(unsigned char c) {
  if (c >= 0xF0 && c < 0xF8) return 4;
  if (c >= 0xE0) return c < 0xF0 ? 3 : 1;
  if (c >= 0xC0) return 2;
  return 1;
}

// FNV-1a over the bytes of one trigram (up to three characters).
std::uint64_t key_of(std::string_view trigram) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : trigram) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::vector<std::uint64_t> trigrams(std::string_view text) {
  std::vector<std::uint64_t> out;
  std::vector<std::size_t> starts;  // byte offset of each character of the padded word
  std::string word;
  std::size_t i = 0, next_poll = kPollBytes;
  while (i < text.size()) {
    if (i >= next_poll) {
      poll_interrupts();
      next_poll = i + kPollBytes;
    }
    if (!is_word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    word.assign("  ");
    starts.assign({0, 1});
    while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]))) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      std::size_t len = std::min(char_length(c), text.size() - i);
      starts.push_back(word.size());
      if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
      word.push_back(static_cast<char>(c));
      word.append(text.substr(i + 1, len - 1));
      i += len;
      if (i >= next_poll) {  // one very long word
        poll_interrupts();
        next_poll = i + kPollBytes;
      }
    }
    starts.push_back(word.size());
    word.push_back(' ');
    starts.push_back(word.size());  // end sentinel
    // Padded word of k characters: k - 2 trigrams.
    for (std::size_t c = 0; c + 3 < starts.size(); ++c)
      out.push_back(key_of(std::string_view(word).substr(starts[c], starts[c + 3] - starts[c])));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double similarity(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  if (a.empty() || b.empty()) return 0;
  std::size_t shared = 0;
  auto x = a.begin(), y = b.begin();
  while (x != a.end() && y != b.end()) {
    if (*x < *y) {
      ++x;
    } else if (*y < *x) {
      ++y;
    } else {
      ++shared;
      ++x;
      ++y;
    }
  }
  return static_cast<double>(shared) / static_cast<double>(a.size() + b.size() - shared);
}

double similarity(std::string_view a, std::string_view b) { return similarity(trigrams(a), trigrams(b)); }

std::int64_t count_near_duplicates(const std::vector<std::string>& items, double threshold) {
  // An inverted index from trigram to the earlier items holding it: each item
  // is compared only with the items it shares a trigram with.
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> postings;
  std::vector<std::size_t> sizes;
  std::vector<std::uint32_t> shared;   // trigrams shared with item j, for the current item
  std::vector<std::uint32_t> touched;  // the j with shared[j] > 0
  sizes.reserve(items.size());
  shared.assign(items.size(), 0);
  std::int64_t repeated = 0;
  for (std::uint32_t i = 0; i < items.size(); ++i) {
    poll_interrupts();
    std::vector<std::uint64_t> set = trigrams(items[i]);
    sizes.push_back(set.size());
    touched.clear();
    for (std::uint64_t t : set) {
      auto it = postings.find(t);
      if (it == postings.end()) continue;
      for (std::uint32_t j : it->second)
        if (shared[j]++ == 0) touched.push_back(j);
    }
    bool repeats = false;
    for (std::uint32_t j : touched) {
      double sim = static_cast<double>(shared[j]) / static_cast<double>(set.size() + sizes[j] - shared[j]);
      if (sim >= threshold) repeats = true;
      shared[j] = 0;
    }
    if (repeats) ++repeated;
    for (std::uint64_t t : set) postings[t].push_back(i);
  }
  return repeated;
}

Score compute_score(const ScoreInputs& raw) {
  ScoreInputs in = raw;
  for (std::int64_t* v :
       {&in.tasks_created, &in.tasks_completed, &in.tasks_reopened, &in.completed_tasks, &in.first_time_right,
        &in.items_compared, &in.repeated_items, &in.contexts, &in.error_contexts, &in.activity})
    *v = nonneg(*v);
  in.first_time_right = std::min(in.first_time_right, in.completed_tasks);
  in.repeated_items = std::min(in.repeated_items, in.items_compared);
  in.error_contexts = std::min(in.error_contexts, in.contexts);

  Score score;
  auto add = [&](const char* name, int weight, bool applies, double value, std::string why) {
    Signal s;
    s.name = name;
    s.weight = weight;
    s.applies = applies;
    s.value = applies ? clamp01(value) : 0;
    s.why = std::move(why);
    score.signals.push_back(std::move(s));
  };

  // First-time-right: tasks completed here and never reopened afterwards.
  if (in.completed_tasks > 0)
    add("first_time_right", 25, true,
        static_cast<double>(in.first_time_right) / static_cast<double>(in.completed_tasks),
        n(in.first_time_right) + " of " + plural(in.completed_tasks, "task", "tasks") +
            " completed in this session never reopened");
  else
    add("first_time_right", 25, false, 0, "no task completed in this session: not counted");

  // Completion rate: completions over tasks created.
  if (in.tasks_created > 0)
    add("completion_rate", 20, true,
        static_cast<double>(in.tasks_completed) / static_cast<double>(in.tasks_created),
        plural(in.tasks_completed, "completion", "completions") + " for " +
            plural(in.tasks_created, "task", "tasks") + " created" +
            (in.tasks_completed > in.tasks_created ? " (capped at 100%)" : ""));
  else
    add("completion_rate", 20, false, 0, "no task created in this session: not counted");

  // Reopened tasks: reopenings among completions and reopenings.
  if (in.tasks_completed + in.tasks_reopened > 0)
    add("reopened_tasks", 10, true,
        1.0 - static_cast<double>(in.tasks_reopened) /
                  static_cast<double>(in.tasks_completed + in.tasks_reopened),
        plural(in.tasks_reopened, "task reopened", "tasks reopened") + " against " +
            plural(in.tasks_completed, "completion", "completions"));
  else
    add("reopened_tasks", 10, false, 0, "no task completed or reopened: not counted");

  // Repeated work: items that nearly repeat an earlier item of the same kind.
  if (in.items_compared >= 2)
    add("repeated_work", 15, true,
        1.0 - static_cast<double>(in.repeated_items) / static_cast<double>(in.items_compared),
        n(in.repeated_items) + " of " + n(in.items_compared) +
            " tasks and contexts nearly repeat an earlier one");
  else
    add("repeated_work", 15, false, 0, "fewer than 2 tasks or contexts to compare: not counted");

  // Error contexts.
  if (in.contexts > 0)
    add("error_contexts", 10, true,
        1.0 - static_cast<double>(in.error_contexts) / static_cast<double>(in.contexts),
        n(in.error_contexts) + " of " + plural(in.contexts, "context", "contexts") + " record an error");
  else
    add("error_contexts", 10, false, 0, "no context added: not counted");

  add("goal_set", 10, true, in.goal_set ? 1 : 0, in.goal_set ? "the session has a goal" : "no goal set");

  double activity =
      std::log1p(static_cast<double>(in.activity)) / std::log1p(static_cast<double>(kFullActivity));
  add("activity", 10, true, activity,
      plural(in.activity, "activity", "activities") + " (full at " + n(kFullActivity) + ")");

  double applicable = 0;
  for (const auto& s : score.signals)
    if (s.applies) applicable += s.weight;
  double total = 0;
  for (auto& s : score.signals) {
    double points = s.applies && applicable > 0 ? 100.0 * s.weight * s.value / applicable : 0;
    total += points;
    s.contribution = round_to(points, 2);
    s.value = round_to(s.value, 4);
  }
  score.score = std::clamp(round_to(total, 1), 0.0, 100.0);
  return score;
}

std::string score_json(const Score& score) {
  nlohmann::json signals = nlohmann::json::object();
  for (const auto& s : score.signals)
    signals[s.name] = {{"value", s.value},
                       {"weight", s.weight},
                       {"applies", s.applies},
                       {"contribution", s.contribution},
                       {"why", s.why}};
  nlohmann::json out = {{"score", score.score}, {"version", score.version}, {"signals", signals}};
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace aidis::core
