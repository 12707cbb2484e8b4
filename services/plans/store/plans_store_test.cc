#include "services/plans/store/plans_store.h"

#include "common/eventstore/memory_event_store.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "services/plans/domain/support_document.h"

namespace bdtx::plans {
namespace {

namespace v1 = ::bdtx::v1;

constexpr char kName[] = "documents/gvcc-001-2023-m4-plan";

v1::PlansEvent Saved(bool created, int64_t version, const std::string& position) {
  v1::PlansEvent e;
  v1::ContentSaved* s = created ? e.mutable_created() : e.mutable_edited();
  s->mutable_content()->set_name(kName);
  s->mutable_content()->set_author("people/gvcc-001");
  s->mutable_content()->set_year(2023);
  s->mutable_content()->set_module(4);
  s->mutable_content()->mutable_header()->set_position(position);
  s->set_content_sha256(ContentSha256(s->content()));
  s->set_version(version);
  if (created) {
    s->add_author_unit_ancestry("units/school");
    s->add_author_unit_ancestry("units/district");
    s->add_author_unit_ancestry("units/so");
  }
  return e;
}

TEST(PlansStore, VersionsHistoryIndexAndConflicts) {
  eventstore::MemoryEventStore events;
  PlansStore store(&events);
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  EXPECT_TRUE(absl::IsNotFound(store.Load(kName).status()));

  LoadedDocument doc;
  auto apply_and_append = [&](const v1::PlansEvent& e, int64_t expected, const std::string& rid) {
    LoadedDocument next = doc;
    v1::EventEnvelope env = eventstore::MakeEvent(e, "people/gvcc-001", t0);
    env.set_version(next.stream_version + 1);
    EXPECT_TRUE(PlansStore::Apply(env, next).ok());
    v1::RequestRecord record;
    record.set_method("/test/Append");
    auto r = store.Append(kName, expected, e, "people/gvcc-001", t0, rid, record, next.Summary());
    if (r.ok()) doc = next;
    return r;
  };
  ASSERT_TRUE(apply_and_append(Saved(true, 1, "a"), 0, "r1").ok());
  // Creating twice: the stream exists.
  EXPECT_TRUE(absl::IsAborted(apply_and_append(Saved(true, 1, "a"), 0, "").status()));
  // The same request again replays and writes nothing.
  auto replay = apply_and_append(Saved(true, 1, "a"), 0, "r1");
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->replayed);
  // The id is scoped to the document and carries its binding record.
  auto with_id = store.Load(kName);
  ASSERT_TRUE(with_id.ok());
  ASSERT_TRUE(with_id->requests.contains("r1"));
  EXPECT_EQ(with_id->requests.at("r1").record.method(), "/test/Append");
  ASSERT_TRUE(apply_and_append(Saved(false, 2, "b"), 1, "").ok());
  EXPECT_TRUE(absl::IsAborted(apply_and_append(Saved(false, 3, "stale"), 1, "").status()));
  v1::PlansEvent submitted;
  submitted.mutable_submitted()->set_version(2);
  submitted.mutable_submitted()->set_content_sha256("abc");
  ASSERT_TRUE(apply_and_append(submitted, 2, "").ok());

  auto loaded = store.Load(kName);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->stream_version, 3);
  EXPECT_EQ(loaded->versions.size(), 2u);
  EXPECT_EQ(loaded->submitted_version, 2);
  EXPECT_EQ(loaded->At(1)->content().header().position(), "a");
  EXPECT_EQ(loaded->At(0)->content().header().position(), "b");
  EXPECT_EQ(loaded->At(0)->latest_version(), 2);
  EXPECT_TRUE(absl::IsNotFound(loaded->At(3).status()));
  ASSERT_EQ(loaded->history.size(), 3u);
  EXPECT_EQ(loaded->history[2].action(), "submitted");
  EXPECT_EQ(loaded->ContentVersionAt(1), 1);
  EXPECT_EQ(loaded->ContentVersionAt(3), 2);

  for (const char* unit : {"units/school", "units/district", "units/so"}) {
    auto list = store.ListByUnit(unit, "", 10);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 1u) << unit;
    EXPECT_EQ((*list)[0].version(), 2);
    EXPECT_EQ((*list)[0].submitted_version(), 2);
  }
  EXPECT_TRUE(store.ListByUnit("units/other", "", 10)->empty());
  EXPECT_EQ(store.ListByAuthor("people/gvcc-001", "", 10)->size(), 1u);
  EXPECT_TRUE(store.ListByAuthor("people/gvcc-001", kName, 10)->empty());
  EXPECT_TRUE(store.Summary(kName)->has_value());

  EXPECT_TRUE(store.Reserve(kName));
  EXPECT_FALSE(store.Reserve(kName));
  store.Release(kName);
  EXPECT_TRUE(store.Reserve(kName));
}

TEST(AttachmentBlobs, SurvivesReopen) {
  testing::TempDir dir;
  const std::string big(3 << 20, 'x');
  {
    auto blobs = AttachmentBlobs::Open(dir.Sub("attachments"));
    ASSERT_TRUE(blobs.ok()) << blobs.status();
    ASSERT_TRUE((*blobs)->Put("k1", big).ok());
    ASSERT_TRUE((*blobs)->Put("k2", "%PDF-small").ok());
  }
  auto blobs = AttachmentBlobs::Open(dir.Sub("attachments"));
  ASSERT_TRUE(blobs.ok());
  EXPECT_EQ(*(*blobs)->Get("k1"), big);
  EXPECT_EQ(*(*blobs)->Get("k2"), "%PDF-small");
  EXPECT_TRUE(absl::IsNotFound((*blobs)->Get("k3").status()));
}

}  // namespace
}  // namespace bdtx::plans
