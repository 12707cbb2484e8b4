// bdtxctl auth: one-time activation codes (ADR 015).
#include "bdtx/v1/sessions.grpc.pb.h"
#include "services/bdtxctl/cli.h"

namespace bdtx::ctl {
namespace {

void DefineFlags(Flags& flags) {
  flags.Define("person", "", "the person (people/ID) or their person code");
  flags.Define("email", "false",
               "true: notifications e-mails the code to the person; it is not shown here");
}

// The directory issues a one-time code for the person's first password or a reset;
// printed once, never stored.
int ActivationCode(const Flags& flags) {
  if (flags.Get("person").empty()) return Fail(absl::InvalidArgumentError("--person is required"));
  auto token = CallToken(flags);
  if (!token.ok()) return Fail(token.status());
  std::string person = flags.Get("person");
  if (person.rfind("people/", 0) != 0) {  // a person code: look the id up
    grpc::ClientContext context;
    Authorize(context, *token);
    bdtx::v1::LookupPersonRequest req;
    req.set_code(person);
    bdtx::v1::Person found;
    grpc::Status s = DirectoryStub(flags.Get("addr"))->LookupPerson(&context, req, &found);
    if (!s.ok()) return Fail(bdtx::FromGrpcStatus(s));
    person = found.name();
  }
  bdtx::v1::IssueActivationCodeRequest req;
  req.set_person(person);
  req.set_send_email(flags.Get("email") == "true");
  return Call(Connect<bdtx::v1::Sessions>(flags, "addr", *token),
              &bdtx::v1::Sessions::Stub::IssueActivationCode, req);
}

}  // namespace

const CommandGroup& AuthCommands() {
  static const CommandGroup group = {
      "auth",
      DefineFlags,
      {{"activation-code",
        "--person people/ID|CODE [--email true]  (one-time code: first password or\n"
        "      reset; give it to the person, who sets a password at\n"
        "      POST /v1/accounts:activate; --email true: notifications e-mails it, not shown)",
        ActivationCode}}};
  return group;
}

}  // namespace bdtx::ctl
