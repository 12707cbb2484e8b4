#include "services/support/store/support_store.h"

#include "absl/synchronization/notification.h"
#include "common/clock/vietnam_calendar.h"
#include "common/eventstore/memory_event_store.h"
#include "gtest/gtest.h"

namespace bdtx::support {
namespace {

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2023, 10, 2, 10, 0, 0), VietnamTimeZone());

AskerFacts Facts() {
  return {"people/gv-1", {"units/thcs-a", "units/dx"}, "people/gvcc-1", "people/gvsp-1"};
}

v1::AskQuestionRequest Ask(const std::string& request_id, const std::string& text) {
  v1::AskQuestionRequest r;
  r.set_request_id(request_id);
  r.set_year(2023);
  r.set_module(4);
  r.set_channel(v1::SUPPORT_CHANNEL_CHAT);
  r.set_text(text);
  return r;
}

absl::StatusOr<v1::Question> AskSync(SupportStore& store, const std::string& caller,
                                     const v1::AskQuestionRequest& req, const std::string& id) {
  absl::StatusOr<v1::Question> out;
  absl::Notification done;
  RequestKey key{req.request_id(),
                 idempotency::Bind(caller, "/bdtx.v1.Support/AskQuestion", "people/gv-1", req)};
  store.QuestionCommand(
      key, kNow, [&](const SupportModel& m) { return m.DecideAsk(caller, id, Facts(), req, kNow); },
      [&](absl::StatusOr<v1::Question> q) {
        out = std::move(q);
        done.Notify();
      });
  done.WaitForNotification();
  return out;
}

TEST(SupportStore, ARetriedRequestAnswersTheFirstResultAndWritesNothing) {
  eventstore::MemoryEventStore events;
  SupportStore store(&events);
  auto first = AskSync(store, "people/gv-1", Ask("k1", "Câu hỏi?"), "a1");
  ASSERT_TRUE(first.ok()) << first.status();
  const int64_t written = events.LastPosition();
  auto again = AskSync(store, "people/gv-1", Ask("k1", "Câu hỏi?"), "a2");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(events.LastPosition(), written);
  // The same id for a different request: refused, naming the first method.
  auto other = AskSync(store, "people/gv-1", Ask("k1", "Câu khác?"), "a3");
  EXPECT_TRUE(absl::IsAlreadyExists(other.status())) << other.status();
  EXPECT_NE(std::string(other.status().message()).find("/bdtx.v1.Support/AskQuestion"),
            std::string::npos);
  EXPECT_EQ(events.LastPosition(), written);
  // Another caller's k1 is another key: never the first caller's answer.
  auto core = AskSync(store, "people/gvcc-1", Ask("k1", "Câu hỏi?"), "a4");
  ASSERT_TRUE(core.ok()) << core.status();
  EXPECT_EQ(core->name(), "questions/a4");
  EXPECT_EQ(core->logged_by(), "people/gvcc-1");
}

TEST(SupportStore, RecoverRebuildsTheSameModel) {
  eventstore::MemoryEventStore events;
  SupportStore store(&events);
  ASSERT_TRUE(AskSync(store, "people/gv-1", Ask("", "Một?"), "a1").ok());
  ASSERT_TRUE(AskSync(store, "people/gv-1", Ask("", "Hai?"), "a2").ok());
  SupportStore again(&events);
  ASSERT_TRUE(again.Recover().ok());
  for (const char* name : {"questions/a1", "questions/a2"}) {
    auto a = store.Read([&](const SupportModel& m) { return m.Get(name); });
    auto b = again.Read([&](const SupportModel& m) { return m.Get(name); });
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString()) << name;
  }
}

}  // namespace
}  // namespace bdtx::support
