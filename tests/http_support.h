// HTTP for end-to-end tests of the gateway: one libcurl exchange (with an early stop
// for live streams), JSON bodies as google.protobuf.Struct or as our messages, and the
// AIP-193 error body check. Test-only; each call is independent (thread-compatible).
// REQUIRES: curl_global_init before the first Http call (a test suite's SetUpTestSuite).
#ifndef BDTX_TESTS_HTTP_SUPPORT_H_
#define BDTX_TESTS_HTTP_SUPPORT_H_

#include <curl/curl.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace bdtx::testing {

struct Response {
  long status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names lower case
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct Sink {
  std::string* body;
  std::string stop_at;  // ends the transfer once the body holds it (live streams)
};

inline size_t WriteBody(char* data, size_t size, size_t n, void* out) {
  Sink* sink = static_cast<Sink*>(out);
  sink->body->append(data, size * n);
  if (!sink->stop_at.empty() && absl::StrContains(*sink->body, sink->stop_at)) return 0;
  return size * n;
}

inline size_t WriteHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    static_cast<std::multimap<std::string, std::string>*>(out)->emplace(name, value);
  }
  return size * n;
}

// One HTTP exchange with libcurl.
inline Response Http(const std::string& method, const std::string& url,
                     const std::vector<std::string>& headers = {}, const std::string& body = "",
                     long timeout_ms = 30000, const std::string& stop_at = "") {
  Response r;
  Sink sink{&r.body, stop_at};
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!body.empty() || method == "POST" || method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  const CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && !stop_at.empty())) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

inline google::protobuf::Struct Json(const std::string& text) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &s).ok()) << text;
  return s;
}

template <typename M>
M As(const std::string& json) {
  M m;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // the gateway speaks exactly our protos' JSON
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &m, options).ok()) << json;
  return m;
}

// The AIP-193 body of an error response: {"error":{"code","message","status","details"}}.
inline void ExpectAip193(const Response& r, long http, const std::string& status,
                         const std::string& detail_type = "") {
  EXPECT_EQ(r.status, http) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  google::protobuf::Struct s = Json(r.body);
  ASSERT_TRUE(s.fields().count("error")) << r.body;
  const auto& e = s.fields().at("error").struct_value().fields();
  EXPECT_EQ(e.at("code").number_value(), http) << r.body;
  EXPECT_EQ(e.at("status").string_value(), status) << r.body;
  EXPECT_FALSE(e.at("message").string_value().empty()) << r.body;
  ASSERT_TRUE(e.count("details")) << r.body;
  if (!detail_type.empty()) {
    bool found = false;
    for (const auto& d : e.at("details").list_value().values()) {
      found = found || d.struct_value().fields().at("@type").string_value() ==
                           "type.googleapis.com/" + detail_type;
    }
    EXPECT_TRUE(found) << detail_type << " missing in " << r.body;
  }
}

}  // namespace bdtx::testing

#endif  // BDTX_TESTS_HTTP_SUPPORT_H_
