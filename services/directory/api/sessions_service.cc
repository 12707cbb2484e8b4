#include "services/directory/api/sessions_service.h"

#include <chrono>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/auth/subject.h"
#include "common/crypto/sha256.h"
#include "common/mail/address.h"
#include "common/server/logging.h"
#include "common/server/unary.h"
#include "common/status/error_info.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/text/unicode.h"
#include "services/directory/domain/sign_in.h"

namespace bdtx::directory {
namespace {

using server::FinishUnary;

// The one answer for every failed sign-in: never which part was wrong (issue 18).
absl::Status WrongCredentials() {
  return WithErrorInfo(absl::UnauthenticatedError("Tên đăng nhập hoặc mật khẩu không đúng."),
                       "WRONG_CREDENTIALS");
}
absl::Status WrongActivation() {
  return WithErrorInfo(
      absl::UnauthenticatedError(
          "Tên đăng nhập hoặc mã kích hoạt không đúng, hoặc mã đã dùng hay đã hết hạn."),
      "WRONG_ACTIVATION_CODE");
}
absl::Status SessionEnded() {
  return WithErrorInfo(
      absl::UnauthenticatedError("Phiên đăng nhập không còn hiệu lực; vui lòng đăng nhập lại."),
      "SESSION_ENDED");
}

std::string CredKey(absl::string_view id) { return absl::StrCat("cred/", id); }
std::string EmailKey(absl::string_view folded) { return absl::StrCat("email/", folded); }
std::string AccountFailKey(absl::string_view key) { return absl::StrCat("fail/acct/", key); }
std::string AddressFailKey(absl::string_view client) { return absl::StrCat("fail/addr/", client); }
std::string RefreshKey(absl::string_view token) {
  return absl::StrCat("refresh/", Sha256Hex(token));
}
std::string FamilyKey(absl::string_view family) { return absl::StrCat("revoked/", family); }

std::string Folded(absl::string_view s) {
  auto f = text::FoldCase(absl::StripAsciiWhitespace(s));
  return f.ok() ? *f : std::string(s);
}

// Activation codes are typed by people: case, spaces and dashes do not matter.
std::string NormalizedCode(absl::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// The client's address: the gateway's x-bdtx-client-address (the browser's address it
// saw), else the gRPC peer without its port. Only the gateway is reachable from outside
// (ADR 016), so a forged header can only come from inside the cluster.
std::string ClientOf(const grpc::CallbackServerContext& context) {
  const auto& md = context.client_metadata();
  if (auto it = md.find("x-bdtx-client-address"); it != md.end() && it->second.size() <= 64) {
    return std::string(it->second.data(), it->second.size());
  }
  std::string peer = context.peer();  // "ipv4:127.0.0.1:5555", "ipv6:[::1]:5555"
  if (size_t colon = peer.rfind(':'); colon != std::string::npos) peer.resize(colon);
  return peer;
}

std::string Serialized(const google::protobuf::Message& m) { return m.SerializeAsString(); }

}  // namespace

SessionsService::SessionsService(const DirectoryStore* directory,
                                 eventstore::EventStore* credentials, const Clock* clock,
                                 SessionsOptions options)
    : directory_(directory),
      credentials_(credentials),
      clock_(clock),
      options_(std::move(options)) {
  // Same parameters as real hashes, so an unknown username costs the same time.
  dummy_hash_ = HashPassword(RandomToken(16), options_.argon2).value_or("");
}

template <typename T>
std::optional<T> SessionsService::Load(const std::string& key) const {
  auto value = credentials_->GetReadModel(key);
  if (!value.ok() || !value->has_value()) return std::nullopt;
  T out;
  if (!out.ParseFromString(**value)) return std::nullopt;
  return out;
}

SessionsService::Account SessionsService::Resolve(absl::string_view username) const {
  Account account;
  const std::string trimmed(absl::StripAsciiWhitespace(username));
  std::optional<std::string> id;
  if (absl::StrContains(trimmed, '@')) {
    auto v = credentials_->GetReadModel(EmailKey(Folded(trimmed)));
    if (v.ok() && v->has_value()) id = **v;
  } else {
    id = directory_->PersonIdByCode(trimmed);  // codes compare without case (CodeKey)
  }
  if (id) {
    std::optional<Person> p = directory_->FindPerson(*id);
    // An e-mail index entry is only a hint: the directory's current address decides.
    if (p && !p->removed() &&
        (!absl::StrContains(trimmed, '@') || Folded(p->email()) == Folded(trimmed))) {
      account.person = std::move(p);
      account.counter_key = *id;
      return account;
    }
  }
  account.counter_key = absl::StrCat("unknown/", Sha256Hex(Folded(trimmed)));
  return account;
}

absl::Status SessionsService::CheckNotLocked(const Account& account, const std::string& client) {
  const absl::Time now = clock_->Now();
  absl::Duration wait = absl::ZeroDuration();
  if (auto c = Load<bdtx::v1::FailureCounter>(AccountFailKey(account.counter_key))) {
    wait = std::max(wait, LockedFor(*c, now));
  }
  if (auto c = Load<bdtx::v1::FailureCounter>(AddressFailKey(client))) {
    wait = std::max(wait, LockedFor(*c, now));
  }
  return wait > absl::ZeroDuration() ? LockedError(wait) : absl::OkStatus();
}

absl::Status SessionsService::Fail(const Account& account, const std::string& client,
                                   absl::string_view what, absl::Status error) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  auto acct = Load<bdtx::v1::FailureCounter>(AccountFailKey(account.counter_key))
                  .value_or(bdtx::v1::FailureCounter());
  auto addr =
      Load<bdtx::v1::FailureCounter>(AddressFailKey(client)).value_or(bdtx::v1::FailureCounter());
  RecordFailure(&acct, now, kAccountLockout);
  RecordFailure(&addr, now, kAddressLockout);
  if (absl::Status s = Write(account.person ? account.counter_key : "unknown", what, client,
                             {{AccountFailKey(account.counter_key), Serialized(acct)},
                              {AddressFailKey(client), Serialized(addr)}});
      !s.ok()) {
    return s;
  }
  const absl::Duration wait = std::max(LockedFor(acct, now), LockedFor(addr, now));
  return wait > absl::ZeroDuration() ? LockedError(wait) : error;
}

absl::Status SessionsService::Write(const std::string& person_id, absl::string_view what,
                                    const std::string& client,
                                    std::vector<eventstore::ReadModelWrite> writes) {
  bdtx::v1::CredentialEvent event;
  event.set_person(absl::StrCat("people/", person_id));
  event.set_what(std::string(what));
  event.set_client(client);
  eventstore::AppendRequest request;
  request.stream = absl::StrCat("credential-", person_id);
  request.events.push_back(eventstore::MakeEvent(event, event.person(), clock_->Now()));
  request.read_model_writes = std::move(writes);
  auto result = credentials_->Append(std::move(request));
  return result.ok() ? absl::OkStatus() : result.status();
}

absl::StatusOr<bdtx::v1::Session> SessionsService::StartSession(
    const Person& person, const std::string& family, int64_t family_started_micros,
    std::vector<eventstore::ReadModelWrite>* writes) {
  const absl::Time now = clock_->Now();
  auth::Claims claims;
  claims.subject = person.name();
  for (int r : person.roles()) claims.roles.push_back(bdtx::v1::Role_Name(r));
  claims.unit = person.home_unit();
  claims.issuer = options_.issuer;
  claims.audience = options_.audience;
  claims.issued_at = now;
  claims.not_before = now;
  claims.expires_at = now + options_.access_ttl;
  ASSIGN_OR_RETURN(
      std::string jwt,
      auth::MintJwt(claims, auth::SigningKey{auth::JwtAlgorithm::kHs256, options_.hs256_secret}));
  bdtx::v1::Session session;
  session.set_person(person.name());
  session.set_access_token(std::move(jwt));
  session.set_access_expires_in_seconds(absl::ToInt64Seconds(options_.access_ttl));
  session.set_refresh_token(RandomToken(32));
  session.set_refresh_expires_in_seconds(absl::ToInt64Seconds(options_.refresh_ttl));
  bdtx::v1::RefreshRecord record;
  record.set_person(person.name());
  record.set_family(family);
  record.set_expires_unix(absl::ToUnixSeconds(now + options_.refresh_ttl));
  record.set_family_started_unix_micros(family_started_micros);
  writes->push_back({RefreshKey(session.refresh_token()), Serialized(record)});
  return session;
}

grpc::ServerUnaryReactor* SessionsService::CreateSession(
    grpc::CallbackServerContext* context, const bdtx::v1::CreateSessionRequest* request,
    bdtx::v1::Session* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    const std::string client = ClientOf(*context);
    const Account account = Resolve(request->username());
    RETURN_IF_ERROR(CheckNotLocked(account, client));
    std::optional<bdtx::v1::Credential> cred;
    if (account.person) cred = Load<bdtx::v1::Credential>(CredKey(account.counter_key));
    const bool has_hash = cred && !cred->password_hash().empty();
    // Always one Argon2id verification, so timing does not tell unknown usernames.
    const bool verified =
        VerifyPassword(request->password(), has_hash ? cred->password_hash() : dummy_hash_);
    if (!(verified && has_hash)) {
      return Fail(account, client, "SIGN_IN_FAILED", WrongCredentials());
    }
    absl::MutexLock lock(&mu_);
    std::vector<eventstore::ReadModelWrite> writes;
    const int64_t now_micros = absl::ToUnixMicros(clock_->Now());
    ASSIGN_OR_RETURN(auto session,
                     StartSession(*account.person, RandomToken(16), now_micros, &writes));
    writes.push_back({AccountFailKey(account.counter_key), std::nullopt});  // a success resets
    // Keeps sign-in by e-mail working after an import changed the address.
    if (!account.person->email().empty()) {
      writes.push_back({EmailKey(Folded(account.person->email())), account.counter_key});
    }
    if (absl::Status s = Write(account.counter_key, "SIGNED_IN", client, std::move(writes));
        !s.ok()) {
      return s;
    }
    *response = std::move(session);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SessionsService::RefreshSession(
    grpc::CallbackServerContext* context, const bdtx::v1::RefreshSessionRequest* request,
    bdtx::v1::Session* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (request->refresh_token().empty()) return SessionEnded();
    const std::string client = ClientOf(*context);
    absl::MutexLock lock(&mu_);
    auto record = Load<bdtx::v1::RefreshRecord>(RefreshKey(request->refresh_token()));
    if (!record) return SessionEnded();
    const std::string person_id(absl::StripPrefix(record->person(), "people/"));
    if (auto revoked = credentials_->GetReadModel(FamilyKey(record->family()));
        !revoked.ok() || revoked->has_value()) {
      return revoked.ok() ? SessionEnded() : revoked.status();
    }
    if (record->used()) {
      // A token presented twice: one of the two holders stole it. End the sign-in for both.
      server::LogWarning("refresh token reused; sign-in revoked",
                         {{"person", record->person()}, {"client", client}});
      if (absl::Status s = Write(person_id, "REFRESH_REUSED", client,
                                 {{FamilyKey(record->family()), std::string("1")}});
          !s.ok()) {
        return s;
      }
      return SessionEnded();
    }
    const absl::Time now = clock_->Now();
    std::optional<Person> person = directory_->FindPerson(person_id);
    auto cred = Load<bdtx::v1::Credential>(CredKey(person_id));
    if (absl::FromUnixSeconds(record->expires_unix()) <= now || !person || person->removed() ||
        !cred || record->family_started_unix_micros() < cred->sessions_valid_after_unix_micros()) {
      return SessionEnded();
    }
    std::vector<eventstore::ReadModelWrite> writes;
    ASSIGN_OR_RETURN(auto session, StartSession(*person, record->family(),
                                                record->family_started_unix_micros(), &writes));
    record->set_used(true);
    writes.push_back({RefreshKey(request->refresh_token()), Serialized(*record)});
    if (absl::Status s = Write(person_id, "REFRESHED", client, std::move(writes)); !s.ok()) {
      return s;
    }
    *response = std::move(session);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SessionsService::DeleteSession(
    grpc::CallbackServerContext* context, const bdtx::v1::DeleteSessionRequest* request,
    bdtx::v1::DeleteSessionResponse* /*response*/) {
  return FinishUnary(context, [&]() -> absl::Status {
    // Signing out twice, or with an unknown token, is not an error: the outcome holds.
    if (request->refresh_token().empty()) return absl::OkStatus();
    absl::MutexLock lock(&mu_);
    auto record = Load<bdtx::v1::RefreshRecord>(RefreshKey(request->refresh_token()));
    if (!record) return absl::OkStatus();
    return Write(std::string(absl::StripPrefix(record->person(), "people/")), "SIGNED_OUT",
                 ClientOf(*context), {{FamilyKey(record->family()), std::string("1")}});
  });
}

grpc::ServerUnaryReactor* SessionsService::IssueActivationCode(
    grpc::CallbackServerContext* context, const bdtx::v1::IssueActivationCodeRequest* request,
    bdtx::v1::ActivationCode* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Person> person;
  std::string code;  // the secret: answered, or e-mailed; never logged
  absl::Status issued = [&]() -> absl::Status {
    absl::StatusOr<auth::Subject> subject = auth::SubjectFromContext(*context);
    if (!subject.ok()) return subject.status();
    // SYSTEM_ADMIN anywhere; a Sở officer or leader for people of their province. Whoever
    // may never issue a code is refused before the person is looked up (issue 22).
    const absl::Status refused = absl::PermissionDeniedError(
        "chỉ quản trị hệ thống hoặc chuyên viên Sở của tỉnh có người này mới cấp được mã "
        "kích hoạt");
    const bool admin = subject->HasRole(bdtx::v1::SYSTEM_ADMIN);
    const bool province_staff =
        subject->HasRole(bdtx::v1::PROVINCE_OFFICER) || subject->HasRole(bdtx::v1::PROVINCE_LEADER);
    if (!admin && !province_staff) return refused;
    const std::string id(absl::StripPrefix(request->person(), "people/"));
    person = directory_->FindPerson(id);
    if (!person || person->removed()) {
      return absl::NotFoundError(
          absl::StrCat("không có người ", request->person(), " trong danh bạ (hoặc đã bị xoá)"));
    }
    if (!admin) {
      auth::ResourceScope scope{
          UnitAncestry(*directory_, std::string(absl::StripPrefix(person->home_unit(), "units/"))),
          ""};
      if (!auth::Authorize(*subject, auth::Action::kManage, scope).ok()) return refused;
      // A code signs in as the person: never for someone whose roles reach beyond the
      // province (a system admin or ministry officer living there).
      for (int role : person->roles()) {
        if (role == bdtx::v1::SYSTEM_ADMIN || role == bdtx::v1::MINISTRY_OFFICER) return refused;
      }
    }
    if (request->send_email()) {
      // Checked before a code exists: the same rules notifications applies (common/mail).
      if (person->email().empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat(person->name(),
                         " chưa có địa chỉ e-mail trong danh bạ: hãy cấp mã (không gửi e-mail) "
                         "và trao tận tay, hoặc nhập địa chỉ trước"));
      }
      if (absl::Status s = mail::ValidateAddress(person->email()); !s.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("địa chỉ e-mail của ", person->name(),
                         " trong danh bạ không dùng được: ", s.message()));
      }
      if (options_.notifications == nullptr || options_.token == nullptr) {
        return absl::FailedPreconditionError(
            "dịch vụ danh bạ chưa được nối với dịch vụ thông báo (--notifications): không gửi "
            "được e-mail");
      }
    }
    code = RandomCode(12);
    const absl::Time now = clock_->Now();
    absl::MutexLock lock(&mu_);
    bdtx::v1::Credential cred =
        Load<bdtx::v1::Credential>(CredKey(id)).value_or(bdtx::v1::Credential());
    cred.set_person(person->name());
    cred.set_activation_code_sha256(Sha256Hex(code));
    cred.set_activation_expires_unix(absl::ToUnixSeconds(now + options_.activation_ttl));
    std::vector<eventstore::ReadModelWrite> writes = {{CredKey(id), Serialized(cred)}};
    if (!person->email().empty()) writes.push_back({EmailKey(Folded(person->email())), id});
    return Write(id, "ACTIVATION_CODE_ISSUED", subject->name, std::move(writes));
  }();
  if (!issued.ok()) {
    reactor->Finish(ToGrpcStatus(issued));
    return reactor;
  }
  const std::string shown =
      absl::StrCat(code.substr(0, 4), "-", code.substr(4, 4), "-", code.substr(8));
  response->set_person(person->name());
  response->set_expires_in_seconds(absl::ToInt64Seconds(options_.activation_ttl));
  if (!request->send_email()) {
    response->set_code(shown);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  // The code goes to the person only; the caller learns where it went. If the relay does
  // not take it, that code stays unknown to everyone (never answered, stored as a hash
  // only) and the next issue replaces it.
  auto token = options_.token->Get();
  if (!token.ok()) {
    reactor->Finish(ToGrpcStatus(token.status()));
    return reactor;
  }
  struct Call {
    grpc::ClientContext context;
    bdtx::v1::SendActivationCodeRequest request;
    bdtx::v1::SendActivationCodeResponse response;
  };
  auto call = std::make_shared<Call>();
  call->context.AddMetadata("authorization", absl::StrCat("Bearer ", *token));
  call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  call->request.set_person(person->name());
  call->request.set_email(person->email());
  call->request.set_display_name(person->display_name());
  call->request.set_code(shown);
  call->request.mutable_expires()->set_seconds(
      absl::ToUnixSeconds(clock_->Now() + options_.activation_ttl));
  options_.notifications->async()->SendActivationCode(
      &call->context, &call->request, &call->response,
      [call, reactor, response, email = person->email()](grpc::Status status) {
        call->request.clear_code();
        if (status.ok()) {
          response->set_emailed_to(email);
          reactor->Finish(grpc::Status::OK);
          return;
        }
        const grpc::StatusCode code = status.error_code() == grpc::StatusCode::INVALID_ARGUMENT
                                          ? grpc::StatusCode::FAILED_PRECONDITION
                                          : status.error_code();
        reactor->Finish(
            grpc::Status(code, absl::StrCat("chưa gửi được mã kích hoạt qua e-mail (",
                                            status.error_message(), "); hãy cấp lại mã")));
      });
  return reactor;
}

grpc::ServerUnaryReactor* SessionsService::ActivateAccount(
    grpc::CallbackServerContext* context, const bdtx::v1::ActivateAccountRequest* request,
    bdtx::v1::ActivateAccountResponse* /*response*/) {
  return FinishUnary(context, [&]() -> absl::Status {
    const std::string client = ClientOf(*context);
    const Account account = Resolve(request->username());
    RETURN_IF_ERROR(CheckNotLocked(account, client));
    if (absl::Status s =
            CheckNewPassword(request->new_password(), account.person ? account.person->code() : "",
                             account.person ? account.person->email() : "");
        !s.ok()) {
      return s;
    }
    ASSIGN_OR_RETURN(std::string hash, HashPassword(request->new_password(), options_.argon2));
    const absl::Time now = clock_->Now();
    {
      absl::MutexLock lock(&mu_);
      std::optional<bdtx::v1::Credential> cred;
      if (account.person) cred = Load<bdtx::v1::Credential>(CredKey(account.counter_key));
      const bool valid = cred && !cred->activation_code_sha256().empty() &&
                         absl::FromUnixSeconds(cred->activation_expires_unix()) > now &&
                         ConstantTimeEquals(Sha256Hex(NormalizedCode(request->activation_code())),
                                            cred->activation_code_sha256());
      if (valid) {
        cred->set_password_hash(hash);
        cred->clear_activation_code_sha256();  // single use
        cred->clear_activation_expires_unix();
        cred->set_password_set_unix(absl::ToUnixSeconds(now));
        cred->set_sessions_valid_after_unix_micros(absl::ToUnixMicros(now));  // a reset ends them
        return Write(account.counter_key, "PASSWORD_SET", client,
                     {{CredKey(account.counter_key), Serialized(*cred)},
                      {AccountFailKey(account.counter_key), std::nullopt}});
      }
    }
    return Fail(account, client, "ACTIVATION_FAILED", WrongActivation());
  });
}

grpc::ServerUnaryReactor* SessionsService::ChangePassword(
    grpc::CallbackServerContext* context, const bdtx::v1::ChangePasswordRequest* request,
    bdtx::v1::ChangePasswordResponse* /*response*/) {
  return FinishUnary(context, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(auth::Subject subject, auth::SubjectFromContext(*context));
    if (!absl::StartsWith(subject.name, "people/")) {
      return absl::PermissionDeniedError("chỉ người dùng mới đổi được mật khẩu của mình");
    }
    const std::string client = ClientOf(*context);
    Account account;
    account.counter_key = std::string(absl::StripPrefix(subject.name, "people/"));
    account.person = directory_->FindPerson(account.counter_key);
    if (!account.person) return SessionEnded();
    RETURN_IF_ERROR(CheckNotLocked(account, client));
    auto cred = Load<bdtx::v1::Credential>(CredKey(account.counter_key));
    if (!cred || cred->password_hash().empty() ||
        !VerifyPassword(request->old_password(), cred->password_hash())) {
      return Fail(account, client, "PASSWORD_CHANGE_FAILED",
                  WithErrorInfo(absl::UnauthenticatedError("Mật khẩu hiện tại không đúng."),
                                "WRONG_CREDENTIALS"));
    }
    if (absl::Status s = CheckNewPassword(request->new_password(), account.person->code(),
                                          account.person->email());
        !s.ok()) {
      return s;
    }
    ASSIGN_OR_RETURN(std::string hash, HashPassword(request->new_password(), options_.argon2));
    absl::MutexLock lock(&mu_);
    cred = Load<bdtx::v1::Credential>(CredKey(account.counter_key));
    if (!cred) return SessionEnded();
    const absl::Time now = clock_->Now();
    cred->set_password_hash(hash);
    cred->set_password_set_unix(absl::ToUnixSeconds(now));
    cred->set_sessions_valid_after_unix_micros(absl::ToUnixMicros(now));
    return Write(account.counter_key, "PASSWORD_CHANGED", client,
                 {{CredKey(account.counter_key), Serialized(*cred)}});
  });
}

}  // namespace bdtx::directory
