// Who is told what, and when: the notification rules over approval and grading events,
// reminder timers, retry schedules and the shape of e-mails and webhook bodies. Pure C++:
// no gRPC, storage or clock (callers pass "now" and randomness in). Rules table:
// docs/notifications.md.
#ifndef BDTX_SERVICES_NOTIFICATIONS_DOMAIN_RULES_H_
#define BDTX_SERVICES_NOTIFICATIONS_DOMAIN_RULES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bdtx/v1/approvals.pb.h"
#include "bdtx/v1/grading.pb.h"
#include "bdtx/v1/notifications.pb.h"
#include "bdtx/v1/support.pb.h"

namespace bdtx::notifications {

// What one approval event means: notifications (recipient, kind, texts; the store names
// and numbers them) and the document's facts after it.
struct ApprovalOutcome {
  std::vector<bdtx::v1::Notification> notifications;
  bdtx::v1::DocumentFacts facts;
};

// How texts name a person: "people/gvcc-001" -> "Nguyễn Thanh Tâm" (the caller looks
// the directory up; the rules stay pure). An empty function, or one answering the
// resource name itself, leaves ids in the text.
using NameOf = std::function<std::string(const std::string& resource_name)>;

// `known`: the facts from earlier events of the document (nullptr for its first event).
// Texts name people through `name_of` ("kế hoạch mô đun 4 năm 2023 của Nguyễn Thanh Tâm").
ApprovalOutcome OnApprovalEvent(const bdtx::v1::StoredEvent& event,
                                const bdtx::v1::DocumentFacts* known,
                                const NameOf& name_of = nullptr);

// What one grading event means for the classes notifications follows: the class's facts
// after it (nullopt when the event is not about a class run) and timers to set.
struct GradingOutcome {
  std::optional<bdtx::v1::ClassWatch> watch;
  std::vector<bdtx::v1::Timer> timers;
};
GradingOutcome OnGradingEvent(const bdtx::v1::StoredGradingEvent& event,
                              const bdtx::v1::ClassWatch* known);

// An LMS row for a learner of the class: quiz and survey done.
void ApplyLmsRow(const bdtx::v1::LmsRow& row, bdtx::v1::ClassWatch& watch);

// What each learner of a class has not done yet (quiz, final assignment, survey).
struct MissingWork {
  std::string learner;  // bare id
  std::vector<std::string> missing;
};
std::vector<MissingWork> LearnersMissingWork(const bdtx::v1::ClassWatch& watch);

// The nudge to one core member about their colleagues in the class (plan rows 3.1, 4.1);
// `stale` timers (the run changed) say nothing: check with NudgeIsCurrent first.
bdtx::v1::Notification NudgeCoreMember(const std::string& core_member,
                                       const bdtx::v1::ClassWatch& watch,
                                       const std::vector<MissingWork>& learners,
                                       const bdtx::v1::Timer& timer,
                                       const NameOf& name_of = nullptr);
bool NudgeIsCurrent(const bdtx::v1::Timer& timer, const bdtx::v1::ClassWatch& watch);

// What one support event means (issue 21): the core member told of a new question, the
// lecturer of an escalation, the asker of each answer, and a reminder timer for 08:00
// two days before the answer falls due (question, escalation, follow-up). Texts name
// the people and dates, never the question itself (e-mails leave the system).
struct SupportOutcome {
  std::vector<bdtx::v1::Notification> notifications;
  std::vector<bdtx::v1::Timer> timers;
};
SupportOutcome OnSupportEvent(const bdtx::v1::StoredSupportEvent& event);

// What a due SUPPORT_QUESTION_DUE_SOON timer says given the question as the support
// service has it now: a reminder to whoever must answer, or nothing when it was answered
// meanwhile or its due time changed (the timer is stale).
std::vector<bdtx::v1::Notification> OnSupportTimer(const bdtx::v1::Timer& timer,
                                                   const bdtx::v1::Question& question);

// The end of a Vietnam day (23:59:59 UTC+7) and 08:00 of it, when reminders go out.
absl::Time MorningOf(const bdtx::v1::Date& day);

// The reminders of a class's grading deadline: 2 days before (08:00) and the morning
// after it. Their ids name the class and the deadline, so setting them twice is one set.
std::vector<bdtx::v1::Timer> GradingTimers(const bdtx::v1::ClassWatch& watch);

// What a due timer says now: nothing when it is stale (the deadline was extended) or
// when every submitted assignment is graded.
std::vector<bdtx::v1::Notification> OnGradingTimer(const bdtx::v1::Timer& timer,
                                                   const bdtx::v1::ClassWatch& watch);

// The campaign deadline digests: for each person with documents waiting on them (the
// documents of `year`/`module`, or of every module when module is 0), one notification
// listing them.
std::vector<bdtx::v1::Notification> CampaignDigests(
    const std::vector<bdtx::v1::DocumentFacts>& pending, int year, int module, int days_left,
    const NameOf& name_of = nullptr);

// 07:00 Vietnam time on the first day after `now` that has it still ahead: when daily
// digests go out.
absl::Time NextDigestTime(absl::Time now);

// One notification summarising `held` (oldest first) for the daily digest mail of `person`.
bdtx::v1::Notification DailyDigest(const std::string& person,
                                   const std::vector<bdtx::v1::Notification>& held);

// The e-mail with a sign-in activation code (Vietnamese): who it is for, the code, when
// it expires (Vietnam time), how to use it, and what to do if nobody asked for it. Its
// name is "activation/<person id>" (the Message-ID), never the code.
bdtx::v1::Notification ActivationCodeEmail(const bdtx::v1::SendActivationCodeRequest& request);

// Retry schedule: 1 s, 2 s, 4 s, ... capped at `cap`, times a jitter in [0.5, 1.0)
// from `random` (any 64-bit value).
absl::Duration Backoff(int attempts, uint64_t random, absl::Duration base = absl::Seconds(1),
                       absl::Duration cap = absl::Minutes(10));

// An RFC 5322 message (UTF-8, base64 body) for `notification` to `to`. The subject is
// RFC 2047 encoded-words ("=?UTF-8?B?...?=") of at most 75 characters each, never
// splitting a UTF-8 character, on folded lines of at most 78 characters. INVALID_ARGUMENT
// when `from` or `to` is not a valid address (common/mail) — no header value with CR or
// LF is ever produced.
absl::StatusOr<std::string> ComposeEmail(const std::string& from, const std::string& to,
                                         const bdtx::v1::Notification& notification,
                                         absl::Time now);

// `text` as the value of header `field` ("Subject"): RFC 2047 B encoded-words of UTF-8,
// each at most 75 characters and holding whole characters, folded (CRLF SP) so that
// every line, "Subject: " included, is at most 78 characters. No trailing CRLF.
std::string EncodeHeader(absl::string_view field, absl::string_view text);

// The JSON body of a webhook POST (the notification, protobuf JSON mapping).
std::string WebhookBody(const bdtx::v1::Notification& notification);

// How long a rotated-out personal webhook secret keeps signing (docs/notifications.md).
inline constexpr absl::Duration kWebhookRotationOverlap = absl::Hours(24);
// Most signing keys a personal webhook holds at once (the current one included): a
// person rotating again and again cannot grow every request's signature header.
inline constexpr int kMaxWebhookKeys = 4;

// The keys after a rotation at `now` to `new_secret`: the new one first (current), the
// key current until now kept for kWebhookRotationOverlap, and keys rotated out earlier
// kept until their own not_after (each rotation's previous_valid_until is a promise a
// later rotation does not shorten), newest first, at most kMaxWebhookKeys; expired
// keys are dropped.
std::vector<bdtx::v1::WebhookSigningKey> RotateWebhookKeys(
    const google::protobuf::RepeatedPtrField<bdtx::v1::WebhookSigningKey>& keys,
    const std::string& new_secret, absl::Time now);

// The secrets that sign a personal webhook sent at `now`: the current key and every
// rotated-out key whose not_after is still ahead.
std::vector<std::string> WebhookSigningSecrets(
    const google::protobuf::RepeatedPtrField<bdtx::v1::WebhookSigningKey>& keys, absl::Time now);

}  // namespace bdtx::notifications

#endif  // BDTX_SERVICES_NOTIFICATIONS_DOMAIN_RULES_H_
