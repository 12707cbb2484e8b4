// bdtxctl: the operator's command line.
//
//   bdtxctl GROUP COMMAND [--flag value ...]      bdtxctl help [GROUP]
//
// Each group (token, directory, auth, approvals, grading, support, plans, notifications,
// admin, demo) lives in `<group>_commands.cc` with its own flags and a table of commands;
// this file only prints help from the tables and dispatches. Flags are spelled
// --key-file or --key_file, `--flag value` or `--flag=value`, or BDTX_<FLAG> in the
// environment. Calls to services carry --token (or BDTX_TOKEN); without one, bdtxctl mints
// a short-lived token from --key-file: SYSTEM_ADMIN for operator commands, the person's
// roles for --as: whoever holds the key is an operator.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/auth/jwt.h"
#include "grpc/grpc.h"
#include "services/bdtxctl/cli.h"

namespace {

using bdtx::ctl::CommandGroup;
using bdtx::ctl::Flags;

const std::vector<const CommandGroup*>& Groups() {
  static const std::vector<const CommandGroup*> groups = {
      &bdtx::ctl::TokenCommands(),   &bdtx::ctl::DirectoryCommands(),
      &bdtx::ctl::AuthCommands(),    &bdtx::ctl::ApprovalsCommands(),
      &bdtx::ctl::GradingCommands(), &bdtx::ctl::SupportCommands(),
      &bdtx::ctl::PlansCommands(),   &bdtx::ctl::NotificationsCommands(),
      &bdtx::ctl::AdminCommands(),   &bdtx::ctl::DemoCommands()};
  return groups;
}

const CommandGroup* FindGroup(const std::string& name) {
  for (const CommandGroup* g : Groups()) {
    if (g->name == name) return g;
  }
  return nullptr;
}

void PrintCommands(const CommandGroup& group, std::FILE* out) {
  for (const bdtx::ctl::Command& c : group.commands) {
    std::fprintf(out, "  bdtxctl %s %s %s\n", group.name.c_str(), c.name.c_str(), c.usage.c_str());
  }
}

// Every command, one per line (continuations indented); exit code 2 (a usage error)
// unless help was asked for.
int Usage(int exit_code) {
  std::FILE* out = exit_code == 0 ? stdout : stderr;
  std::fputs("usage:\n", out);
  for (const CommandGroup* g : Groups()) PrintCommands(*g, out);
  std::fputs(
      "common flags: --addr (directory, default 127.0.0.1:7101), --key-file, --token, --ttl,\n"
      "  --as; `bdtxctl help GROUP` lists a group's flags\n",
      out);
  return exit_code;
}

// A group's commands and every flag they take.
int GroupUsage(const CommandGroup& group, int exit_code) {
  std::FILE* out = exit_code == 0 ? stdout : stderr;
  std::fputs("usage:\n", out);
  PrintCommands(group, out);
  Flags flags;
  bdtx::ctl::DefineCommonFlags(flags);
  group.define_flags(flags);
  std::fputs(flags.Usage(absl::StrCat("bdtxctl ", group.name, " COMMAND")).c_str(), out);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string first = argc > 1 ? argv[1] : "";
  if (first == "help" || first == "--help" || first == "-h") {
    const CommandGroup* group = argc > 2 ? FindGroup(argv[2]) : nullptr;
    return group != nullptr ? GroupUsage(*group, 0) : Usage(0);
  }
  if (argc < 3) {
    const CommandGroup* group = FindGroup(first);
    return group != nullptr ? GroupUsage(*group, 2) : Usage(2);
  }
  const CommandGroup* group = FindGroup(first);
  if (group == nullptr) return Usage(2);
  const std::string verb = argv[2];
  const auto command = std::find_if(group->commands.begin(), group->commands.end(),
                                    [&](const bdtx::ctl::Command& c) { return c.name == verb; });
  if (command == group->commands.end()) return GroupUsage(*group, 2);

  Flags flags;
  bdtx::ctl::DefineCommonFlags(flags);
  group->define_flags(flags);
  // Accept --key-file as well as --key_file.
  std::vector<std::string> args = {argv[0]};
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      const size_t eq = a.find('=');
      std::string name = a.substr(0, eq);
      std::replace(name.begin() + 2, name.end(), '-', '_');
      a = eq == std::string::npos ? name : name + a.substr(eq);
    }
    args.push_back(a);
  }
  std::vector<const char*> cargs;
  for (const std::string& a : args) cargs.push_back(a.c_str());
  if (absl::Status s = flags.Parse(static_cast<int>(cargs.size()), cargs.data(),
                                   bdtx::server::ProcessEnvironment());
      !s.ok()) {
    return bdtx::ctl::Fail(s);
  }
  if (flags.help_requested()) return GroupUsage(*group, 0);
  if (!flags.Get("tls_ca_file").empty()) {
    absl::StatusOr<std::string> ca = bdtx::auth::ReadKeyFile(flags.Get("tls_ca_file"));
    if (!ca.ok()) return bdtx::ctl::Fail(ca.status());
    bdtx::ctl::TlsCa() = *std::move(ca);
  }
  // gRPC releases channels (and their TLS contexts) on its own threads after the last
  // stub goes; wait for that before exiting, or LeakSanitizer may see them mid-release.
  grpc_init();
  const int rc = command->run(flags);
  grpc_shutdown_blocking();
  return rc;
}
