#include "common/eventstore/memory_event_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bdtx::eventstore {
absl::StatusOr<AppendResult> MemoryEventStore::AppendNow(AppendRequest request) {
  if (absl::Status s = ValidateAppendRequest(request, options_); !s.ok()) return s;
  int64_t last_position;
  AppendResult result;
  {
    absl::MutexLock lock(&mu_);
    if (!request.request_id.empty()) {
      auto it = requests_.find(request.request_id);
      if (it != requests_.end()) return ReplayResult(request, it->second);
    }
    std::vector<int64_t>& positions = streams_[request.stream];
    const int64_t head = static_cast<int64_t>(positions.size());
    if (absl::Status s = CheckExpectedVersion(request.stream, request.expected_version, head);
        !s.ok()) {
      if (head == 0) streams_.erase(request.stream);
      return s;
    }
    result.stream = request.stream;
    result.first_version = head + 1;
    result.first_position = static_cast<int64_t>(all_.size()) + 1;
    for (EventEnvelope& event : request.events) {
      event.set_stream(request.stream);
      event.set_version(static_cast<int64_t>(positions.size()) + 1);
      event.set_position(static_cast<int64_t>(all_.size()) + 1);
      event.set_request_id(request.request_id);
      positions.push_back(event.position());
      all_.push_back(std::move(event));
    }
    result.last_version = static_cast<int64_t>(positions.size());
    result.last_position = static_cast<int64_t>(all_.size());
    if (!request.request_id.empty()) requests_[request.request_id] = result;
    for (ReadModelWrite& write : request.read_model_writes) {
      if (write.value.has_value()) {
        read_model_[write.key] = std::move(*write.value);
      } else {
        read_model_.erase(write.key);
      }
    }
    last_position = result.last_position;
  }
  watch_.Publish(last_position);
  return result;
}

absl::StatusOr<std::vector<EventEnvelope>> MemoryEventStore::ReadStream(absl::string_view stream,
                                                                        int64_t from_version,
                                                                        int limit) {
  if (absl::Status s = ValidateStreamName(stream, options_); !s.ok()) return s;
  if (from_version < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_version must be >= 1, got ", from_version));
  }
  if (absl::Status s = ValidateLimit(limit); !s.ok()) return s;
  std::vector<EventEnvelope> out;
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return out;
  for (int64_t v = from_version;
       v <= static_cast<int64_t>(it->second.size()) && static_cast<int>(out.size()) < limit; ++v) {
    out.push_back(all_[it->second[v - 1] - 1]);
  }
  return out;
}

absl::StatusOr<int64_t> MemoryEventStore::ScanAll(
    int64_t from_position, int limit, absl::FunctionRef<bool(const EventEnvelope&)> visit) {
  if (from_position < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_position must be >= 1, got ", from_position));
  }
  if (absl::Status s = ValidateLimit(limit); !s.ok()) return s;
  // Copy out under the lock, visit outside it (the visitor may call the store).
  std::vector<EventEnvelope> events;
  {
    absl::MutexLock lock(&mu_);
    for (int64_t p = from_position;
         p <= static_cast<int64_t>(all_.size()) && static_cast<int>(events.size()) < limit; ++p) {
      events.push_back(all_[p - 1]);
    }
  }
  int64_t visited = 0;
  for (const EventEnvelope& event : events) {
    ++visited;
    if (!visit(event)) break;
  }
  return visited;
}

absl::StatusOr<int64_t> MemoryEventStore::StreamVersion(absl::string_view stream) {
  if (absl::Status s = ValidateStreamName(stream, options_); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : static_cast<int64_t>(it->second.size());
}

absl::StatusOr<std::optional<std::string>> MemoryEventStore::GetReadModel(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = read_model_.find(key);
  if (it == read_model_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> MemoryEventStore::ScanReadModel(
    absl::string_view prefix, absl::string_view start_after, int limit) {
  if (absl::Status s = ValidateLimit(limit); !s.ok()) return s;
  std::vector<std::pair<std::string, std::string>> out;
  absl::MutexLock lock(&mu_);
  auto it =
      start_after.empty() ? read_model_.lower_bound(prefix) : read_model_.upper_bound(start_after);
  for (; it != read_model_.end() && static_cast<int>(out.size()) < limit; ++it) {
    if (!absl::StartsWith(it->first, prefix)) {
      if (it->first > prefix) break;
      continue;
    }
    out.emplace_back(it->first, it->second);
  }
  return out;
}

}  // namespace bdtx::eventstore
