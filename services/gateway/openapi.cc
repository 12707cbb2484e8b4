#include "services/gateway/openapi.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
    Struct props;
    for (int i = 0; i < d->field_count(); ++i) {
      (*props.mutable_fields())[d->field(i)->json_name()] = FieldSchema(d->field(i));
    }
    (*out_.mutable_fields())[SchemaName(d)] =
        Obj(S({{"type", Str("object")}, {"properties", Obj(props)}}));
  }

  Struct& out() { return out_; }

 private:
  std::set<std::string> done_;
  Struct out_;
};

}  // namespace

std::string OpenApiDocument(const RouteTable& routes) {
  Schemas schemas;
  Struct paths;
  for (const Route& route : routes.routes()) {
    const auto* m = route.method;
    std::vector<Value> params;
    std::set<std::string> bound;
    for (const std::string& v : route.path.Variables()) bound.insert(v.substr(0, v.find('.')));
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
    if (route.body != "*") {
      const Descriptor* in = m->input_type();
      for (int i = 0; i < in->field_count(); ++i) {
        const FieldDescriptor* f = in->field(i);
        if (bound.count(f->name()) || f->name() == route.body) continue;
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
            f->message_type()->full_name() != "google.protobuf.FieldMask" &&
            f->message_type()->full_name() != "google.protobuf.Timestamp") {
          continue;  // nested messages are set through the body, not the query
        }
        params.push_back(Obj(S({{"name", Str(f->json_name())},
                                {"in", Str("query")},
                                {"schema", schemas.FieldSchema(f)}})));
      }
    }
    if (!params.empty()) (*op.mutable_fields())["parameters"] = List(params);
    if (!route.body.empty()) {
      Value schema;
      std::string media = "application/json";
      if (route.body == "*") {
        schema = schemas.MessageSchema(m->input_type());
      } else {
        const FieldDescriptor* f = m->input_type()->FindFieldByName(route.body);
        if (f == nullptr) {  // nested body path: describe the whole request
          schema = schemas.MessageSchema(m->input_type());
        } else if (f->type() == FieldDescriptor::TYPE_BYTES) {
          media = "application/octet-stream";
          schema = Obj(S({{"type", Str("string")}, {"format", Str("binary")}}));
        } else {
          schema = schemas.FieldSchema(f);
        }
      }
      (*op.mutable_fields())["requestBody"] =
          Obj(S({{"required", Bool(true)},
                 {"content", Obj(S({{media, Obj(S({{"schema", schema}}))}}))}}));
    }
    Value ok_content;
    if (!route.response_body.empty()) {
      ok_content = Obj(S(
          {{"*/*",
            Obj(S({{"schema", Obj(S({{"type", Str("string")}, {"format", Str("binary")}}))}}))}}));
    } else if (m->server_streaming()) {
      ok_content =
          Obj(S({{"text/event-stream", Obj(S({{"schema", Obj(S({{"type", Str("string")}}))}}))}}));
    } else {
      ok_content = Obj(
          S({{"application/json", Obj(S({{"schema", schemas.MessageSchema(m->output_type())}}))}}));
    }
    (*op.mutable_fields())["responses"] = Obj(S(
        {{"200", Obj(S({{"description", Str(m->output_type()->name())}, {"content", ok_content}}))},
         {"default", Obj(S({{"description", Str("AIP-193 error")},
                            {"content", Obj(S({{"application/json",
                                                Obj(S({{"schema", Ref("Error")}}))}}))}}))}}));
    std::string verb = route.http_method;
    for (char& c : verb) c = static_cast<char>(std::tolower(c));
    Value& path = (*paths.mutable_fields())[openapi_path];
    (*path.mutable_struct_value()->mutable_fields())[verb] = Obj(op);
  }
  (*schemas.out().mutable_fields())["Error"] =
      Obj(S({{"type", Str("object")},
             {"properties",
              Obj(S({{"error",
                      Obj(S({{"type", Str("object")},
                             {"properties",
                              Obj(S({{"code", Obj(S({{"type", Str("integer")}}))},
                                     {"message", Obj(S({{"type", Str("string")}}))},
                                     {"status", Obj(S({{"type", Str("string")}}))},
                                     {"details",
                                      Obj(S({{"type", Str("array")},
                                             {"items",
                                              Obj(S({{"type", Str("object")}}))}}))}}))}}))}}))}}));
  Struct doc = S(
      {{"openapi", Str("3.0.3")},
       {"info", Obj(S({{"title", Str("bdtx API")},
                       {"version", Str("v1")},
                       {"description", Str("REST/JSON surface of the bdtx services, generated "
                                           "from their google.api.http annotations.")}}))},
       {"paths", Obj(paths)},
       {"components", Obj(S({{"schemas", Obj(schemas.out())},
                             {"securitySchemes",
                              Obj(S({{"bearerAuth", Obj(S({{"type", Str("http")},
                                                           {"scheme", Str("bearer")},
                                                           {"bearerFormat", Str("JWT")}}))}}))}}))},
       {"security", List({Obj(S({{"bearerAuth", List({})}}))})}});
  std::string out;
  AppendSorted(Obj(doc), 0, &out);
  out.push_back('\n');
  return out;
}

}  // namespace bdtx::gateway
