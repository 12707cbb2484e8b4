// Key and value encodings of RocksDbEventStore (documented in docs/storage.md).
// Internal to common/eventstore.
#ifndef BDTX_COMMON_EVENTSTORE_KEY_CODEC_H_
#define BDTX_COMMON_EVENTSTORE_KEY_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/eventstore/event_store.h"

namespace bdtx::eventstore::keys {

inline const std::string kFormatKey("\0format", 7);
inline constexpr char kPositionPrefix = 'g';   // g<pos:8>            -> event bytes
inline constexpr char kHeadPrefix = 'h';       // h<stream>           -> version:8
inline constexpr char kReadModelPrefix = 'm';  // m<key>              -> caller bytes
inline constexpr char kRequestPrefix = 'r';    // r<request_id>       -> AppendResult
inline constexpr char kStreamPrefix = 's';     // s<stream>\0<ver:8>  -> pos:8

// Big-endian so that byte order equals numeric order.
inline void PutFixed64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

inline std::optional<uint64_t> GetFixed64(absl::string_view in) {
  if (in.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (unsigned char c : in) v = (v << 8) | c;
  return v;
}

inline std::string Fixed64(uint64_t v) {
  std::string out;
  PutFixed64(&out, v);
  return out;
}

inline std::string PositionKey(int64_t position) {
  std::string key(1, kPositionPrefix);
  PutFixed64(&key, static_cast<uint64_t>(position));
  return key;
}

inline std::string HeadKey(absl::string_view stream) {
  std::string key(1, kHeadPrefix);
  key.append(stream.data(), stream.size());
  return key;
}

inline std::string StreamPrefix(absl::string_view stream) {
  std::string key(1, kStreamPrefix);
  key.append(stream.data(), stream.size());
  key.push_back('\0');
  return key;
}

inline std::string StreamKey(absl::string_view stream, int64_t version) {
  std::string key = StreamPrefix(stream);
  PutFixed64(&key, static_cast<uint64_t>(version));
  return key;
}

inline std::string RequestKey(absl::string_view request_id) {
  std::string key(1, kRequestPrefix);
  key.append(request_id.data(), request_id.size());
  return key;
}

inline std::string ReadModelKey(absl::string_view key) {
  std::string out(1, kReadModelPrefix);
  out.append(key.data(), key.size());
  return out;
}

// Request record: first_version, last_version, first_position, last_position (8 bytes
// each), then the stream name.
inline std::string EncodeRequestRecord(const AppendResult& r) {
  std::string out;
  PutFixed64(&out, static_cast<uint64_t>(r.first_version));
  PutFixed64(&out, static_cast<uint64_t>(r.last_version));
  PutFixed64(&out, static_cast<uint64_t>(r.first_position));
  PutFixed64(&out, static_cast<uint64_t>(r.last_position));
  out.append(r.stream);
  return out;
}

inline std::optional<AppendResult> DecodeRequestRecord(absl::string_view in) {
  if (in.size() < 32) return std::nullopt;
  AppendResult r;
  r.first_version = static_cast<int64_t>(*GetFixed64(in.substr(0, 8)));
  r.last_version = static_cast<int64_t>(*GetFixed64(in.substr(8, 8)));
  r.first_position = static_cast<int64_t>(*GetFixed64(in.substr(16, 8)));
  r.last_position = static_cast<int64_t>(*GetFixed64(in.substr(24, 8)));
  r.stream = std::string(in.substr(32));
  return r;
}

}  // namespace bdtx::eventstore::keys

#endif  // BDTX_COMMON_EVENTSTORE_KEY_CODEC_H_
