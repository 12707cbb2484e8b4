#include "services/notifications/api/pipeline.h"

#include <deque>
#include <map>
#include <random>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/server/logging.h"
#include "common/server/metrics.h"
#include "common/server/trace.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/histogram.h"
#include "services/notifications/delivery/net.h"
#include "services/notifications/delivery/signature.h"
#include "services/notifications/delivery/webhook_url.h"
#include "services/notifications/domain/rules.h"

namespace bdtx::notifications {
namespace {

namespace v1 = ::bdtx::v1;
using server::LogInfo;
using server::LogWarning;

uint64_t Random() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

// "runs/{id}" and "assignments/{id}/{learner}" belong to class "classes/{id}".
std::string ClassOf(const std::string& stream) {
  const size_t slash = stream.find('/');
  if (slash == std::string::npos) return "";
  const std::string rest = stream.substr(slash + 1);
  if (absl::StartsWith(stream, "runs/")) return absl::StrCat("classes/", rest);
  if (absl::StartsWith(stream, "assignments/")) {
    return absl::StrCat("classes/", rest.substr(0, rest.find('/')));
  }
  return "";
}

}  // namespace

Pipeline::Pipeline(NotificationsStore* store, clients::DirectoryClient* directory,
                   v1::Approvals::StubInterface* approvals, v1::Grading::StubInterface* grading,
                   auth::ServiceToken* token, const Clock* clock, PipelineOptions options)
    : store_(store),
      directory_(directory),
      approvals_(approvals),
      grading_(grading),
      token_(token),
      clock_(clock),
      options_(std::move(options)) {
  approvals_source_.name = "approvals";
  grading_source_.name = "grading";
  support_source_.name = "support";
}

Pipeline::~Pipeline() { Stop(); }

std::vector<v1::DeliveryJob> Pipeline::Plan(const v1::Notification& n) {
  std::vector<v1::DeliveryJob> jobs;
  if (absl::StartsWith(n.recipient(), "people/")) {
    auto prefs = store_->Preferences(n.recipient());
    const bool has_prefs = prefs.ok() && prefs->has_value();
    if (!options_.smtp.url.empty() && (!has_prefs || (*prefs)->email())) {
      auto person = directory_->GetPerson(n.recipient());
      if (person.ok() && !person->email().empty()) {
        v1::DeliveryJob job;
        job.set_channel(v1::EMAIL);
        job.set_target(person->email());
        job.set_digest(has_prefs && (*prefs)->email_digest_daily());
        jobs.push_back(std::move(job));
      } else if (!person.ok()) {
        LogWarning("no e-mail: directory lookup failed",
                   {{"recipient", n.recipient()}, {"error", person.status().ToString()}});
      }
    }
    if (has_prefs && (*prefs)->webhook() && !(*prefs)->webhook_url().empty()) {
      v1::DeliveryJob job;
      job.set_channel(v1::WEBHOOK);
      job.set_target((*prefs)->webhook_url());
      jobs.push_back(std::move(job));
    }
  }
  if (!options_.webhook_url.empty()) {
    v1::DeliveryJob job;
    job.set_id("WEBHOOK-system");
    job.set_channel(v1::WEBHOOK);
    job.set_target(options_.webhook_url);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

absl::Status Pipeline::Start() {
  // Campaign reminders: 7 days and 1 day before each configured deadline.
  for (const auto& [key, deadline] : options_.deadlines.entries()) {
    for (int days : {7, 1}) {
      v1::Timer t;
      t.set_id(absl::StrCat("campaign/", key.first, "/", key.second, "/", days));
      t.mutable_fire_at()->set_seconds(absl::ToUnixSeconds(deadline - absl::Hours(24 * days)));
      t.set_kind(v1::CAMPAIGN_DEADLINE_DIGEST);
      t.set_subject(absl::StrCat(key.first, "/", key.second));
      t.set_deadline(absl::StrCat(days));
      RETURN_IF_ERROR(store_->EnsureTimer(t, clock_->Now()));
    }
  }
  email_workers_ = std::make_unique<server::WorkQueue>(4);
  webhook_workers_ = std::make_unique<server::WorkQueue>(4);
  if (approvals_ != nullptr) threads_.emplace_back([this] { FollowApprovals(); });
  if (grading_ != nullptr) threads_.emplace_back([this] { FollowGrading(); });
  if (support_ != nullptr) threads_.emplace_back([this] { FollowSupport(); });
  threads_.emplace_back([this] { TimerLoop(); });
  threads_.emplace_back([this] { DeliveryLoop(); });
  return absl::OkStatus();
}

void Pipeline::Stop() {
  if (stopped_.exchange(true)) return;
  stopping_.Notify();
  for (Source* s : {&approvals_source_, &grading_source_, &support_source_}) {
    absl::MutexLock lock(&s->mu);
    if (s->context != nullptr) s->context->TryCancel();
  }
  for (std::thread& t : threads_) t.join();
  email_workers_.reset();  // finishes the attempts under way
  webhook_workers_.reset();
}

bool Pipeline::Sleep(absl::Duration d) { return !stopping_.WaitForNotificationWithTimeout(d); }

void Pipeline::Follow(Source& source,
                      const std::function<absl::Status(grpc::ClientContext&)>& follow) {
  absl::Duration pause = absl::Milliseconds(200);
  while (!stopping_.HasBeenNotified()) {
    grpc::ClientContext ctx;
    auto token = token_->Get();
    absl::Status s = token.status();
    if (token.ok()) {
      ctx.AddMetadata("authorization", "Bearer " + *token);
      {
        absl::MutexLock lock(&source.mu);
        source.context = &ctx;
      }
      if (stopping_.HasBeenNotified()) ctx.TryCancel();
      s = follow(ctx);
      absl::MutexLock lock(&source.mu);
      source.context = nullptr;
    }
    source.connected = false;
    if (stopping_.HasBeenNotified()) return;
    {
      absl::MutexLock lock(&source.mu);
      source.last_error = s.ToString();
    }
    LogWarning("event stream interrupted; resuming from the checkpoint",
               {{"source", source.name}, {"error", s.ToString()}});
    if (!Sleep(pause)) return;
    pause = std::min(pause * 2, absl::Seconds(10));
  }
}

namespace {

// Reads the stream on this thread and produces on a helper thread, in batches of whatever
// has arrived meanwhile: while one batch commits (a synced write) the next one grows, so
// the consumer keeps up with a busy source instead of paying one sync per event.
template <typename Event>
struct ProduceQueue {
  static constexpr size_t kMaxBatch = 1000, kMaxQueued = 20000;
  std::deque<Event> queue;
  bool ended = false;
  absl::Status failure;
  bool Ready() const { return !queue.empty() || ended; }
  bool HasRoom() const { return queue.size() < kMaxQueued || !failure.ok(); }
};

// Seconds from an event's append in its source to its notifications being committed here.
prometheus::Histogram& LagHistogram(const std::string& source) {
  static auto& family = prometheus::BuildHistogram()
                            .Name("bdtx_notifications_lag_seconds")
                            .Help(
                                "time from a source event's append to its notifications "
                                "being stored (the newest event of each batch)")
                            .Register(server::MetricsRegistry());
  return family.Add({{"source", source}},
                    prometheus::Histogram::BucketBoundaries{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                                                            120, 300, 900});
}

template <typename Event, typename Reader, typename Build>
absl::Status ReadAndProduce(grpc::ClientContext& ctx, Reader& reader, int64_t checkpoint,
                            NotificationsStore* store, const Clock* clock, Build build,
                            const std::string& source) {
  prometheus::Histogram& lag = LagHistogram(source);
  using Queue = ProduceQueue<Event>;
  absl::Mutex mu;
  Queue state;
  std::thread producer([&] {
    while (true) {
      std::vector<Event> batch;
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(&state, &Queue::Ready));
        if (state.queue.empty()) return;
        while (!state.queue.empty() && batch.size() < Queue::kMaxBatch) {
          batch.push_back(std::move(state.queue.front()));
          state.queue.pop_front();
        }
      }
      // No call started this work: each batch is the root of a trace of its own, so its
      // reads from other services and its log lines can be found together.
      server::ScopedTrace span(std::make_shared<const server::TraceContext>(
          server::TraceContext::StartSpan(std::nullopt)));
      absl::StatusOr<std::vector<Production>> productions = build(batch);
      absl::Status s = productions.status();
      const absl::Time now = clock->Now();
      if (s.ok()) s = store->ProduceBatch(*std::move(productions), now).status();
      if (s.ok() && batch.back().has_time()) {
        const absl::Time appended = absl::FromUnixSeconds(batch.back().time().seconds()) +
                                    absl::Nanoseconds(batch.back().time().nanos());
        lag.Observe(std::max(0.0, absl::ToDoubleSeconds(now - appended)));
      }
      if (!s.ok()) {
        absl::MutexLock lock(&mu);
        state.failure = s;
        state.ended = true;
        state.queue.clear();
        ctx.TryCancel();
        return;
      }
    }
  });
  Event e;
  while (reader->Read(&e)) {
    if (e.position() <= checkpoint) continue;
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&state, &Queue::HasRoom));
    if (!state.failure.ok()) break;
    state.queue.push_back(e);
  }
  {
    absl::MutexLock lock(&mu);
    state.ended = true;
  }
  producer.join();
  const grpc::Status finished = reader->Finish();
  return state.failure.ok() ? FromGrpcStatus(finished) : state.failure;
}

}  // namespace

void Pipeline::FollowApprovals() {
  Follow(approvals_source_, [this](grpc::ClientContext& ctx) -> absl::Status {
    ASSIGN_OR_RETURN(auto checkpoint, store_->Checkpoint("approvals"));
    v1::SubscribeEventsRequest req;
    req.set_from_position(checkpoint + 1);
    auto reader = approvals_->SubscribeEvents(&ctx, req);
    approvals_source_.connected = true;
    return ReadAndProduce<v1::StoredEvent>(
        ctx, reader, checkpoint, store_, clock_,
        [this](
            const std::vector<v1::StoredEvent>& batch) -> absl::StatusOr<std::vector<Production>> {
          // Facts as this batch leaves them (events of one document chain).
          absl::flat_hash_map<std::string, v1::DocumentFacts> overlay;
          std::vector<Production> out;
          for (const v1::StoredEvent& e : batch) {
            const v1::DocumentFacts* known = nullptr;
            std::optional<v1::DocumentFacts> stored;
            if (auto it = overlay.find(e.document()); it != overlay.end()) {
              known = &it->second;
            } else {
              ASSIGN_OR_RETURN(stored, store_->Facts(e.document()));
              if (stored) known = &*stored;
            }
            ApprovalOutcome outcome =
                OnApprovalEvent(e, known, [this](const std::string& who) { return NameOf(who); });
            overlay[e.document()] = outcome.facts;
            Production& p = out.emplace_back();
            p.source_id = absl::StrCat("approvals:", e.position());
            p.checkpoint_source = "approvals";
            p.checkpoint = e.position();
            p.notifications = std::move(outcome.notifications);
            p.facts = std::move(outcome.facts);
          }
          return out;
        },
        "approvals");
  });
}

void Pipeline::FollowGrading() {
  Follow(grading_source_, [this](grpc::ClientContext& ctx) -> absl::Status {
    ASSIGN_OR_RETURN(auto checkpoint, store_->Checkpoint("grading"));
    v1::SubscribeGradingEventsRequest req;
    req.set_from_position(checkpoint + 1);
    auto reader = grading_->SubscribeEvents(&ctx, req);
    grading_source_.connected = true;
    return ReadAndProduce<v1::StoredGradingEvent>(
        ctx, reader, checkpoint, store_, clock_,
        [this](const std::vector<v1::StoredGradingEvent>& batch)
            -> absl::StatusOr<std::vector<Production>> {
          absl::flat_hash_map<std::string, v1::ClassWatch> overlay;
          // Learners enrolled by earlier events of this batch ("year/module/learner" ->
          // class): not in the store until the batch commits, and an LMS import in the
          // same batch must still find their class.
          absl::flat_hash_map<std::string, std::string> enrolled_in_batch;
          std::vector<Production> out;
          for (const v1::StoredGradingEvent& e : batch) {
            Production& p = out.emplace_back();
            p.source_id = absl::StrCat("grading:", e.position());
            p.checkpoint_source = "grading";
            p.checkpoint = e.position();
            // The class a watch belongs to, as this batch leaves it.
            auto watch_of = [&](const std::string& cls) -> absl::StatusOr<v1::ClassWatch*> {
              if (auto it = overlay.find(cls); it != overlay.end()) return &it->second;
              ASSIGN_OR_RETURN(auto watch, store_->Watch(cls));
              if (!watch.has_value()) return nullptr;
              return &(overlay[cls] = *watch);
            };
            if (e.event().has_lms_results_imported()) {
              // Quiz and survey per learner, for the classes followed.
              std::set<std::string> touched;
              for (const v1::LmsRow& row : e.event().lms_results_imported().rows()) {
                const std::string learner = row.learner().substr(row.learner().find('/') + 1);
                absl::StatusOr<std::string> cls;
                if (auto it = enrolled_in_batch.find(
                        absl::StrCat(row.year(), "/", row.module(), "/", learner));
                    it != enrolled_in_batch.end()) {
                  cls = it->second;
                } else {
                  cls = store_->LearnerClass(row.year(), row.module(), learner);
                }
                if (!cls.ok()) return cls.status();
                if (cls->empty()) continue;
                ASSIGN_OR_RETURN(auto w, watch_of(*cls));
                if (w == nullptr) continue;
                ApplyLmsRow(row, *w);
                touched.insert(*cls);
              }
              for (const std::string& cls : touched) p.watches.push_back(overlay[cls]);
              continue;
            }
            const std::string cls = ClassOf(e.stream());
            if (cls.empty()) continue;
            ASSIGN_OR_RETURN(auto known, watch_of(cls));
            GradingOutcome outcome = OnGradingEvent(e, known);
            if (outcome.watch) {
              overlay[cls] = *outcome.watch;
              if (e.event().has_run_enrolled()) {
                for (const std::string& l : outcome.watch->learners()) {
                  std::string key =
                      absl::StrCat(outcome.watch->year(), "/", outcome.watch->module(), "/", l);
                  enrolled_in_batch[key] = cls;
                  p.learner_classes.emplace_back(std::move(key), cls);
                }
              }
              p.watches.push_back(*std::move(outcome.watch));
            }
            p.timers = std::move(outcome.timers);
          }
          return out;
        },
        "grading");
  });
}

void Pipeline::FollowSupport() {
  Follow(support_source_, [this](grpc::ClientContext& ctx) -> absl::Status {
    ASSIGN_OR_RETURN(auto checkpoint, store_->Checkpoint("support"));
    v1::SubscribeSupportEventsRequest req;
    req.set_from_position(checkpoint + 1);
    auto reader = support_->SubscribeEvents(&ctx, req);
    support_source_.connected = true;
    return ReadAndProduce<v1::StoredSupportEvent>(
        ctx, reader, checkpoint, store_, clock_,
        [](const std::vector<v1::StoredSupportEvent>& batch)
            -> absl::StatusOr<std::vector<Production>> {
          std::vector<Production> out;
          for (const v1::StoredSupportEvent& e : batch) {
            Production& p = out.emplace_back();
            p.source_id = absl::StrCat("support:", e.position());
            p.checkpoint_source = "support";
            p.checkpoint = e.position();
            SupportOutcome outcome = OnSupportEvent(e);
            p.notifications = std::move(outcome.notifications);
            p.timers = std::move(outcome.timers);
          }
          return out;
        },
        "support");
  });
}

absl::StatusOr<std::vector<v1::Notification>> Pipeline::SupportReminder(const v1::Timer& t) {
  if (support_ == nullptr) return std::vector<v1::Notification>{};
  ASSIGN_OR_RETURN(auto token, token_->Get());
  v1::GetQuestionRequest req;
  req.set_name(t.subject());
  v1::Question q;
  absl::Status s = clients::InvokeWithToken(support_, &v1::Support::StubInterface::GetQuestion,
                                            token, "support", req, &q);
  if (absl::IsUnavailable(s)) return s;
  if (!s.ok()) return std::vector<v1::Notification>{};  // gone or refused: nothing to say
  return OnSupportTimer(t, q);
}

void Pipeline::TimerLoop() {
  while (Sleep(options_.poll_interval)) {
    auto due = store_->DueTimers(clock_->Now(), 100);
    if (!due.ok()) {
      LogWarning("reading timers failed", {{"error", due.status().ToString()}});
      continue;
    }
    for (auto& [key, timer] : *due) {
      server::ScopedTrace span(std::make_shared<const server::TraceContext>(
          server::TraceContext::StartSpan(std::nullopt)));  // one trace per fired timer
      Production p;
      p.source_id = absl::StrCat("timer:", timer.id());
      p.fired_timer_key = key;
      if (timer.kind() == v1::DAILY_EMAIL_DIGEST) {
        auto held = store_->HeldForDigest(timer.subject());
        if (!held.ok()) continue;
        std::vector<v1::Notification> notes;
        for (const auto& [held_key, job] : *held) {
          notes.push_back(job.payload());
          p.delete_keys.push_back(held_key);
        }
        if (!held->empty()) {
          v1::DeliveryJob mail;
          mail.set_id(absl::StrCat("digest-", timer.fire_at().seconds(), "-",
                                   timer.subject().substr(timer.subject().find('/') + 1)));
          mail.set_channel(v1::EMAIL);
          mail.set_target(held->front().second.target());
          mail.set_recipient(timer.subject());
          *mail.mutable_payload() = DailyDigest(timer.subject(), notes);
          mail.mutable_payload()->set_name(absl::StrCat("notifications/", mail.id()));
          p.jobs.push_back(std::move(mail));
        }
      } else if (timer.kind() == v1::CAMPAIGN_DEADLINE_DIGEST) {
        int year = 0, module = 0, days = 0;
        std::sscanf(timer.subject().c_str(), "%d/%d", &year, &module);
        days = std::atoi(timer.deadline().c_str());
        auto pending = store_->PendingDocuments();
        if (!pending.ok()) continue;
        p.notifications = CampaignDigests(*pending, year, module, days,
                                          [this](const std::string& who) { return NameOf(who); });
      } else if (timer.kind() == v1::LEARNERS_MISSING_WORK) {
        auto watch = store_->Watch(timer.subject());
        if (!watch.ok()) continue;
        if (watch->has_value() && NudgeIsCurrent(timer, **watch)) {
          // One nudge per core member, listing the colleagues they support in the class.
          std::map<std::string, std::vector<MissingWork>> by_core;
          bool failed = false;
          for (MissingWork& m : LearnersMissingWork(**watch)) {
            auto group = directory_->SupporterOf(absl::StrCat("people/", m.learner),
                                                 (*watch)->year(), (*watch)->module());
            if (absl::IsNotFound(group.status())) continue;  // nobody supports them
            if (!group.ok()) {
              LogWarning("supporter lookup failed; the nudge waits",
                         {{"learner", m.learner}, {"error", group.status().ToString()}});
              failed = true;
              break;
            }
            by_core[group->core_member()].push_back(std::move(m));
          }
          if (failed) continue;  // the timer stays due: retried on the next pass
          for (const auto& [core, learners] : by_core) {
            p.notifications.push_back(
                NudgeCoreMember(core, **watch, learners, timer,
                                [this](const std::string& who) { return NameOf(who); }));
          }
        }
      } else if (timer.kind() == v1::SUPPORT_QUESTION_DUE_SOON) {
        auto reminder = SupportReminder(timer);
        if (!reminder.ok()) {
          LogWarning("support unreachable; the reminder waits",
                     {{"timer", timer.id()}, {"error", reminder.status().ToString()}});
          continue;  // the timer stays due: retried on the next pass
        }
        p.notifications = *std::move(reminder);
      } else {
        auto watch = store_->Watch(timer.subject());
        if (!watch.ok()) continue;
        if (watch->has_value()) p.notifications = OnGradingTimer(timer, **watch);
      }
      const size_t count = p.notifications.size();
      auto r = store_->Produce(std::move(p), clock_->Now());
      if (!r.ok()) {
        LogWarning("firing a timer failed",
                   {{"timer", timer.id()}, {"error", r.status().ToString()}});
      } else if (*r) {
        LogInfo("timer fired", {{"timer", timer.id()}, {"notifications", absl::StrCat(count)}});
      }
    }
  }
}

void Pipeline::DeliveryLoop() {
  while (Sleep(options_.poll_interval)) {
    auto due = store_->DueJobs(clock_->Now(), 500);
    if (!due.ok()) {
      LogWarning("reading delivery jobs failed", {{"error", due.status().ToString()}});
      continue;
    }
    for (auto& [key, job] : *due) {
      {
        absl::MutexLock lock(&in_flight_mu_);
        if (!in_flight_.insert(key).second) continue;
      }
      server::WorkQueue* pool =
          job.channel() == v1::EMAIL ? email_workers_.get() : webhook_workers_.get();
      pool->Run([this, key = key, job = job]() mutable { Attempt(key, std::move(job)); });
    }
  }
}

std::string Pipeline::NameOf(const std::string& name) {
  if (directory_ == nullptr || !absl::StartsWith(name, "people/")) return name;
  auto person = directory_->GetPerson(name);  // cached by the client
  if (!person.ok() || person->display_name().empty()) return name;
  return person->display_name();
}

namespace {

// Failures no retry can fix: the job goes to the dead letters at once.
bool IsPermanent(const absl::Status& s) {
  return absl::IsInvalidArgument(s) || absl::IsPermissionDenied(s) || absl::IsFailedPrecondition(s);
}

}  // namespace

absl::Status Pipeline::Send(const v1::DeliveryJob& job) {
  const absl::Time now = clock_->Now();
  if (job.channel() == v1::EMAIL) {
    if (options_.smtp.url.empty()) {
      return absl::FailedPreconditionError("chưa cấu hình gửi e-mail (--smtp)");
    }
    // Checked again here: an address stored before import validation existed, or
    // written by anything else, never reaches the relay unchecked.
    ASSIGN_OR_RETURN(auto message,
                     ComposeEmail(options_.mail_from, job.target(), job.payload(), now));
    return SendSmtp(options_.smtp, options_.mail_from, job.target(), message);
  }
  return SendWebhook(job, now);
}

absl::Status Pipeline::SendEmailNow(const std::string& to, const v1::Notification& n) {
  if (options_.smtp.url.empty()) {
    return absl::FailedPreconditionError("chưa cấu hình gửi e-mail (--smtp)");
  }
  auto message = ComposeEmail(options_.mail_from, to, n, clock_->Now());
  if (!message.ok()) return message.status();
  absl::Status sent = SendSmtp(options_.smtp, options_.mail_from, to, *message);
  if (!sent.ok() && !absl::IsInvalidArgument(sent)) {
    return absl::UnavailableError(absl::StrCat("máy chủ thư không nhận thư: ", sent.message()));
  }
  return sent;
}

absl::Status Pipeline::SendWebhook(const v1::DeliveryJob& job, absl::Time now) {
  HttpConfig http;
  http.ca_file = options_.webhook_ca_file;
  http.connect_timeout = options_.connect_timeout;
  http.timeout = options_.delivery_timeout;
  std::vector<std::string> secrets;
  if (absl::EndsWith(job.id(), "-WEBHOOK-system")) {
    http.allow_http = true;  // the operator's own endpoint
    secrets = options_.webhook_secrets;
  } else {
    // A personal endpoint: the person's current settings decide, and the URL is checked
    // again (it may predate these rules), then every address at the socket.
    auto prefs = store_->Preferences(job.recipient());
    if (!prefs.ok()) return absl::UnavailableError(prefs.status().message());
    if (!prefs->has_value() || !(*prefs)->webhook() || (*prefs)->webhook_url() != job.target()) {
      return absl::FailedPreconditionError("người nhận đã đổi hoặc tắt webhook này; không gửi");
    }
    ASSIGN_OR_RETURN(auto checked,
                     CheckWebhookUrl(job.target(), options_.allow_hosts, /*resolve=*/false));
    http.allow_http = checked.allow_listed;
    if (!checked.allow_listed) {
      http.check_address = [](const sockaddr* address) -> absl::Status {
        if (auto why = ForbiddenAddress(address)) {
          return absl::PermissionDeniedError(absl::StrCat("từ chối kết nối: ", *why));
        }
        return absl::OkStatus();
      };
    }
    secrets = WebhookSigningSecrets((*prefs)->webhook_keys(), now);
  }
  if (secrets.empty()) return absl::FailedPreconditionError("không có khoá bí mật để ký webhook");
  const std::string body = WebhookBody(job.payload());
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(now));
  // Standard Webhooks: the receiver recomputes HMAC-SHA256(key, id.timestamp.body)
  // (docs/notifications.md); the id is the same on every retry, for de-duplication.
  ASSIGN_OR_RETURN(
      auto code, PostHttp(job.target(), body,
                          {{"webhook-id", job.id()},
                           {"webhook-timestamp", timestamp},
                           {"webhook-signature", SignWebhook(secrets, job.id(), timestamp, body)}},
                          http));
  if (code < 200 || code > 299) {
    return absl::UnavailableError(absl::StrCat("POST ", job.target(), " trả lời mã ", code));
  }
  return absl::OkStatus();
}

void Pipeline::Attempt(const std::string& key, v1::DeliveryJob job) {
  job.set_attempts(job.attempts() + 1);
  const absl::Status sent = Send(job);
  const bool dead = !sent.ok() && (job.attempts() >= options_.max_attempts || IsPermanent(sent));
  const absl::Time now = clock_->Now();
  const absl::Time retry_at =
      now + Backoff(job.attempts(), Random(), options_.base_backoff, options_.max_backoff);
  if (!sent.ok()) {
    LogWarning(dead ? "delivery gave up: dead letter" : "delivery failed; will retry",
               {{"job", job.id()},
                {"attempts", absl::StrCat(job.attempts())},
                {"error", std::string(sent.message())}});
  }
  if (absl::Status s = store_->RecordAttempt(key, job, sent.ok(), std::string(sent.message()), dead,
                                             retry_at, now);
      !s.ok()) {
    LogWarning("recording a delivery attempt failed", {{"job", job.id()}, {"error", s.ToString()}});
  }
  absl::MutexLock lock(&in_flight_mu_);
  in_flight_.erase(key);
}

v1::GetStatusResponse Pipeline::Status() {
  v1::GetStatusResponse out;
  for (Source* s : {&approvals_source_, &grading_source_, &support_source_}) {
    if (s == &support_source_ && support_ == nullptr) continue;
    v1::SourceStatus* st = out.add_sources();
    st->set_source(s->name);
    auto checkpoint = store_->Checkpoint(s->name);
    st->set_checkpoint(checkpoint.ok() ? *checkpoint : -1);
    st->set_connected(s->connected);
    absl::MutexLock lock(&s->mu);
    st->set_last_error(s->last_error);
  }
  if (auto counts = store_->Count(); counts.ok()) {
    out.set_pending_jobs(counts->jobs);
    out.set_dead_letters(counts->dead);
    out.set_pending_timers(counts->timers);
  }
  return out;
}

std::vector<prometheus::MetricFamily> StatusMetrics(const v1::GetStatusResponse& status) {
  std::vector<std::pair<prometheus::Labels, double>> connected, checkpoint;
  for (const v1::SourceStatus& s : status.sources()) {
    connected.push_back({{{"source", s.source()}}, s.connected() ? 1.0 : 0.0});
    checkpoint.push_back({{{"source", s.source()}}, static_cast<double>(s.checkpoint())});
  }
  using server::GaugeFamily;
  return {
      GaugeFamily("bdtx_notifications_dead_letters",
                  "deliveries that gave up after max_attempts and wait for an operator",
                  {{{}, static_cast<double>(status.dead_letters())}}),
      GaugeFamily("bdtx_notifications_pending_jobs", "deliveries waiting for their next attempt",
                  {{{}, static_cast<double>(status.pending_jobs())}}),
      GaugeFamily("bdtx_notifications_pending_timers", "reminder timers not yet fired",
                  {{{}, static_cast<double>(status.pending_timers())}}),
      GaugeFamily("bdtx_notifications_source_connected",
                  "1 while the event stream of the source is followed", connected),
      GaugeFamily("bdtx_notifications_checkpoint",
                  "global position of the last source event whose notifications are stored "
                  "(compare with the source's bdtx_eventstore_last_position)",
                  checkpoint),
  };
}

}  // namespace bdtx::notifications
