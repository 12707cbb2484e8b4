#include "services/gateway/path_template.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace bdtx::gateway {
namespace {

bool IsLiteral(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '{' || c == '}' || c == '=' || c == '/' || c == '*' || c == ':') return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(absl::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  PathTemplate t;
  t.text_ = std::string(text);
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("path template \"", text, "\": ", why));
  };
  if (text.empty() || text[0] != '/') return bad("must start with /");
  absl::string_view rest = text.substr(1);
  // The verb follows the last '}' or '/'.
  const size_t last_close = rest.rfind('}');
  const size_t colon = rest.find(':', last_close == absl::string_view::npos ? 0 : last_close);
  if (colon != absl::string_view::npos) {
    t.verb_ = std::string(rest.substr(colon + 1));
    if (!IsLiteral(t.verb_)) return bad("bad verb");
    rest = rest.substr(0, colon);
  }
  size_t i = 0;
  auto parse_segment = [&](absl::string_view seg) -> absl::Status {
    if (seg == "*") {
      t.segments_.push_back({Segment::kStar, ""});
    } else if (seg == "**") {
      t.segments_.push_back({Segment::kDoubleStar, ""});
    } else if (IsLiteral(seg)) {
      t.segments_.push_back({Segment::kLiteral, std::string(seg)});
    } else {
      return bad(absl::StrCat("bad segment \"", seg, "\""));
    }
    return absl::OkStatus();
  };
  while (i < rest.size()) {
    if (rest[i] == '{') {
      const size_t close = rest.find('}', i);
      if (close == absl::string_view::npos) return bad("unclosed {");
      absl::string_view inner = rest.substr(i + 1, close - i - 1);
      Variable v;
      absl::string_view pattern = "*";
      if (const size_t eq = inner.find('='); eq != absl::string_view::npos) {
        v.field = std::string(inner.substr(0, eq));
        pattern = inner.substr(eq + 1);
      } else {
        v.field = std::string(inner);
      }
      if (v.field.empty()) return bad("empty variable name");
      v.first = t.segments_.size();
      for (absl::string_view seg : absl::StrSplit(pattern, '/')) {
        if (absl::Status s = parse_segment(seg); !s.ok()) return s;
      }
      v.last = t.segments_.size();
      t.variables_.push_back(std::move(v));
      i = close + 1;
    } else {
      size_t end = rest.find('/', i);
      if (end == absl::string_view::npos) end = rest.size();
      if (absl::Status s = parse_segment(rest.substr(i, end - i)); !s.ok()) return s;
      i = end;
    }
    if (i < rest.size()) {
      if (rest[i] != '/') return bad("expected /");
      ++i;
      if (i == rest.size()) return bad("trailing /");
    }
  }
  for (size_t s = 0; s < t.segments_.size(); ++s) {
    if (t.segments_[s].kind == Segment::kDoubleStar && s + 1 != t.segments_.size()) {
      return bad("** must be last");
    }
  }
  return t;
}

std::optional<PathTemplate::Bindings> PathTemplate::Match(absl::string_view path) const {
  if (path.empty() || path[0] != '/') return std::nullopt;
  path.remove_prefix(1);
  if (!verb_.empty()) {
    const std::string suffix = absl::StrCat(":", verb_);
    if (!absl::EndsWith(path, suffix)) return std::nullopt;
    path.remove_suffix(suffix.size());
  } else if (!segments_.empty() && segments_.back().kind != Segment::kDoubleStar) {
    // A path with a verb never matches a template without one.
    const size_t slash = path.rfind('/');
    if (path.substr(slash == absl::string_view::npos ? 0 : slash).find(':') !=
        absl::string_view::npos) {
      return std::nullopt;
    }
  }
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  std::vector<std::pair<size_t, size_t>> spans(segments_.size());  // parts per segment
  size_t p = 0;
  for (size_t s = 0; s < segments_.size(); ++s) {
    const Segment& seg = segments_[s];
    if (seg.kind == Segment::kDoubleStar) {
      if (p >= parts.size()) return std::nullopt;
      spans[s] = {p, parts.size()};
      p = parts.size();
      continue;
    }
    if (p >= parts.size() || parts[p].empty()) return std::nullopt;
    if (seg.kind == Segment::kLiteral && parts[p] != seg.literal) return std::nullopt;
    spans[s] = {p, p + 1};
    ++p;
  }
  if (p != parts.size()) return std::nullopt;
  Bindings out;
  for (const Variable& v : variables_) {
    std::vector<std::string> decoded;
    for (size_t s = v.first; s < v.last; ++s) {
      for (size_t q = spans[s].first; q < spans[s].second; ++q) {
        std::optional<std::string> d = PercentDecode(parts[q], false);
        if (!d || d->find('/') != std::string::npos) return std::nullopt;
        decoded.push_back(*std::move(d));
      }
    }
    out.emplace_back(v.field, absl::StrJoin(decoded, "/"));
  }
  return out;
}

std::string PathTemplate::OpenApiPath(std::vector<std::string>* params) const {
  std::vector<std::string> parts;
  size_t v = 0;
  for (size_t s = 0; s < segments_.size(); ++s) {
    const bool in_var = v < variables_.size() && s >= variables_[v].first && s < variables_[v].last;
    const Segment& seg = segments_[s];
    std::string part;
    if (seg.kind == Segment::kLiteral) {
      part = seg.literal;
    } else {
      // "{documentsId}" after "documents"; a bare "{sha256}" keeps its field name.
      std::string name;
      if (in_var && variables_[v].last - variables_[v].first == 1) {
        name = variables_[v].field;
      } else {
        name = absl::StrCat(s > 0 && segments_[s - 1].kind == Segment::kLiteral
                                ? segments_[s - 1].literal
                                : "segment",
                            "Id");
      }
      part = absl::StrCat("{", name, "}");
      if (params != nullptr) params->push_back(name);
    }
    parts.push_back(std::move(part));
    if (in_var && s + 1 == variables_[v].last) ++v;
  }
  std::string out = absl::StrCat("/", absl::StrJoin(parts, "/"));
  if (!verb_.empty()) absl::StrAppend(&out, ":", verb_);
  return out;
}

std::vector<std::string> PathTemplate::Variables() const {
  std::vector<std::string> out;
  for (const Variable& v : variables_) out.push_back(v.field);
  return out;
}

int PathTemplate::LiteralCount() const {
  int n = 0;
  for (const Segment& s : segments_) n += s.kind == Segment::kLiteral;
  return n + (verb_.empty() ? 0 : 1);
}

}  // namespace bdtx::gateway
