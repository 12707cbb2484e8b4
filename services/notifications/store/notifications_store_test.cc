#include "services/notifications/store/notifications_store.h"

#include "common/eventstore/memory_event_store.h"
#include "gtest/gtest.h"

namespace bdtx::notifications {
namespace {

namespace v1 = ::bdtx::v1;

v1::Notification Note(const std::string& to, const std::string& title) {
  v1::Notification n;
  n.set_recipient(to);
  n.set_title(title);
  n.set_kind(v1::DOCUMENT_SUBMITTED);
  return n;
}

class NotificationsStoreTest : public ::testing::Test {
 protected:
  // people/a: e-mail and webhook at once; people/b: e-mail held for the daily digest.
  NotificationsStore store_{&events_, [](const v1::Notification& n) {
                              std::vector<v1::DeliveryJob> jobs(1);
                              jobs[0].set_channel(v1::EMAIL);
                              jobs[0].set_target(n.recipient() + "@example");
                              jobs[0].set_digest(n.recipient() == "people/b");
                              if (n.recipient() == "people/a") {
                                jobs.emplace_back().set_channel(v1::WEBHOOK);
                                jobs.back().set_target("http://hook");
                              }
                              return jobs;
                            }};
  eventstore::MemoryEventStore events_;
  const absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

TEST_F(NotificationsStoreTest, ASourceEventIsProducedOnceWithItsJobsAndCheckpoint) {
  Production p;
  p.source_id = "approvals:1";
  p.checkpoint_source = "approvals";
  p.checkpoint = 1;
  p.notifications = {Note("people/a", "one"), Note("people/b", "two"), Note("people/a", "three")};
  ASSERT_TRUE(*store_.Produce(p, now_));
  EXPECT_FALSE(*store_.Produce(p, now_));  // the same source event again: nothing
  EXPECT_EQ(*store_.Checkpoint("approvals"), 1);
  auto a = *store_.Inbox("people/a", 0, 10);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].title(), "one");
  EXPECT_EQ(a[0].sequence(), 1);
  EXPECT_EQ(a[1].sequence(), 2);
  EXPECT_EQ(a[1].name(), "notifications/approvals-1-2");
  EXPECT_EQ(store_.Inbox("people/a", 1, 10)->size(), 1u);

  auto due = *store_.DueJobs(now_, 100);
  ASSERT_EQ(due.size(), 4u);  // a: 2 notifications x (e-mail, webhook); b's mail is held
  EXPECT_EQ(store_.HeldForDigest("people/b")->size(), 1u);
  EXPECT_EQ(store_.Count()->timers, 1);  // b's digest morning

  Production next;
  next.source_id = "approvals:2";
  next.notifications = {Note("people/a", "four")};
  ASSERT_TRUE(*store_.Produce(next, now_));
  EXPECT_EQ(store_.Inbox("people/a", 0, 10)->back().sequence(), 3);

  EXPECT_EQ(*store_.MarkRead("people/a", {a[0].name()}, now_), 1);
  EXPECT_EQ(*store_.MarkRead("people/a", {}, now_), 2);
  EXPECT_EQ(*store_.MarkRead("people/a", {}, now_), 0);
}

TEST_F(NotificationsStoreTest, RetriesDeadLettersAndReplay) {
  Production p;
  p.source_id = "grading:7";
  p.notifications = {Note("people/c", "x")};
  ASSERT_TRUE(*store_.Produce(p, now_));
  auto due = *store_.DueJobs(now_, 10);
  ASSERT_EQ(due.size(), 1u);
  v1::DeliveryJob job = due[0].second;
  job.set_attempts(1);
  ASSERT_TRUE(store_
                  .RecordAttempt(due[0].first, job, false, "connection refused", false,
                                 now_ + absl::Seconds(2), now_)
                  .ok());
  EXPECT_TRUE(store_.DueJobs(now_ + absl::Seconds(1), 10)->empty());
  due = *store_.DueJobs(now_ + absl::Seconds(2), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].second.last_error(), "connection refused");
  job = due[0].second;
  job.set_attempts(2);
  ASSERT_TRUE(store_.RecordAttempt(due[0].first, job, false, "still down", true, now_, now_).ok());
  EXPECT_TRUE(store_.DueJobs(absl::InfiniteFuture(), 10)->empty());
  auto dead = *store_.DeadLetters("", 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].attempts(), 2);
  EXPECT_TRUE(absl::IsNotFound(store_.ReplayDeadLetter("nope", "people/admin", now_)));
  ASSERT_TRUE(store_.ReplayDeadLetter(dead[0].id(), "people/admin", now_).ok());
  EXPECT_TRUE(store_.DeadLetters("", 10)->empty());
  due = *store_.DueJobs(now_, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].second.attempts(), 0);
  ASSERT_TRUE(store_.RecordAttempt(due[0].first, due[0].second, true, "", false, now_, now_).ok());
  EXPECT_TRUE(store_.DueJobs(absl::InfiniteFuture(), 10)->empty());
}

TEST_F(NotificationsStoreTest, ATimerIsSetOnceAndFiresOnce) {
  v1::Timer t;
  t.set_id("campaign/2021/0/7");
  t.mutable_fire_at()->set_seconds(absl::ToUnixSeconds(now_ + absl::Hours(1)));
  ASSERT_TRUE(store_.EnsureTimer(t, now_).ok());
  ASSERT_TRUE(store_.EnsureTimer(t, now_).ok());
  EXPECT_TRUE(store_.DueTimers(now_, 10)->empty());
  auto due = *store_.DueTimers(now_ + absl::Hours(1), 10);
  ASSERT_EQ(due.size(), 1u);
  Production fire;
  fire.source_id = "timer:" + t.id();
  fire.fired_timer_key = due[0].first;
  ASSERT_TRUE(*store_.Produce(fire, now_));
  EXPECT_FALSE(*store_.Produce(fire, now_));
  EXPECT_TRUE(store_.DueTimers(absl::InfiniteFuture(), 10)->empty());
  // Setting it again (a restart with the same configuration) does not bring it back.
  ASSERT_TRUE(store_.EnsureTimer(t, now_).ok());
  EXPECT_TRUE(store_.DueTimers(absl::InfiniteFuture(), 10)->empty());
}

}  // namespace
}  // namespace bdtx::notifications
