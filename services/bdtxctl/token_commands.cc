// bdtxctl token: mint a token for a person (tests, scripts, a gateway-less session).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

void DefineFlags(Flags& flags) {
  flags.Define("person", "", "subject of the token (people/ID)");
  flags.Define("roles", "", "comma-separated roles for the token, e.g. core_teacher,reporter");
  flags.Define("unit", "", "home unit claim of the token (units/ID)");
  flags.Define("directory", "", "look roles and unit up in this directory when minting");
}

int MintToken(const Flags& flags) {
  if (flags.Get("person").empty()) return Fail(absl::InvalidArgumentError("--person is required"));
  std::vector<std::string> roles;
  for (absl::string_view r : absl::StrSplit(flags.Get("roles"), ',', absl::SkipWhitespace())) {
    roles.push_back(absl::AsciiStrToUpper(r));
  }
  std::string unit = flags.Get("unit");
  if (!flags.Get("directory").empty()) {
    auto admin = ctl::Mint(flags, "operators/bdtxctl", {"SYSTEM_ADMIN"}, "");
    if (!admin.ok()) return Fail(admin.status());
    grpc::ClientContext context;
    Authorize(context, *admin);
    bdtx::v1::GetPersonRequest req;
    req.set_name(flags.Get("person"));
    bdtx::v1::Person person;
    grpc::Status s = DirectoryStub(flags.Get("directory"))->GetPerson(&context, req, &person);
    if (!s.ok()) return Fail(bdtx::FromGrpcStatus(s));
    if (roles.empty()) {
      for (int r : person.roles())
        roles.push_back(bdtx::v1::Role_Name(static_cast<bdtx::v1::Role>(r)));
    }
    if (unit.empty()) unit = person.home_unit();
  }
  for (const std::string& r : roles) {
    bdtx::v1::Role parsed;
    if (!bdtx::v1::Role_Parse(r, &parsed)) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("unknown role ", r)));
    }
  }
  auto token = ctl::Mint(flags, flags.Get("person"), roles, unit);
  if (!token.ok()) return Fail(token.status());
  std::printf("%s\n", token->c_str());
  return 0;
}

}  // namespace

const CommandGroup& TokenCommands() {
  static const CommandGroup group = {
      "token",
      DefineFlags,
      {{"mint",
        "--person people/ID [--roles r1,r2] [--unit units/ID] [--ttl 1h] [--directory ADDR]",
        MintToken}}};
  return group;
}

}  // namespace bdtx::ctl
