// google.api.http path templates (AIP-127; grammar in google/api/http.proto):
//   Template = "/" Segments [ Verb ] ;  Segment = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;  Verb = ":" LITERAL ;
// e.g. "/v1/{name=documents/*}:approve", "/v1/{document=documents/*}/attachments/{sha256}".
// Pure: no I/O. Thread-safe once built (Match is const).
#ifndef BDTX_SERVICES_GATEWAY_PATH_TEMPLATE_H_
#define BDTX_SERVICES_GATEWAY_PATH_TEMPLATE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bdtx::gateway {

class PathTemplate {
 public:
  // INVALID_ARGUMENT naming the problem for a template outside the grammar above.
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  // One (field path, value) per variable, values percent-decoded. nullopt when `path`
  // (no query string) does not match. A single-segment variable never matches "/";
  // a value that decodes to contain "/" in a single "*" segment does not match either,
  // so "%2F" cannot smuggle a deeper resource name.
  using Bindings = std::vector<std::pair<std::string, std::string>>;
  std::optional<Bindings> Match(absl::string_view path) const;

  const std::string& text() const { return text_; }
  // The template as an OpenAPI path, literal segments kept so a generated client builds
  // URLs the template matches: "/v1/{name=documents/*}:render" becomes
  // "/v1/documents/{documentsId}:render" (a "*" is named after the literal before it);
  // a bare "{sha256}" stays. The parameter names, in order, go to `params`.
  std::string OpenApiPath(std::vector<std::string>* params = nullptr) const;
  // Field paths bound by the template, in order.
  std::vector<std::string> Variables() const;
  // Number of literal segments (more specific templates are tried first).
  int LiteralCount() const;

 private:
  struct Segment {
    enum Kind { kLiteral, kStar, kDoubleStar } kind;
    std::string literal;
  };
  struct Variable {
    std::string field;
    size_t first, last;  // segments [first, last) belong to it
  };
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;
};

// Percent-decodes `in`; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(absl::string_view in, bool plus_is_space);

}  // namespace bdtx::gateway

#endif  // BDTX_SERVICES_GATEWAY_PATH_TEMPLATE_H_
