// Service configuration from command-line flags and BDTX_* environment variables.
// A flag wins over the environment, which wins over the default; every setting has a
// working default so a service runs with no configuration at all.
//
// Example:
//   Flags flags;
//   flags.Define("listen", "127.0.0.1:7101", "address:port to serve gRPC on");
//   RETURN_IF_ERROR(flags.Parse(argc, argv, ProcessEnvironment()));
//   std::string listen = flags.Get("listen");   // --listen=... or BDTX_LISTEN
#ifndef BDTX_COMMON_SERVER_FLAGS_H_
#define BDTX_COMMON_SERVER_FLAGS_H_

#include <initializer_list>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bdtx::server {

using Environment = std::map<std::string, std::string>;

// The process environment, as a map.
Environment ProcessEnvironment();

// Not thread-safe while Define/Parse run; Get* are safe afterwards.
class Flags {
 public:
  // Declares a setting. `name` is lower_snake_case; its environment variable is
  // BDTX_<NAME> (upper case).
  void Define(const std::string& name, const std::string& default_value, const std::string& help);

  // Reads `--name=value` / `--name value` arguments and the environment. Unknown
  // flags and positional arguments are INVALID_ARGUMENT naming them. `--help` sets
  // help_requested().
  absl::Status Parse(int argc, const char* const* argv, const Environment& env);

  bool Has(const std::string& name) const { return settings_.count(name) > 0; }
  // REQUIRES: `name` was defined.
  const std::string& Get(const std::string& name) const;
  absl::StatusOr<int64_t> GetInt(const std::string& name) const;
  absl::StatusOr<absl::Duration> GetDuration(const std::string& name) const;  // "10s"

  bool help_requested() const { return help_requested_; }
  std::string Usage(const std::string& program) const;

  static std::string EnvName(const std::string& name);

 private:
  struct Setting {
    std::string value;
    std::string default_value;
    std::string help;
  };
  std::map<std::string, Setting> settings_;
  bool help_requested_ = false;
};

// Where each bdtx service listens by default on one machine: directory 127.0.0.1:7101,
// plans :7102, approvals :7103, grading :7104, notifications :7105, support :7106; ""
// for another name. The one table the services, the gateway and bdtxctl share.
std::string DefaultServiceAddress(absl::string_view service);

// Defines --<service> = DefaultServiceAddress(service), "address of the <service>
// service", for each peer service a binary calls. REQUIRES: known service names.
void DefineServiceAddressFlags(Flags& flags, std::initializer_list<absl::string_view> services);

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_FLAGS_H_
