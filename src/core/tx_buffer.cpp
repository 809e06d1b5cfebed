#include "core/tx_buffer.hpp"

#include <algorithm>
#include <iterator>

namespace aidis::core {

void Counters::add(const Counters& other) {
  for (std::size_t i = 0; i < values.size(); ++i) values[i] += other.values[i];
}

TxBuffer::Level& TxBuffer::level_for(int depth) {
  if (levels_.empty() || levels_.back().depth < depth) {
    levels_.emplace_back();
    levels_.back().depth = depth;
  }
  return levels_.back();
}

TxBuffer::Level& TxBuffer::level_at(int depth) {
  auto it =
      std::find_if(levels_.begin(), levels_.end(), [depth](const Level& l) { return l.depth >= depth; });
  if (it == levels_.end() || it->depth != depth) {
    it = levels_.insert(it, Level{});
    it->depth = depth;
  }
  return *it;
}

void TxBuffer::add(int level, const Uuid& session, const Uuid& project, Counter counter, std::int64_t delta) {
  auto& entry = level_for(level).deltas[session];
  entry.project = project;
  entry.counters[counter] += delta;
}

void TxBuffer::add_event(int level, Event event) {
  Level& l = level_for(level);
  l.run.reset();
  l.events.push_back(std::move(event));
}

bool TxBuffer::folds(int level, const Uuid& session, std::string_view kind, std::uint32_t statement) const {
  if (levels_.empty() || levels_.back().depth != level || !levels_.back().run) return false;
  const Run& run = *levels_.back().run;
  return run.statement == statement && run.session == session && run.kind == kind &&
         run.entries >= kEntriesPerStatement;
}

void TxBuffer::add_row_event(int level, Event event, std::uint32_t statement) {
  bool folded = folds(level, event.session, event.kind, statement);
  Level& l = level_for(level);
  if (!folded) {
    if (!l.run || l.run->statement != statement || l.run->session != event.session ||
        l.run->kind != event.kind)
      l.run = Run{event.session, event.kind, statement, 0, SIZE_MAX};
    ++l.run->entries;
    l.events.push_back(std::move(event));
    return;
  }
  Run& run = *l.run;
  if (run.folded_index == SIZE_MAX) {
    event.entity_id.clear();
    event.summary.clear();
    event.folded = true;
    event.rows = 1;
    run.folded_index = l.events.size();
    l.events.push_back(std::move(event));
  } else {
    ++l.events[run.folded_index].rows;
  }
}

void TxBuffer::add_file(int level, FileTouch touch) { level_for(level).files.push_back(std::move(touch)); }

void TxBuffer::merge_into(Level& parent, Level&& child) {
  parent.run.reset();  // a statement's run never continues across levels
  for (auto& [session, entry] : child.deltas) {
    auto& target = parent.deltas[session];
    target.project = entry.project;
    target.counters.add(entry.counters);
  }
  std::move(child.events.begin(), child.events.end(), std::back_inserter(parent.events));
  std::move(child.files.begin(), child.files.end(), std::back_inserter(parent.files));
}

void TxBuffer::commit_subtransaction(int level) {
  // Early writes of this level now belong to its parent: data that came from
  // the parent itself is no longer restored if the parent rolls back.
  for (auto& p : parked_)
    if (p.holder == level) p.holder = level - 1;
  parked_.erase(std::remove_if(parked_.begin(), parked_.end(),
                               [](const Parked& p) { return p.data.depth >= p.holder; }),
                parked_.end());
  if (levels_.empty() || levels_.back().depth != level) return;
  Level child = std::move(levels_.back());
  levels_.pop_back();
  if (!levels_.empty() && levels_.back().depth == level - 1) {
    merge_into(levels_.back(), std::move(child));
  } else {
    child.depth = level - 1;  // the parent had no level of its own yet
    levels_.push_back(std::move(child));
  }
}

void TxBuffer::abort_subtransaction(int level) {
  if (!levels_.empty() && levels_.back().depth == level) levels_.pop_back();
  // Its early writes are rolled back: what they carried for outer levels is
  // pending there again, before anything those levels added since.
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (it->holder != level) {
      ++it;
      continue;
    }
    Level restored = std::move(it->data);
    it = parked_.erase(it);
    Level& target = level_at(restored.depth);
    Level later = std::move(target);
    target = std::move(restored);
    merge_into(target, std::move(later));
  }
}

Drained TxBuffer::drain_at(int level) {
  for (const auto& l : levels_)
    if (l.depth < level) parked_.push_back(Parked{level, l});
  while (levels_.size() > 1) {
    Level child = std::move(levels_.back());
    levels_.pop_back();
    merge_into(levels_.back(), std::move(child));
  }
  if (levels_.empty()) return {};
  Level all = std::move(levels_.back());
  levels_.clear();
  return to_drained(std::move(all));
}

Drained TxBuffer::drain() {
  while (levels_.size() > 1) {
    Level child = std::move(levels_.back());
    levels_.pop_back();
    merge_into(levels_.back(), std::move(child));
  }
  parked_.clear();  // written already, and committing now
  if (levels_.empty()) return {};
  Level top = std::move(levels_.back());
  levels_.clear();
  return to_drained(std::move(top));
}

Drained TxBuffer::to_drained(Level&& top) {
  Drained out;
  out.deltas.reserve(top.deltas.size());
  for (auto& [session, entry] : top.deltas) {
    bool all_zero = std::all_of(entry.counters.values.begin(), entry.counters.values.end(),
                                [](std::int64_t v) { return v == 0; });
    if (!all_zero) out.deltas.push_back({session, entry.project, entry.counters});
  }
  std::sort(out.deltas.begin(), out.deltas.end(),
            [](const SessionDelta& a, const SessionDelta& b) { return a.session < b.session; });
  out.events = std::move(top.events);
  out.files = std::move(top.files);
  return out;
}

}  // namespace aidis::core
