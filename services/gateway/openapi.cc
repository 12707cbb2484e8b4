#include "services/gateway/openapi.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bdtx/v1/field_options.pb.h"
#include "common/auth/token_auth_processor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace bdtx::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

Value Str(const std::string& s) {
  Value v;
  v.set_string_value(s);
  return v;
}
Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}
Value Num(double n) {
  Value v;
  v.set_number_value(n);
  return v;
}
Value Obj(Struct s) {
  Value v;
  *v.mutable_struct_value() = std::move(s);
  return v;
}
Value List(std::vector<Value> items) {
  Value v;
  v.mutable_list_value();  // an empty list is still a list
  for (auto& i : items) *v.mutable_list_value()->add_values() = std::move(i);
  return v;
}
Struct S(std::initializer_list<std::pair<std::string, Value>> fields) {
  Struct s;
  for (const auto& [k, v] : fields) (*s.mutable_fields())[k] = v;
  return s;
}
Value Ref(const std::string& name) {
  return Obj(S({{"$ref", Str("#/components/schemas/" + name)}}));
}

std::string SchemaName(const Descriptor* d) { return d->full_name(); }

// JSON with object keys sorted, so the document is the same text on every run
// (protobuf's printer follows its map's order, which is not stable across processes).
void AppendSorted(const Value& v, int depth, std::string* out) {
  const std::string pad(2 * depth, ' ');
  switch (v.kind_case()) {
    case Value::kStructValue: {
      const auto& fields = v.struct_value().fields();
      std::vector<std::string> keys;
      for (const auto& [k, unused] : fields) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      if (keys.empty()) {
        out->append("{}");
        return;
      }
      out->append("{\n");
      for (size_t i = 0; i < keys.size(); ++i) {
        absl::StrAppend(out, pad, "  ");
        AppendSorted(Str(keys[i]), 0, out);
        out->append(": ");
        AppendSorted(fields.at(keys[i]), depth + 1, out);
        out->append(i + 1 < keys.size() ? ",\n" : "\n");
      }
      absl::StrAppend(out, pad, "}");
      return;
    }
    case Value::kListValue: {
      const auto& values = v.list_value().values();
      if (values.empty()) {
        out->append("[]");
        return;
      }
      out->append("[\n");
      for (int i = 0; i < values.size(); ++i) {
        absl::StrAppend(out, pad, "  ");
        AppendSorted(values[i], depth + 1, out);
        out->append(i + 1 < values.size() ? ",\n" : "\n");
      }
      absl::StrAppend(out, pad, "]");
      return;
    }
    default: {
      std::string scalar;
      (void)google::protobuf::util::MessageToJsonString(v, &scalar);
      out->append(scalar);
      return;
    }
  }
}

class Schemas {
 public:
  // The schema of a field's value (not counting `repeated`).
  Value ValueSchema(const FieldDescriptor* f) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_STRING:
        return Obj(S({{"type", Str("string")}}));
      case FieldDescriptor::TYPE_BYTES:
        return Obj(S({{"type", Str("string")}, {"format", Str("byte")}}));
      case FieldDescriptor::TYPE_BOOL:
        return Obj(S({{"type", Str("boolean")}}));
      case FieldDescriptor::TYPE_DOUBLE:
      case FieldDescriptor::TYPE_FLOAT:
        return Obj(S({{"type", Str("number")}}));
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return Obj(S({{"type", Str("string")}, {"format", Str("int64")}}));
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:  // beyond int32: JSON prints it as a number
        return Obj(S({{"type", Str("integer")}, {"format", Str("int64")}, {"minimum", Num(0)}}));
      case FieldDescriptor::TYPE_ENUM: {
        std::vector<Value> names;
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          names.push_back(Str(f->enum_type()->value(i)->name()));
        }
        return Obj(S({{"type", Str("string")}, {"enum", List(names)}}));
      }
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return MessageSchema(f->message_type());
      default:
        return Obj(S({{"type", Str("integer")}, {"format", Str("int32")}}));
    }
  }

  Value FieldSchema(const FieldDescriptor* f) {
    if (f->is_map()) {
      return Obj(S({{"type", Str("object")},
                    {"additionalProperties", ValueSchema(f->message_type()->map_value())}}));
    }
    if (f->is_repeated()) return Obj(S({{"type", Str("array")}, {"items", ValueSchema(f)}}));
    return ValueSchema(f);
  }

  Value MessageSchema(const Descriptor* d) {
    const std::string& n = d->full_name();
    if (n == "google.protobuf.Timestamp") {
      return Obj(S({{"type", Str("string")}, {"format", Str("date-time")}}));
    }
    if (n == "google.protobuf.Duration" || n == "google.protobuf.FieldMask") {
      return Obj(S({{"type", Str("string")}}));
    }
    if (n == "google.protobuf.Struct" || n == "google.protobuf.Any") {
      return Obj(S({{"type", Str("object")}}));
    }
    Need(d);
    return Ref(SchemaName(d));
  }

  void Need(const Descriptor* d) {
    if (!done_.insert(d->full_name()).second) return;
    (*out_.mutable_fields())[SchemaName(d)] = ObjectSchema(d, {});
  }

  // The schema of `d` with the fields at `omit` (dotted proto paths, relative to `d`)
  // left out: a request body whose path variables the URL carries. Without `omit`, a
  // reference to the shared schema.
  Value BodySchema(const Descriptor* d, const std::vector<std::string>& omit) {
    if (omit.empty()) return MessageSchema(d);
    return ObjectSchema(d, omit);
  }

  Struct& out() { return out_; }

  // Limits the edge validator enforces ((bdtx.v1.field), docs/api.md "Validation").
  Value WithRules(const FieldDescriptor* f, Value schema) {
    const bdtx::v1::FieldRules& rules = f->options().GetExtension(bdtx::v1::field);
    auto& fields = *schema.mutable_struct_value()->mutable_fields();
    if (f->is_repeated() && rules.max_items() > 0) fields["maxItems"] = Num(rules.max_items());
    if (!f->is_repeated() && f->type() == FieldDescriptor::TYPE_STRING && rules.max_chars() > 0) {
      fields["maxLength"] = Num(rules.max_chars());
    }
    if (!f->is_repeated() && f->type() == FieldDescriptor::TYPE_STRING && !rules.prefix().empty()) {
      fields["description"] = Str(absl::StrCat("starts with \"", rules.prefix(), "\""));
    }
    return schema;
  }

  Value ObjectSchema(const Descriptor* d, const std::vector<std::string>& omit) {
    Struct props;
    std::vector<Value> required;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      std::vector<std::string> deeper;
      bool whole = false;
      for (const std::string& path : omit) {
        std::vector<std::string> parts = absl::StrSplit(path, absl::MaxSplits('.', 1));
        if (parts[0] != f->name()) continue;
        if (parts.size() == 1) {
          whole = true;
        } else {
          deeper.push_back(parts[1]);
        }
      }
      if (whole) continue;
      Value schema = !deeper.empty() && f->message_type() != nullptr && !f->is_repeated()
                         ? ObjectSchema(f->message_type(), deeper)
                         : WithRules(f, FieldSchema(f));
      (*props.mutable_fields())[f->json_name()] = std::move(schema);
      if (f->options().GetExtension(bdtx::v1::field).required()) {
        required.push_back(Str(f->json_name()));
      }
    }
    Struct out = S({{"type", Str("object")}, {"properties", Obj(props)}});
    if (!required.empty()) (*out.mutable_fields())["required"] = List(required);
    return Obj(out);
  }

 private:
  std::set<std::string> done_;
  Struct out_;
};

// True when `path` is `root` or lies under it ("metadata" holds "metadata.document").
bool Covers(absl::string_view root, absl::string_view path) {
  return path == root ||
         (absl::StartsWith(path, root) && path.size() > root.size() && path[root.size()] == '.');
}

void AddQueryParams(const Descriptor* d, const std::string& proto_prefix,
                    const std::string& json_prefix, const std::vector<std::string>& bound,
                    const std::string& body, Schemas* schemas, std::vector<Value>* params,
                    int depth) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string path = proto_prefix + f->name();
    if (!body.empty() && Covers(body, path)) continue;
    bool in_path = false;
    for (const std::string& v : bound) in_path |= Covers(v, path);
    if (in_path) continue;
    const bool plain_message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                               f->message_type()->full_name() != "google.protobuf.FieldMask" &&
                               f->message_type()->full_name() != "google.protobuf.Timestamp" &&
                               f->message_type()->full_name() != "google.protobuf.Duration";
    if (plain_message) {
      // A single message's own fields go by dotted names; lists of messages and maps
      // cannot be written as query parameters (send them in a body).
      if (!f->is_repeated() && depth < 4) {
        AddQueryParams(f->message_type(), path + ".", json_prefix + f->json_name() + ".", bound,
                       body, schemas, params, depth + 1);
      }
      continue;
    }
    Struct p = S({{"name", Str(json_prefix + f->json_name())},
                  {"in", Str("query")},
                  {"schema", schemas->WithRules(f, schemas->FieldSchema(f))}});
    if (f->options().GetExtension(bdtx::v1::field).required() && proto_prefix.empty()) {
      (*p.mutable_fields())["required"] = Bool(true);
    }
    params->push_back(Obj(p));
  }
}

}  // namespace

std::string OpenApiDocument(const RouteTable& routes) {
  Schemas schemas;
  Struct paths;
  for (const Route& route : routes.routes()) {
    const auto* m = route.method;
    std::vector<Value> params;
    const std::vector<std::string> bound = route.path.Variables();
    std::vector<std::string> names;
    const std::string openapi_path = route.path.OpenApiPath(&names);
    for (const std::string& name : names) {
      params.push_back(Obj(S({{"name", Str(name)},
                              {"in", Str("path")},
                              {"required", Bool(true)},
                              {"description", Str("an id in " + route.path.text())},
                              {"schema", Obj(S({{"type", Str("string")}}))}})));
    }
    Struct op = S({{"operationId", Str(absl::StrCat(m->service()->name(), "_", m->name()))},
                   {"tags", List({Str(m->service()->name())})},
                   {"summary", Str(route.grpc_path)}});
    // Who may call: what the services' token check exempts (sign-in itself) needs
    // nothing; everything else a bearer token, or the browser's session cookie with
    // the CSRF header on anything but GET (docs/gateway.md "Sign-in").
    if (bdtx::auth::TokenAuthProcessor::IsExempt(route.grpc_path)) {
      (*op.mutable_fields())["security"] = List({});
    } else if (route.http_method == "GET") {
      (*op.mutable_fields())["security"] =
          List({Obj(S({{"bearerAuth", List({})}})), Obj(S({{"sessionCookie", List({})}}))});
    } else {
      (*op.mutable_fields())["security"] =
          List({Obj(S({{"bearerAuth", List({})}})),
                Obj(S({{"sessionCookie", List({})}, {"csrfHeader", List({})}}))});
    }
    if (route.body != "*") {
      // Query parameters: every field neither in the path nor in the body, nested
      // messages by dotted names ("metadata.fileName"), as BuildRequest reads them.
      AddQueryParams(m->input_type(), "", "", bound, route.body, &schemas, &params, 0);
    }
    if (!params.empty()) (*op.mutable_fields())["parameters"] = List(params);
    if (!route.body.empty()) {
      Value schema;
      std::string media = "application/json";
      bool required = false;
      // Required when a field the body carries is (an empty body is an empty message).
      auto any_required = [](const Descriptor* d, const std::vector<std::string>& omit) {
        for (int i = 0; i < d->field_count(); ++i) {
          const FieldDescriptor* f = d->field(i);
          if (f->options().GetExtension(bdtx::v1::field).required() &&
              std::find(omit.begin(), omit.end(), f->name()) == omit.end()) {
            return true;
          }
        }
        return false;
      };
      if (route.body == "*") {
        schema = schemas.BodySchema(m->input_type(), bound);
        required = any_required(m->input_type(), bound);
      } else {
        const FieldDescriptor* f = m->input_type()->FindFieldByName(route.body);
        if (f != nullptr && f->type() == FieldDescriptor::TYPE_BYTES) {
          media = "application/octet-stream";  // streamed, chunk by chunk
          required = true;
          schema = Obj(S({{"type", Str("string")}, {"format", Str("binary")}}));
        } else {
          // A message field (RouteTable::Build checks): its fields, less those the path
          // binds (PATCH /v1/{content.name=documents/*} carries content.name in the URL).
          const Descriptor* d = m->input_type();
          std::string prefix;
          for (absl::string_view part : absl::StrSplit(route.body, '.')) {
            const FieldDescriptor* pf = d->FindFieldByName(std::string(part));
            d = pf->message_type();
            absl::StrAppend(&prefix, part, ".");
          }
          std::vector<std::string> inner;
          for (const std::string& v : bound) {
            if (absl::StartsWith(v, prefix)) inner.push_back(v.substr(prefix.size()));
          }
          schema = schemas.BodySchema(d, inner);
          required = any_required(d, inner);
        }
      }
      (*op.mutable_fields())["requestBody"] =
          Obj(S({{"required", Bool(required)},
                 {"content", Obj(S({{media, Obj(S({{"schema", schema}}))}}))}}));
    }
    Value ok_content;
    std::string ok_description = m->output_type()->full_name();
    if (!route.response_body.empty()) {
      ok_content = Obj(S(
          {{"*/*",
            Obj(S({{"schema", Obj(S({{"type", Str("string")}, {"format", Str("binary")}}))}}))}}));
      ok_description = absl::StrCat("the raw ", route.response_body, " of ", ok_description);
    } else if (m->server_streaming()) {
      ok_content =
          Obj(S({{"text/event-stream", Obj(S({{"schema", Obj(S({{"type", Str("string")}}))}}))}}));
      ok_description = absl::StrCat("Server-Sent Events: one `data:` line per ", ok_description,
                                    " (proto3 JSON, schema ", ok_description,
                                    "); `event: error` with the AIP-193 body");
      (void)schemas.MessageSchema(m->output_type());  // the events' schema, listed
    } else {
      ok_content = Obj(
          S({{"application/json", Obj(S({{"schema", schemas.MessageSchema(m->output_type())}}))}}));
    }
    (*op.mutable_fields())["responses"] =
        Obj(S({{"200", Obj(S({{"description", Str(ok_description)}, {"content", ok_content}}))},
               {"429", Obj(S({{"$ref", Str("#/components/responses/TooManyRequests")}}))},
               {"default", Obj(S({{"$ref", Str("#/components/responses/Error")}}))}}));
    std::string verb = route.http_method;
    for (char& c : verb) c = static_cast<char>(std::tolower(c));
    Value& path = (*paths.mutable_fields())[openapi_path];
    (*path.mutable_struct_value()->mutable_fields())[verb] = Obj(op);
  }
  // AIP-193: {"error": {"code": HTTP status, "message", "status": gRPC code name,
  // "details": [google.rpc.* with "@type"]}} (errors.cc).
  Value error_schema = Obj(S(
      {{"type", Str("object")},
       {"required", List({Str("error")})},
       {"properties",
        Obj(S(
            {{"error",
              Obj(S({{"type", Str("object")},
                     {"required", List({Str("code"), Str("message"), Str("status")})},
                     {"properties",
                      Obj(S({{"code", Obj(S({{"type", Str("integer")},
                                             {"description", Str("the HTTP status")}}))},
                             {"message",
                              Obj(S({{"type", Str("string")},
                                     {"description", Str("for people, in Vietnamese")}}))},
                             {"status",
                              Obj(S({{"type", Str("string")},
                                     {"description", Str("the gRPC code name, e.g. NOT_FOUND")}}))},
                             {"details",
                              Obj(S(
                                  {{"type", Str("array")},
                                   {"items",
                                    Obj(S({{"type", Str("object")},
                                           {"required", List({Str("@type")})},
                                           {"properties",
                                            Obj(S({{"@type", Obj(S({{"type", Str("string")}}))}}))},
                                           {"additionalProperties",
                                            Bool(true)}}))}}))}}))}}))}}))}}));
  (*schemas.out().mutable_fields())["Error"] = error_schema;
  Value error_content = Obj(S({{"application/json", Obj(S({{"schema", Ref("Error")}}))}}));
  Struct responses =
      S({{"Error", Obj(S({{"description", Str("AIP-193 error")}, {"content", error_content}}))},
         {"TooManyRequests",
          Obj(S({{"description", Str("rate limited, or sign-in locked (AIP-193 error)")},
                 {"headers", Obj(S({{"Retry-After",
                                     Obj(S({{"description", Str("seconds to wait")},
                                            {"schema", Obj(S({{"type", Str("integer")}}))}}))}}))},
                 {"content", error_content}}))}});
  Struct security_schemes = S(
      {{"bearerAuth",
        Obj(S({{"type", Str("http")}, {"scheme", Str("bearer")}, {"bearerFormat", Str("JWT")}}))},
       {"sessionCookie",
        Obj(S({{"type", Str("apiKey")},
               {"in", Str("cookie")},
               {"name", Str("__Host-bdtx_session")},
               {"description", Str("browsers, after POST /v1/sessions with \"browser\": true")}}))},
       {"csrfHeader", Obj(S({{"type", Str("apiKey")},
                             {"in", Str("header")},
                             {"name", Str("X-CSRF-Token")},
                             {"description", Str("the session's csrfToken, with the cookie on "
                                                 "anything but GET")}}))}});
  Struct doc =
      S({{"openapi", Str("3.0.3")},
         {"info", Obj(S({{"title", Str("bdtx API")},
                         {"version", Str("v1")},
                         {"description", Str("REST/JSON surface of the bdtx services, generated "
                                             "from their google.api.http annotations.")}}))},
         {"paths", Obj(paths)},
         {"components", Obj(S({{"schemas", Obj(schemas.out())},
                               {"responses", Obj(responses)},
                               {"securitySchemes", Obj(security_schemes)}}))},
         {"security", List({Obj(S({{"bearerAuth", List({})}}))})}});
  std::string out;
  AppendSorted(Obj(doc), 0, &out);
  out.push_back('\n');
  return out;
}

}  // namespace bdtx::gateway
