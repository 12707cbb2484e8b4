#include "common/server/flags.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace bdtx::server {

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

std::string Flags::EnvName(const std::string& name) {
  return "BDTX_" + absl::AsciiStrToUpper(name);
}

void Flags::Define(const std::string& name, const std::string& default_value,
                   const std::string& help) {
  settings_[name] = Setting{default_value, default_value, help};
}

absl::Status Flags::Parse(int argc, const char* const* argv, const Environment& env) {
  for (auto& [name, setting] : settings_) {
    if (auto it = env.find(EnvName(name)); it != env.end()) setting.value = it->second;
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'; settings are --name=value"));
    }
    arg = arg.substr(2);
    std::string value;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag --", arg, " needs a value"));
    }
    auto it = settings_.find(arg);
    if (it == settings_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", arg, "; run with --help to list the settings"));
    }
    it->second.value = value;
  }
  return absl::OkStatus();
}

const std::string& Flags::Get(const std::string& name) const {
  auto it = settings_.find(name);
  if (it == settings_.end()) std::abort();  // programming error: undefined setting
  return it->second.value;
}

absl::StatusOr<int64_t> Flags::GetInt(const std::string& name) const {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " (", EnvName(name),
                                                   ") must be an integer, got '", Get(name), "'"));
  }
  return v;
}

absl::StatusOr<absl::Duration> Flags::GetDuration(const std::string& name) const {
  absl::Duration d;
  if (!absl::ParseDuration(Get(name), &d) || d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " (", EnvName(name),
                                                   ") must be a duration like 10s or "
                                                   "500ms, got '",
                                                   Get(name), "'"));
  }
  return d;
}

std::string Flags::Usage(const std::string& program) const {
  std::string out = absl::StrCat("usage: ", program, " [--name=value ...]\n\n");
  for (const auto& [name, setting] : settings_) {
    absl::StrAppend(&out, "  --", name, " (env ", EnvName(name), ", default '",
                    setting.default_value, "')\n      ", setting.help, "\n");
  }
  return out;
}

std::string DefaultServiceAddress(absl::string_view service) {
  static constexpr std::pair<absl::string_view, absl::string_view> kAddresses[] = {
      {"directory", "127.0.0.1:7101"},     {"plans", "127.0.0.1:7102"},
      {"approvals", "127.0.0.1:7103"},     {"grading", "127.0.0.1:7104"},
      {"notifications", "127.0.0.1:7105"}, {"support", "127.0.0.1:7106"}};
  for (const auto& [name, address] : kAddresses) {
    if (name == service) return std::string(address);
  }
  return "";
}

void DefineServiceAddressFlags(Flags& flags, std::initializer_list<absl::string_view> services) {
  for (absl::string_view service : services) {
    const std::string address = DefaultServiceAddress(service);
    if (address.empty()) std::abort();  // programming error: not a bdtx service
    flags.Define(std::string(service), address,
                 absl::StrCat("address of the ", service, " service"));
  }
}

}  // namespace bdtx::server
