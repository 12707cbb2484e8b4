// Sign-in for people (issue 18, ADR 015): the bdtx.v1.Sessions service, served by the
// directory process (which owns people) from a credentials event store of its own, so
// sign-ins never move the directory's version (ADR 012 watchers) and the gateway stays
// stateless. Passwords are Argon2id; access tokens are the JWTs every service already
// verifies; refresh tokens are random, stored as SHA-256, single use and rotated, and a
// reused one revokes its whole sign-in ("family").
//
// Thread-safe. Hashing (~100 ms at the default parameters) runs outside the lock.
#ifndef BDTX_SERVICES_DIRECTORY_API_SESSIONS_SERVICE_H_
#define BDTX_SERVICES_DIRECTORY_API_SESSIONS_SERVICE_H_

#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bdtx/v1/sessions.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/auth/service_token.h"
#include "common/clock/clock.h"
#include "common/crypto/password.h"
#include "common/eventstore/event_store.h"
#include "services/directory/store/directory_store.h"

namespace bdtx::directory {

struct SessionsOptions {
  std::string hs256_secret;  // signs access tokens (the services' --auth_key_file)
  std::string issuer = "bdtx";
  std::string audience = "bdtx";
  absl::Duration access_ttl = absl::Minutes(15);
  absl::Duration refresh_ttl = absl::Hours(14 * 24);
  absl::Duration activation_ttl = absl::Hours(72);
  Argon2Params argon2;
  // Where IssueActivationCode with send_email sends the code (bdtx.v1.Notifications
  // SendActivationCode, as services/directory with `token`). Null: e-mail unavailable.
  // Not owned.
  bdtx::v1::Notifications::StubInterface* notifications = nullptr;
  auth::ServiceToken* token = nullptr;
};

class SessionsService final : public bdtx::v1::Sessions::CallbackService {
 public:
  // Nothing is owned; all must outlive the service. `credentials` is not the
  // directory's event store.
  SessionsService(const DirectoryStore* directory, eventstore::EventStore* credentials,
                  const Clock* clock, SessionsOptions options);

  grpc::ServerUnaryReactor* CreateSession(grpc::CallbackServerContext* context,
                                          const bdtx::v1::CreateSessionRequest* request,
                                          bdtx::v1::Session* response) override;
  grpc::ServerUnaryReactor* RefreshSession(grpc::CallbackServerContext* context,
                                           const bdtx::v1::RefreshSessionRequest* request,
                                           bdtx::v1::Session* response) override;
  grpc::ServerUnaryReactor* DeleteSession(grpc::CallbackServerContext* context,
                                          const bdtx::v1::DeleteSessionRequest* request,
                                          bdtx::v1::DeleteSessionResponse* response) override;
  grpc::ServerUnaryReactor* IssueActivationCode(grpc::CallbackServerContext* context,
                                                const bdtx::v1::IssueActivationCodeRequest* request,
                                                bdtx::v1::ActivationCode* response) override;
  grpc::ServerUnaryReactor* ActivateAccount(grpc::CallbackServerContext* context,
                                            const bdtx::v1::ActivateAccountRequest* request,
                                            bdtx::v1::ActivateAccountResponse* response) override;
  grpc::ServerUnaryReactor* ChangePassword(grpc::CallbackServerContext* context,
                                           const bdtx::v1::ChangePasswordRequest* request,
                                           bdtx::v1::ChangePasswordResponse* response) override;

 private:
  struct Account {
    std::optional<Person> person;  // absent: no such username (still counted, never said)
    std::string counter_key;       // the person's id, or the folded unknown username
  };
  Account Resolve(absl::string_view username) const;
  absl::Status CheckNotLocked(const Account& account, const std::string& client);
  // Counts a failure for the account and the address; the lock error when it locked.
  absl::Status Fail(const Account& account, const std::string& client, absl::string_view what,
                    absl::Status error);
  absl::StatusOr<bdtx::v1::Session> StartSession(const Person& person, const std::string& family,
                                                 int64_t family_started_micros,
                                                 std::vector<eventstore::ReadModelWrite>* writes);
  absl::Status Write(const std::string& person_id, absl::string_view what,
                     const std::string& client, std::vector<eventstore::ReadModelWrite> writes);
  template <typename T>
  std::optional<T> Load(const std::string& key) const;

  const DirectoryStore* const directory_;
  eventstore::EventStore* const credentials_;
  const Clock* const clock_;
  const SessionsOptions options_;
  std::string dummy_hash_;  // verified against when there is no hash: equal timing
  absl::Mutex mu_;          // every read-modify-write of the credentials store
};

}  // namespace bdtx::directory

#endif  // BDTX_SERVICES_DIRECTORY_API_SESSIONS_SERVICE_H_
