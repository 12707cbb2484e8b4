#include "common/idempotency/idempotency.h"

#include "bdtx/v1/approvals.pb.h"
#include "gtest/gtest.h"

namespace bdtx::idempotency {
namespace {

constexpr char kApprove[] = "/bdtx.v1.Approvals/Approve";
constexpr char kReturn[] = "/bdtx.v1.Approvals/Return";
constexpr char kDoc[] = "documents/gvcc-001-2023-m4-plan";

bdtx::v1::ApproveRequest Approve(const std::string& id) {
  bdtx::v1::ApproveRequest r;
  r.set_document(kDoc);
  r.set_comment("ok");
  r.set_request_id(id);
  return r;
}

TEST(IdempotencyTest, FingerprintIgnoresOnlyTheRequestId) {
  EXPECT_EQ(Fingerprint(Approve("k1")), Fingerprint(Approve("k2")));
  bdtx::v1::ApproveRequest other = Approve("k1");
  other.set_comment("ok!");
  EXPECT_NE(Fingerprint(Approve("k1")), Fingerprint(other));
  EXPECT_EQ(Fingerprint(Approve("k1")).size(), 64u);
}

TEST(IdempotencyTest, SameCallerMethodResourceAndRequestMatches) {
  const auto record = Record(Bind("people/gvsp-01", kApprove, kDoc, Approve("k1")));
  EXPECT_EQ(record.method(), kApprove);
  EXPECT_TRUE(CheckSame(Bind("people/gvsp-01", kApprove, kDoc, Approve("k1")), record).ok());
}

TEST(IdempotencyTest, AnythingElseIsRequestIdReusedNamingTheFirstMethod) {
  const auto record = Record(Bind("people/gvsp-01", kApprove, kDoc, Approve("k1")));
  bdtx::v1::ReturnRequest ret;
  ret.set_document(kDoc);
  ret.set_reason("thiếu");
  ret.set_request_id("k1");
  bdtx::v1::ApproveRequest changed = Approve("k1");
  changed.set_comment("other");
  for (const Binding& b : {Bind("people/gvsp-01", kReturn, kDoc, ret),
                           Bind("people/stranger", kApprove, kDoc, Approve("k1")),
                           Bind("people/gvsp-01", kApprove, "documents/other", Approve("k1")),
                           Bind("people/gvsp-01", kApprove, kDoc, changed)}) {
    absl::Status s = CheckSame(b, record);
    EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << b.caller << b.method;
    EXPECT_NE(s.message().find(kApprove), absl::string_view::npos) << s.message();
    EXPECT_TRUE(s.GetPayload("type.googleapis.com/google.rpc.ErrorInfo").has_value());
  }
}

TEST(IdempotencyTest, LegacyRecordWithoutBindingNeverMatches) {
  bdtx::v1::RequestRecord legacy;
  EXPECT_EQ(CheckSame(Bind("people/a", kApprove, kDoc, Approve("k1")), legacy).code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace bdtx::idempotency
