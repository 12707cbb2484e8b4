#include "common/server/trace.h"

#include <thread>

#include "common/server/work_queue.h"
#include "gtest/gtest.h"

namespace bdtx::server {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceparentTest, ValidHeaderIsParsed) {
  auto parsed = ParseTraceparent(kValid);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parsed->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(parsed->flags, 1);
}

TEST(TraceparentTest, MalformedHeadersAreRefused) {
  for (const char* bad : {
           "",
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // unknown version
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // forbidden version
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // upper case
           "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",    // short trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",    // short flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",   // not hex
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // trailing data
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",   // wrong separator
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba9\n2b7-01",  // control char
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(TraceparentTest, ChildSpanKeepsTheTraceAndNamesItsParent) {
  TraceContext child = TraceContext::StartSpan(ParseTraceparent(kValid));
  EXPECT_EQ(child.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(child.parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(child.span_id.size(), 16u);
  EXPECT_NE(child.span_id, "00f067aa0ba902b7");
  auto forwarded = ParseTraceparent(child.Traceparent());
  ASSERT_TRUE(forwarded.has_value()) << child.Traceparent();
  EXPECT_EQ(forwarded->trace_id, child.trace_id);
  EXPECT_EQ(forwarded->parent_id, child.span_id);
  EXPECT_EQ(forwarded->flags, 1);
}

TEST(TraceparentTest, WithoutParentANewValidTraceStarts) {
  TraceContext a = TraceContext::StartSpan(std::nullopt);
  TraceContext b = TraceContext::StartSpan(std::nullopt);
  EXPECT_TRUE(ParseTraceparent(a.Traceparent()).has_value()) << a.Traceparent();
  EXPECT_NE(a.trace_id, b.trace_id);
  EXPECT_TRUE(a.parent_span_id.empty());
}

TEST(CurrentTraceTest, WorkQueueAndBindTraceCarryTheSpanToOtherThreads) {
  auto span = std::make_shared<const TraceContext>(TraceContext::StartSpan(std::nullopt));
  std::string on_queue, on_try, on_thread;
  {
    WorkQueue queue(1);
    ScopedTrace scope(span);
    queue.Run([&] { on_queue = CurrentTrace() ? CurrentTrace()->span_id : "none"; });
    ASSERT_TRUE(queue.TryRun([&] { on_try = CurrentTrace() ? CurrentTrace()->span_id : "none"; }));
    std::thread t(
        BindTrace([&] { on_thread = CurrentTrace() ? CurrentTrace()->span_id : "none"; }));
    t.join();
  }
  EXPECT_EQ(on_queue, span->span_id);
  EXPECT_EQ(on_try, span->span_id);
  EXPECT_EQ(on_thread, span->span_id);
  EXPECT_EQ(CurrentTrace(), nullptr);  // the scope restored "no span"
}

}  // namespace
}  // namespace bdtx::server
