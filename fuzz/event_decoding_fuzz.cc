// Event decoding on hostile stored bytes: an EventBatch (what a store or a subscription
// hands a reader) whose envelopes carry Any payloads of every event type with any
// schema_version, folded the way each reader folds them: approvals' Apply and the
// notifications rules per document, grading's model and notifications' class watch,
// plans' document fold; directory and notifications events are decoded. Events are
// facts: no fold may crash or trip a sanitizer, whatever the bytes.
#include <map>
#include <string>

#include "bdtx/v1/approvals.pb.h"
#include "bdtx/v1/directory.pb.h"
#include "bdtx/v1/events.pb.h"
#include "bdtx/v1/grading.pb.h"
#include "bdtx/v1/notifications.pb.h"
#include "bdtx/v1/plans.pb.h"
#include "fuzz/fuzz_support.h"
#include "services/approvals/domain/document.h"
#include "services/grading/domain/grading_model.h"
#include "services/notifications/domain/rules.h"
#include "services/plans/store/plans_store.h"

namespace {

namespace v1 = ::bdtx::v1;

v1::EventEnvelope Envelope(const std::string& stream, int64_t version,
                           const google::protobuf::Message& payload, int schema = 1) {
  v1::EventEnvelope e;
  e.set_stream(stream);
  e.set_version(version);
  e.set_position(version);
  e.set_schema_version(schema);
  e.set_actor("people/gvcc-001");
  e.set_request_id("r-1");
  e.mutable_time()->set_seconds(1'700'000'000);
  e.mutable_payload()->PackFrom(payload);
  return e;
}

std::string SeedBatch() {
  v1::EventBatch batch;
  v1::ApprovalEvent submitted;
  submitted.mutable_submitted()->set_author("people/gvcc-001");
  submitted.mutable_submitted()->set_kind(v1::PLAN);
  submitted.mutable_submitted()->set_year(2023);
  submitted.mutable_submitted()->set_module(4);
  *batch.add_events() = Envelope("documents/gvcc-001-2023-m4-plan", 1, submitted);
  v1::ApprovalEvent approved;
  approved.set_prev_hash(std::string(64, 'a'));
  approved.mutable_lecturer_approved();
  *batch.add_events() = Envelope("documents/gvcc-001-2023-m4-plan", 2, approved, 0);
  v1::ApprovalEvent signed_off;
  signed_off.mutable_signed_off();
  *batch.add_events() = Envelope("documents/gvcc-001-2023-m4-plan", 3, signed_off, 7);
  v1::GradingEvent enrolled;
  enrolled.mutable_run_enrolled();
  *batch.add_events() = Envelope("runs/lop-2023-m4-001", 1, enrolled);
  v1::GradingEvent graded;
  graded.mutable_assignment_graded();
  *batch.add_events() = Envelope("runs/lop-2023-m4-001", 2, graded);
  v1::GradingEvent lms;
  lms.mutable_lms_results_imported()->add_rows()->set_learner("people/gv-1");
  *batch.add_events() = Envelope("lms/2023", 1, lms);
  v1::PlansEvent created;
  created.mutable_created()->mutable_content()->set_name("documents/gvcc-001-2023-m4-plan");
  created.mutable_created()->set_version(1);
  *batch.add_events() = Envelope("documents/gvcc-001-2023-m4-plan", 1, created);
  v1::PlansEvent attachment;
  attachment.mutable_attachment_added();
  *batch.add_events() = Envelope("documents/gvcc-001-2023-m4-plan", 2, attachment);
  v1::NotificationsEvent produced;
  produced.mutable_produced()->set_source("approvals");
  *batch.add_events() = Envelope("sources/approvals", 1, produced);
  v1::DirectoryImported imported;
  imported.set_kind(v1::PEOPLE);
  *batch.add_events() = Envelope("directory", 1, imported);
  return batch.SerializeAsString();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bdtx::fuzz::MaybeWriteSeeds({SeedBatch()});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  v1::EventBatch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::map<std::string, bdtx::approvals::Document> documents;
  std::map<std::string, v1::DocumentFacts> facts;
  std::map<std::string, v1::ClassWatch> watches;
  std::map<std::string, bdtx::plans::LoadedDocument> plans;
  bdtx::grading::GradingModel grading;
  for (const v1::EventEnvelope& e : batch.events()) {
    v1::ApprovalEvent approval;
    if (e.payload().UnpackTo(&approval)) {
      documents[e.stream()] = bdtx::approvals::Apply(documents[e.stream()], approval);
      v1::StoredEvent stored;
      stored.set_position(e.position());
      stored.set_document(e.stream());
      stored.set_version(e.version());
      *stored.mutable_time() = e.time();
      stored.set_actor(e.actor());
      *stored.mutable_event() = approval;
      auto known = facts.find(e.stream());
      auto outcome = bdtx::notifications::OnApprovalEvent(
          stored, known == facts.end() ? nullptr : &known->second);
      facts[e.stream()] = outcome.facts;
    }
    v1::GradingEvent graded;
    if (e.payload().UnpackTo(&graded)) {
      grading.Apply(e.stream(), e.version(), graded);
      v1::StoredGradingEvent stored;
      stored.set_position(e.position());
      stored.set_stream(e.stream());
      stored.set_version(e.version());
      *stored.mutable_time() = e.time();
      stored.set_actor(e.actor());
      *stored.mutable_event() = graded;
      auto known = watches.find(e.stream());
      auto outcome = bdtx::notifications::OnGradingEvent(
          stored, known == watches.end() ? nullptr : &known->second);
      if (outcome.watch.has_value()) {
        (void)bdtx::notifications::LearnersMissingWork(*outcome.watch);
        (void)bdtx::notifications::GradingTimers(*outcome.watch);
        watches[e.stream()] = *outcome.watch;
      }
    }
    (void)bdtx::plans::PlansStore::Apply(e, plans[e.stream()]);
    v1::NotificationsEvent notification;
    (void)e.payload().UnpackTo(&notification);
    v1::DirectoryImported imported;
    (void)e.payload().UnpackTo(&imported);
  }
  return 0;
}
