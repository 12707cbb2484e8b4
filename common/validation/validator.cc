#include "common/validation/validator.h"

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bdtx/v1/field_options.pb.h"
#include "common/status/error_info.h"
#include "common/text/unicode.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace bdtx::validation {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr size_t kMaxViolations = 50;
// Deeper nesting than any bdtx message: a hostile request cannot recurse us off the stack.
constexpr int kMaxDepth = 16;

// "U+001B at byte 3" for the first C0 or C1 control character (other than tab, line
// feed, carriage return) or DEL in valid UTF-8 `value`; nullopt when there is none.
std::optional<std::string> FirstControl(const std::string& value) {
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    unsigned code = 0x100;  // not a control character
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') code = c;
    if (c == 0x7F) code = c;
    // C1 controls U+0080..U+009F are encoded C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) <= 0x9F) {
      code = static_cast<unsigned char>(value[i + 1]);
    }
    if (code != 0x100) return absl::StrFormat("U+%04X ở byte %d", code, i);
  }
  return std::nullopt;
}

class Checker {
 public:
  std::vector<Violation> Run(Message& message) {
    Walk(message, "", 0);
    if (dropped_ > 0) {
      violations_.emplace_back("", absl::StrCat("và ", dropped_, " lỗi khác"));
    }
    return std::move(violations_);
  }

 private:
  void Add(const std::string& path, std::string what) {
    if (violations_.size() >= kMaxViolations) {
      ++dropped_;
      return;
    }
    violations_.emplace_back(path, std::move(what));
  }

  static std::string Join(const std::string& prefix, const FieldDescriptor* field) {
    return prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
  }

  void Walk(Message& message, const std::string& prefix, int depth) {
    if (depth > kMaxDepth) {
      Add(prefix, "lồng quá sâu");
      return;
    }
    const Descriptor* descriptor = message.GetDescriptor();
    const Reflection* reflection = message.GetReflection();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      const bdtx::v1::FieldRules& rules = field->options().GetExtension(bdtx::v1::field);
      const std::string path = Join(prefix, field);
      if (field->is_repeated()) {
        const int n = reflection->FieldSize(message, field);
        if (rules.required() && n == 0) Add(path, "là bắt buộc (ít nhất một phần tử)");
        if (rules.max_items() > 0 && n > rules.max_items()) {
          Add(path, absl::StrCat("có ", n, " phần tử; tối đa ", rules.max_items()));
        }
        for (int k = 0; k < n; ++k) {
          CheckRepeated(message, reflection, field, rules, absl::StrCat(path, "[", k, "]"), k,
                        depth);
        }
        continue;
      }
      CheckSingular(message, reflection, field, rules, path, depth);
    }
  }

  void CheckString(std::string value, const bdtx::v1::FieldRules& rules, const std::string& path,
                   bool required, const std::function<void(std::string)>& set) {
    if (value.empty()) {
      if (required) Add(path, "là bắt buộc");
      return;
    }
    if (!text::IsValidUtf8(value)) {
      Add(path, "không phải UTF-8 hợp lệ");
      return;
    }
    if (std::optional<std::string> control = FirstControl(value)) {
      // Names and text are shown to people, written to logs and echoed in errors: a NUL
      // or an escape sequence there forges log lines or terminal output.
      Add(path, absl::StrCat("chứa ký tự điều khiển ", *control,
                             " (chỉ cho phép tab, xuống dòng và về đầu dòng)"));
      return;
    }
    if (!text::IsNfc(value)) {
      absl::StatusOr<std::string> nfc = text::ToNfc(value);
      if (!nfc.ok()) {
        Add(path, std::string(nfc.status().message()));
        return;
      }
      value = *std::move(nfc);
      set(value);
    }
    // A character limit alone allows up to 4 bytes per character.
    const int max_bytes = rules.max_bytes() > 0   ? rules.max_bytes()
                          : rules.max_chars() > 0 ? 4 * rules.max_chars()
                                                  : kDefaultMaxStringBytes;
    if (value.size() > static_cast<size_t>(max_bytes)) {
      Add(path, absl::StrCat("dài ", value.size(), " byte; tối đa ", max_bytes));
    }
    if (rules.max_chars() > 0) {
      size_t chars = 0;
      for (unsigned char c : value) chars += (c & 0xC0) != 0x80;
      if (chars > static_cast<size_t>(rules.max_chars())) {
        Add(path, absl::StrCat("dài ", chars, " ký tự; tối đa ", rules.max_chars()));
      }
    }
    if (!rules.prefix().empty() && !absl::StartsWith(value, rules.prefix())) {
      Add(path, absl::StrCat("phải bắt đầu bằng \"", rules.prefix(), "\""));
    }
  }

  void CheckInteger(int64_t value, const bdtx::v1::FieldRules& rules, const std::string& path) {
    if (value == 0) {
      if (rules.required()) Add(path, "là bắt buộc");
      return;
    }
    if (rules.has_min() && value < rules.min()) {
      Add(path, absl::StrCat("là ", value, "; tối thiểu là ", rules.min()));
    }
    if (rules.has_max() && value > rules.max()) {
      Add(path, absl::StrCat("là ", value, "; tối đa là ", rules.max()));
    }
  }

  void CheckEnum(const FieldDescriptor* field, int value, const bdtx::v1::FieldRules& rules,
                 const std::string& path) {
    if (field->enum_type()->FindValueByNumber(value) == nullptr) {
      Add(path, absl::StrCat(value, " không phải giá trị của ", field->enum_type()->full_name()));
      return;
    }
    if (value == 0 && rules.required()) {
      Add(path, absl::StrCat("là bắt buộc (không được là ",
                             field->enum_type()->FindValueByNumber(0)->name(), ")"));
    }
  }

  void CheckSingular(Message& message, const Reflection* reflection, const FieldDescriptor* field,
                     const bdtx::v1::FieldRules& rules, const std::string& path, int depth) {
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          std::string scratch;
          if (rules.required() && reflection->GetStringReference(message, field, &scratch).empty())
            Add(path, "là bắt buộc");
          return;
        }
        CheckString(reflection->GetString(message, field), rules, path, rules.required(),
                    [&](std::string v) { reflection->SetString(&message, field, std::move(v)); });
        return;
      case FieldDescriptor::CPPTYPE_INT32:
        return CheckInteger(reflection->GetInt32(message, field), rules, path);
      case FieldDescriptor::CPPTYPE_INT64:
        return CheckInteger(reflection->GetInt64(message, field), rules, path);
      case FieldDescriptor::CPPTYPE_UINT32:
        return CheckInteger(reflection->GetUInt32(message, field), rules, path);
      case FieldDescriptor::CPPTYPE_UINT64: {
        const uint64_t v = reflection->GetUInt64(message, field);
        return CheckInteger(v > INT64_MAX ? INT64_MAX : static_cast<int64_t>(v), rules, path);
      }
      case FieldDescriptor::CPPTYPE_ENUM:
        return CheckEnum(field, reflection->GetEnumValue(message, field), rules, path);
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (!reflection->HasField(message, field)) {
          if (rules.required()) Add(path, "là bắt buộc");
          return;
        }
        return Walk(*reflection->MutableMessage(&message, field), path, depth + 1);
      case FieldDescriptor::CPPTYPE_BOOL:
        if (rules.required() && !reflection->GetBool(message, field)) Add(path, "là bắt buộc");
        return;
      default:
        return;  // floating point: no bdtx limits
    }
  }

  void CheckRepeated(Message& message, const Reflection* reflection, const FieldDescriptor* field,
                     const bdtx::v1::FieldRules& rules, const std::string& path, int k, int depth) {
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        if (field->type() == FieldDescriptor::TYPE_BYTES) return;
        CheckString(reflection->GetRepeatedString(message, field, k), rules, path,
                    /*required=*/false, [&](std::string v) {
                      reflection->SetRepeatedString(&message, field, k, std::move(v));
                    });
        return;
      case FieldDescriptor::CPPTYPE_INT32:
        return CheckInteger(reflection->GetRepeatedInt32(message, field, k), rules, path);
      case FieldDescriptor::CPPTYPE_INT64:
        return CheckInteger(reflection->GetRepeatedInt64(message, field, k), rules, path);
      case FieldDescriptor::CPPTYPE_ENUM: {
        bdtx::v1::FieldRules element = rules;
        element.set_required(false);
        return CheckEnum(field, reflection->GetRepeatedEnumValue(message, field, k), element, path);
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        // Map entries are messages too: keys and values are checked and normalised.
        return Walk(*reflection->MutableRepeatedMessage(&message, field, k), path, depth + 1);
      default:
        return;
    }
  }

  std::vector<Violation> violations_;
  size_t dropped_ = 0;
};

}  // namespace

std::vector<Violation> CheckAndNormalize(Message& message) { return Checker().Run(message); }

absl::Status ValidateAndNormalize(Message& message) {
  std::vector<Violation> violations = CheckAndNormalize(message);
  if (violations.empty()) return absl::OkStatus();
  std::string text = absl::StrJoin(violations, "; ", [](std::string* out, const Violation& v) {
    absl::StrAppend(out, v.first.empty() ? "" : v.first + " ", v.second);
  });
  return WithBadRequest(absl::InvalidArgumentError(
                            absl::StrCat(message.GetDescriptor()->name(), " không hợp lệ: ", text)),
                        violations);
}

}  // namespace bdtx::validation
