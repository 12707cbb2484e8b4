#include "services/approvals/store/approvals_store.h"

#include "absl/synchronization/notification.h"
#include "common/eventstore/memory_event_store.h"
#include "gtest/gtest.h"

namespace bdtx::approvals {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

bdtx::v1::Routing Routing() {
  bdtx::v1::Routing r;
  r.set_lecturer("people/gvsp-1");
  r.mutable_sign_off()->set_unit("units/school-a");
  r.mutable_sign_off()->add_people("people/ht-a");
  for (const char* u : {"units/school-a", "units/pgd-x", "units/so-bp"}) {
    r.add_author_unit_ancestry(u);
  }
  return r;
}

// Each test request_id stands for one distinct request of that actor.
idempotency::Binding BindingOf(const Actor& actor, const std::string& request_id) {
  bdtx::v1::ApproveRequest request;
  request.set_comment(request_id);
  return idempotency::Bind(actor.person, "/test/Command", "documents/test", request);
}

class ApprovalsStoreTest : public ::testing::Test {
 protected:
  absl::StatusOr<bdtx::v1::Document> Run(const Command& command, const Actor& actor,
                                         const std::string& request_id = "") {
    auto loaded = store_.Load(key_);
    if (!loaded.ok()) return loaded.status();
    auto events = Decide((*loaded)->document, command, actor, kNow);
    if (!events.ok()) return events.status();
    absl::StatusOr<bdtx::v1::Document> out;
    absl::Notification done;
    store_.Commit(*std::move(loaded), *std::move(events), actor.person, kNow, request_id,
                  idempotency::Record(BindingOf(actor, request_id)), absl::InfiniteFuture(),
                  [&](absl::StatusOr<bdtx::v1::Document> d) {
                    out = std::move(d);
                    done.Notify();
                  });
    done.WaitForNotification();
    return out;
  }
  void SubmitAndApprove() {
    ASSERT_TRUE(Run(Submit{std::string(64, 'a'), false, Routing()}, author_).ok());
    ASSERT_TRUE(Run(Approve{"Đạt"}, lecturer_).ok());
  }

  eventstore::MemoryEventStore events_;
  ApprovalsStore store_{&events_};
  DocumentKey key_{"people/gvcc-1", bdtx::v1::PLAN, 2023, 4};
  Actor author_{"people/gvcc-1", {bdtx::v1::CORE_TEACHER}, "units/school-a"};
  Actor lecturer_{"people/gvsp-1", {bdtx::v1::PEDAGOGY_LECTURER}, "units/dhsp"};
  Actor signer_{"people/ht-a", {bdtx::v1::PRINCIPAL}, "units/school-a"};
};

TEST_F(ApprovalsStoreTest, ReadModelsFollowTheStateAndMatchARebuild) {
  SubmitAndApprove();
  auto inbox = store_.Inbox("people/ht-a", "", {}, 10, "");
  ASSERT_TRUE(inbox.ok());
  ASSERT_EQ(inbox->items.size(), 1u);
  EXPECT_TRUE(store_.Inbox("people/gvsp-1", "", {}, 10, "")->items.empty());
  EXPECT_EQ(store_.CountByState("units/pgd-x")->at("LECTURER_APPROVED"), 1);
  EXPECT_TRUE(store_.CheckReadModels()->empty());
  auto signed_off = Run(SignOff{bdtx::v1::ONLINE}, signer_);
  ASSERT_TRUE(signed_off.ok()) << signed_off.status();
  EXPECT_TRUE(store_.Inbox("people/ht-a", "", {}, 10, "")->items.empty());
  EXPECT_EQ(store_.CountByState("units/so-bp")->count("LECTURER_APPROVED"), 0u);
  auto mismatches = store_.CheckReadModels();
  ASSERT_TRUE(mismatches.ok());
  EXPECT_TRUE(mismatches->empty()) << mismatches->front();
}

TEST_F(ApprovalsStoreTest, RetriedRequestsGetTheDocumentAsTheirCommandLeftIt) {
  auto submitted = Run(Submit{std::string(64, 'a'), false, Routing()}, author_, "r-submit");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  auto approved = Run(Approve{"Đạt"}, lecturer_, "r-approve");
  ASSERT_TRUE(approved.ok()) << approved.status();
  const absl::Time deadline = absl::FromUnixSeconds(1709139599);
  // From the cached document and from a store that reads the events afresh.
  ApprovalsStore fresh(&events_);
  for (const ApprovalsStore* store : {&store_, &fresh}) {
    auto loaded = store->Load(key_);
    ASSERT_TRUE(loaded.ok());
    auto first = store->Replay(**loaded, "r-submit", BindingOf(author_, "r-submit"), deadline);
    ASSERT_TRUE(first.ok() && first->has_value()) << first.status();
    EXPECT_EQ((*first)->state(), bdtx::v1::SUBMITTED);
    EXPECT_EQ((*first)->version(), 1);
    EXPECT_EQ((*first)->waiting_for(0), "people/gvsp-1");
    EXPECT_EQ((*first)->deadline().seconds(), 1709139599);
    auto second = store->Replay(**loaded, "r-approve", BindingOf(lecturer_, "r-approve"),
                                absl::InfiniteFuture());
    ASSERT_TRUE(second.ok() && second->has_value());
    EXPECT_EQ((*second)->SerializeAsString(), approved->SerializeAsString());
    auto unknown =
        store->Replay(**loaded, "r-other", BindingOf(author_, "r-other"), absl::InfiniteFuture());
    ASSERT_TRUE(unknown.ok());
    EXPECT_FALSE(unknown->has_value());
    // The lecturer's id reused by anyone else, or for anything else: refused, no document.
    auto stolen = store->Replay(**loaded, "r-approve", BindingOf(author_, "r-approve"),
                                absl::InfiniteFuture());
    EXPECT_EQ(stolen.status().code(), absl::StatusCode::kAlreadyExists);
    auto changed = store->Replay(**loaded, "r-approve", BindingOf(lecturer_, "r-changed"),
                                 absl::InfiniteFuture());
    EXPECT_EQ(changed.status().code(), absl::StatusCode::kAlreadyExists);
  }
}

TEST_F(ApprovalsStoreTest, ChainIsIntactAndAForgedEventIsFound) {
  SubmitAndApprove();
  auto chain = store_.VerifyChain(key_);
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->intact()) << chain->detail();
  EXPECT_EQ(chain->events(), 2);

  // Someone with raw access to the store appends a sign-off that skips the chain.
  ApprovalEvent forged;
  forged.set_prev_hash(std::string(64, '0'));
  forged.mutable_signed_off()->set_signer("people/ht-a");
  eventstore::AppendRequest req;
  req.stream = key_.Name();
  req.expected_version = 2;
  req.events.push_back(eventstore::MakeEvent(forged, "people/ht-a", kNow));
  ASSERT_TRUE(events_.Append(req).ok());
  chain = store_.VerifyChain(key_);
  ASSERT_TRUE(chain.ok());
  EXPECT_FALSE(chain->intact());
  EXPECT_EQ(chain->first_broken_version(), 3);
  EXPECT_NE(chain->detail().find("event 3 names previous hash"), std::string::npos)
      << chain->detail();
  // And the read models no longer match the events.
  EXPECT_FALSE(store_.CheckReadModels()->empty());
}

}  // namespace
}  // namespace bdtx::approvals
