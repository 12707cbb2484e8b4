#include "services/gateway/transcoder.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/util/json_util.h"

namespace bdtx::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const FieldDescriptor* FindField(const Descriptor* d, absl::string_view name) {
  const std::string n(name);
  if (const FieldDescriptor* f = d->FindFieldByName(n)) return f;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == n) return d->field(i);
  }
  return nullptr;
}

// Walks to the message holding the last field of `path`, creating sub-messages.
absl::StatusOr<std::pair<Message*, const FieldDescriptor*>> Resolve(Message* message,
                                                                    absl::string_view path) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  Message* m = message;
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = FindField(m->GetDescriptor(), parts[i]);
    if (f == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("không có trường \"", path, "\""));
    }
    if (i + 1 == parts.size()) return std::make_pair(m, f);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat("không có trường \"", path, "\""));
    }
    m = m->GetReflection()->MutableMessage(m, f);
  }
  return absl::InvalidArgumentError("đường dẫn trường rỗng");
}

absl::Status BadValue(const FieldDescriptor* f, absl::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat("giá trị \"", value, "\" không hợp lệ cho trường ", f->json_name()));
}

bool IsRootPathOf(absl::string_view prefix, absl::string_view path) {
  return path == prefix || absl::StartsWith(path, absl::StrCat(prefix, "."));
}

}  // namespace

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  const Message* proto = google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<Message>(proto->New());
}

absl::Status SetFieldFromText(Message* message, absl::string_view path, absl::string_view value) {
  auto resolved = Resolve(message, path);
  if (!resolved.ok()) return resolved.status();
  auto [m, f] = *resolved;
  const Reflection* r = m->GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v(value);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::string raw;
        if (!absl::WebSafeBase64Unescape(value, &raw) && !absl::Base64Unescape(value, &raw)) {
          return BadValue(f, value);
        }
        v = std::move(raw);
      }
      rep ? r->AddString(m, f, std::move(v)) : r->SetString(m, f, std::move(v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(f, value);
      rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(f, value);
      rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(f, value);
      rep ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(f, value);
      rep ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!absl::SimpleAtod(value, &v)) return BadValue(f, value);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        rep ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
      } else {
        rep ? r->AddFloat(m, f, static_cast<float>(v)) : r->SetFloat(m, f, static_cast<float>(v));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (value == "true" || value == "1") {
        v = true;
      } else if (value == "false" || value == "0") {
        v = false;
      } else {
        return BadValue(f, value);
      }
      rep ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type()->FindValueByName(std::string(value));
      int number;
      if (e == nullptr && absl::SimpleAtoi(value, &number)) {
        e = f->enum_type()->FindValueByNumber(number);
      }
      if (e == nullptr) return BadValue(f, value);
      rep ? r->AddEnum(m, f, e) : r->SetEnum(m, f, e);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      // Well-known types with a JSON string form (FieldMask, Timestamp, Duration).
      Message* sub = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      std::string json;
      absl::StrAppend(&json, "\"", absl::CEscape(value), "\"");
      if (!google::protobuf::util::JsonStringToMessage(json, sub).ok()) {
        return BadValue(f, value);
      }
      return absl::OkStatus();
    }
  }
  return BadValue(f, value);
}

absl::StatusOr<RouteTable> RouteTable::Build(const std::vector<std::string>& services) {
  RouteTable table;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::set<std::pair<std::string, std::string>> seen;
  for (const std::string& name : services) {
    const auto* service = pool->FindServiceByName(name);
    if (service == nullptr) return absl::InvalidArgumentError(absl::StrCat("no service ", name));
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      std::vector<std::pair<std::string, std::string>> bindings;
      auto add = [&](const google::api::HttpRule& r) {
        switch (r.pattern_case()) {
          case google::api::HttpRule::kGet:
            bindings.emplace_back("GET", r.get());
            break;
          case google::api::HttpRule::kPost:
            bindings.emplace_back("POST", r.post());
            break;
          case google::api::HttpRule::kPut:
            bindings.emplace_back("PUT", r.put());
            break;
          case google::api::HttpRule::kPatch:
            bindings.emplace_back("PATCH", r.patch());
            break;
          case google::api::HttpRule::kDelete:
            bindings.emplace_back("DELETE", r.delete_());
            break;
          default:
            break;
        }
      };
      add(rule);
      for (const auto& extra : rule.additional_bindings()) add(extra);
      for (auto& [verb, text] : bindings) {
        auto path = PathTemplate::Parse(text);
        if (!path.ok()) return path.status();
        Route route{verb,
                    *std::move(path),
                    method,
                    rule.body(),
                    rule.response_body(),
                    absl::StrCat("/", service->full_name(), "/", method->name()),
                    service->full_name()};
        auto probe = NewMessage(method->input_type());
        for (const std::string& v : route.path.Variables()) {
          if (!Resolve(probe.get(), v).ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat(method->full_name(), ": path field ", v, " not in request"));
          }
        }
        if (!route.body.empty() && route.body != "*" && !Resolve(probe.get(), route.body).ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(method->full_name(), ": body field ", route.body, " not in request"));
        }
        // What the gateway can stream (gateway.cc): a client-streaming method takes the
        // raw HTTP body as one top-level bytes field, chunk by chunk; any other body is
        // JSON of the whole request or of one message field.
        if (method->client_streaming()) {
          const FieldDescriptor* f = method->input_type()->FindFieldByName(route.body);
          if (f == nullptr || f->type() != FieldDescriptor::TYPE_BYTES || f->is_repeated()) {
            return absl::InvalidArgumentError(
                absl::StrCat(method->full_name(),
                             ": a client-streaming route's body must be a top-level bytes field"));
          }
        } else if (!route.body.empty() && route.body != "*") {
          auto [unused, f] = *Resolve(probe.get(), route.body);
          if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
            return absl::InvalidArgumentError(absl::StrCat(
                method->full_name(), ": body field ", route.body, " must be a single message"));
          }
        }
        if (!route.response_body.empty() &&
            method->output_type()->FindFieldByName(route.response_body) == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(method->full_name(), ": response_body ",
                                                         route.response_body, " not in response"));
        }
        if (!seen.emplace(verb, route.path.OpenApiPath()).second) {
          return absl::InvalidArgumentError(
              absl::StrCat("two routes for ", verb, " ", route.path.OpenApiPath()));
        }
        table.routes_.push_back(std::move(route));
      }
    }
  }
  std::stable_sort(table.routes_.begin(), table.routes_.end(), [](const Route& a, const Route& b) {
    return a.path.LiteralCount() > b.path.LiteralCount();
  });
  return table;
}

absl::StatusOr<RouteTable::Match> RouteTable::Find(absl::string_view http_method,
                                                   absl::string_view path) const {
  std::set<std::string> allowed;
  for (const Route& route : routes_) {
    auto bindings = route.path.Match(path);
    if (!bindings) continue;
    if (route.http_method == http_method) return Match{&route, *std::move(bindings)};
    allowed.insert(route.http_method);
  }
  if (!allowed.empty()) {
    return absl::UnimplementedError(absl::StrCat("phương thức ", http_method,
                                                 " không dùng được ở đây; dùng ",
                                                 absl::StrJoin(allowed, ", ")));
  }
  return absl::NotFoundError(absl::StrCat("không có đường dẫn ", path));
}

absl::Status BuildRequest(const Route& route, const PathTemplate::Bindings& bindings,
                          absl::string_view query, absl::string_view body, bool skip_body,
                          Message* request) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!skip_body && !route.body.empty() && !absl::StripAsciiWhitespace(body).empty()) {
    Message* target = request;
    if (route.body != "*") {
      auto resolved = Resolve(request, route.body);
      if (!resolved.ok()) return resolved.status();
      auto [m, f] = *resolved;
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
        return absl::InvalidArgumentError("trường thân yêu cầu phải là một thông điệp");
      }
      target = m->GetReflection()->MutableMessage(m, f);
    }
    auto s = google::protobuf::util::JsonStringToMessage(std::string(body), target, options);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("thân yêu cầu không phải JSON hợp lệ: ", std::string(s.message())));
    }
  } else if (!skip_body && route.body.empty() && !absl::StripAsciiWhitespace(body).empty()) {
    return absl::InvalidArgumentError("yêu cầu này không nhận thân (body)");
  }
  if (!query.empty()) {
    for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
      const size_t eq = pair.find('=');
      auto key = PercentDecode(pair.substr(0, eq), true);
      auto value = PercentDecode(eq == absl::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (!key || !value) return absl::InvalidArgumentError("tham số truy vấn sai mã hoá %");
      if (route.body == "*") {
        return absl::InvalidArgumentError(
            absl::StrCat("tham số truy vấn \"", *key, "\" không dùng được: mọi trường ở thân"));
      }
      // Translate JSON names to proto names to compare with path and body fields.
      auto probe = NewMessage(route.method->input_type());
      auto resolved = Resolve(probe.get(), *key);
      if (!resolved.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("tham số truy vấn \"", *key, "\" không có trong yêu cầu"));
      }
      std::vector<std::string> proto_path;
      {
        const Message* m = probe.get();
        for (absl::string_view part : absl::StrSplit(*key, '.')) {
          const FieldDescriptor* f = FindField(m->GetDescriptor(), part);
          proto_path.push_back(f->name());
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated()) {
            m = &m->GetReflection()->GetMessage(*m, f);
          }
        }
      }
      const std::string canonical = absl::StrJoin(proto_path, ".");
      if (!route.body.empty() && IsRootPathOf(route.body, canonical)) {
        return absl::InvalidArgumentError(
            absl::StrCat("tham số truy vấn \"", *key, "\" thuộc thân yêu cầu"));
      }
      for (const auto& [field, unused] : bindings) {
        if (IsRootPathOf(field, canonical)) {
          return absl::InvalidArgumentError(
              absl::StrCat("tham số truy vấn \"", *key, "\" đã có trong đường dẫn"));
        }
      }
      if (absl::Status s = SetFieldFromText(request, canonical, *value); !s.ok()) return s;
    }
  }
  for (const auto& [field, value] : bindings) {
    if (absl::Status s = SetFieldFromText(request, field, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ToJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  auto s = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!s.ok()) return absl::InternalError(std::string(s.message()));
  return out;
}

}  // namespace bdtx::gateway
