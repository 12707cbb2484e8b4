#include "common/eventstore/event_store.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/util/time_util.h"

namespace bdtx::eventstore {

absl::StatusOr<AppendResult> EventStore::Append(AppendRequest request) {
  absl::StatusOr<AppendResult> result;
  absl::Notification done;
  AppendAsync(std::move(request), [&](absl::StatusOr<AppendResult> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

absl::StatusOr<std::vector<EventEnvelope>> EventStore::ReadAll(int64_t from_position, int limit) {
  std::vector<EventEnvelope> out;
  absl::StatusOr<int64_t> n = ScanAll(from_position, limit, [&](const EventEnvelope& event) {
    out.push_back(event);
    return true;
  });
  if (!n.ok()) return n.status();
  return out;
}

absl::Status ValidateStreamName(absl::string_view stream, const EventStoreOptions& options) {
  if (stream.empty()) return absl::InvalidArgumentError("stream name is empty");
  if (stream.size() > options.max_stream_name_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream name is ", stream.size(), " bytes; the limit is ", options.max_stream_name_bytes));
  }
  if (stream.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("stream name contains a NUL byte");
  }
  return absl::OkStatus();
}

absl::Status ValidateAppendRequest(const AppendRequest& request, const EventStoreOptions& options) {
  if (absl::Status s = ValidateStreamName(request.stream, options); !s.ok()) return s;
  if (request.expected_version < kAnyVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected_version ", request.expected_version,
                     " is negative; use -1 (any version), 0 (new stream) or the "
                     "stream's current version"));
  }
  if (request.events.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("append to ", request.stream, " has no events"));
  }
  if (request.events.size() > options.max_events_per_append) {
    return absl::InvalidArgumentError(absl::StrCat("append to ", request.stream, " has ",
                                                   request.events.size(), " events; the limit is ",
                                                   options.max_events_per_append));
  }
  if (request.request_id.size() > options.max_request_id_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("request_id is ", request.request_id.size(),
                                                   " bytes; the limit is ",
                                                   options.max_request_id_bytes));
  }
  for (size_t i = 0; i < request.events.size(); ++i) {
    const size_t bytes = request.events[i].ByteSizeLong();
    if (bytes > options.max_event_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("event ", i, " of the append to ", request.stream, " is ", bytes,
                       " bytes; the limit is ", options.max_event_bytes));
    }
    if (request.events[i].payload().type_url().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("event ", i, " of the append to ", request.stream, " has no payload type"));
    }
  }
  for (const ReadModelWrite& write : request.read_model_writes) {
    if (write.key.empty() || write.key.size() > options.max_read_model_key_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("read-model key must be 1..",
                                                     options.max_read_model_key_bytes,
                                                     " bytes, got ", write.key.size()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateLimit(int limit) {
  if (limit <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be positive, got ", limit));
  }
  return absl::OkStatus();
}

absl::Status CheckExpectedVersion(absl::string_view stream, int64_t expected, int64_t actual) {
  if (expected == kAnyVersion || expected == actual) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat("luồng ", stream, " đang ở phiên bản ", actual,
                                         ", lệnh mong đợi phiên bản ", expected,
                                         "; hãy tải lại rồi thử lại"));
}

absl::StatusOr<AppendResult> ReplayResult(const AppendRequest& request, AppendResult first) {
  if (first.stream != request.stream) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id ", request.request_id, " đã được dùng cho luồng ", first.stream,
                     "; hãy dùng request_id mới cho ", request.stream));
  }
  first.replayed = true;
  return first;
}

EventEnvelope MakeEvent(const google::protobuf::Message& payload, absl::string_view actor,
                        absl::Time time, int32_t schema_version) {
  EventEnvelope event;
  event.mutable_payload()->PackFrom(payload);
  event.set_schema_version(schema_version);
  *event.mutable_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
  event.set_actor(std::string(actor));
  return event;
}

}  // namespace bdtx::eventstore
