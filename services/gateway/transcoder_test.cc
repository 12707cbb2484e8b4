#include "services/gateway/transcoder.h"

#include <set>

#include "bdtx/v1/approvals.pb.h"
#include "bdtx/v1/notifications.pb.h"
#include "bdtx/v1/plans.pb.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "services/gateway/errors.h"
#include "services/gateway/path_template.h"
#include "services/gateway/public_services.h"

namespace bdtx::gateway {
namespace {

using ::testing::HasSubstr;

TEST(PathTemplate, MatchesVariablesAndVerb) {
  auto t = PathTemplate::Parse("/v1/{document=documents/*}:approve");
  ASSERT_TRUE(t.ok()) << t.status();
  auto m = t->Match("/v1/documents/gvcc-001-2023-m4-plan:approve");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ((*m)[0].first, "document");
  EXPECT_EQ((*m)[0].second, "documents/gvcc-001-2023-m4-plan");
  EXPECT_FALSE(t->Match("/v1/documents/x:return"));
  EXPECT_FALSE(t->Match("/v1/documents/a/b:approve"));
  EXPECT_FALSE(t->Match("/v1/documents:approve"));
  // An encoded slash cannot reach a deeper name.
  EXPECT_FALSE(t->Match("/v1/documents/a%2Fb:approve"));
  std::vector<std::string> params;
  EXPECT_EQ(t->OpenApiPath(&params), "/v1/documents/{documentsId}:approve");
  EXPECT_EQ(params, std::vector<std::string>{"documentsId"});
  auto sha = PathTemplate::Parse("/v1/{document=documents/*}/attachments/{sha256}");
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(sha->OpenApiPath(), "/v1/documents/{documentsId}/attachments/{sha256}");
}

TEST(PathTemplate, TemplateWithoutVerbRejectsPathWithVerb) {
  auto t = PathTemplate::Parse("/v1/{name=documents/*}");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->Match("/v1/documents/x"));
  EXPECT_FALSE(t->Match("/v1/documents/x:submit"));
}

TEST(PathTemplate, RejectsMalformedTemplates) {
  for (const char* bad : {"v1/x", "/v1/{name", "/v1/**/x", "/v1/{=a}", "/v1/"}) {
    EXPECT_FALSE(PathTemplate::Parse(bad).ok()) << bad;
  }
}

TEST(PathTemplate, MultiSegmentVariable) {
  auto t = PathTemplate::Parse("/v1/{name=classes/*/assignments/*}");
  ASSERT_TRUE(t.ok());
  auto m = t->Match("/v1/classes/lop-1/assignments/gv-2");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ((*m)[0].second, "classes/lop-1/assignments/gv-2");
}

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)PublicServices();  // links the descriptors
    auto t = RouteTable::Build({"bdtx.v1.Plans", "bdtx.v1.Approvals", "bdtx.v1.Notifications"});
    ASSERT_TRUE(t.ok()) << t.status();
    table_ = *std::move(t);
  }
  RouteTable table_;
};

TEST(AllRoutes, EveryPublicMethodHasARoute) {
  // Calls between services only, deliberately without an HTTP route (a person's token is
  // refused by the service anyway): the directory has notifications e-mail a code.
  const std::set<std::string> services_only = {"bdtx.v1.Notifications.SendActivationCode"};
  auto table = RouteTable::Build(PublicServices());
  ASSERT_TRUE(table.ok()) << table.status();
  for (const std::string& s : PublicServices()) {
    const auto* sd = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(s);
    for (int i = 0; i < sd->method_count(); ++i) {
      bool found = false;
      for (const Route& r : table->routes()) found = found || r.method == sd->method(i);
      EXPECT_EQ(found, services_only.count(sd->method(i)->full_name()) == 0)
          << sd->method(i)->full_name();
    }
  }
}

TEST_F(RoutesTest, PathBodyAndQueryFillTheRequest) {
  auto m = table_.Find("POST", "/v1/documents/d1:approve");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->route->grpc_path, "/bdtx.v1.Approvals/Approve");
  v1::ApproveRequest req;
  ASSERT_TRUE(BuildRequest(*m->route, m->bindings, "", R"({"comment":"Tốt","expectedVersion":"3"})",
                           false, &req)
                  .ok());
  EXPECT_EQ(req.document(), "documents/d1");
  EXPECT_EQ(req.comment(), "Tốt");
  EXPECT_EQ(req.expected_version(), 3);

  auto list = table_.Find("GET", "/v1/documents");
  ASSERT_TRUE(list.ok());
  v1::ListSupportDocumentsRequest lreq;
  ASSERT_TRUE(BuildRequest(*list->route, list->bindings,
                           "author=people%2Fgvcc-001&year=2023&kind=PLAN&pageSize=5&page_token=abc",
                           "", false, &lreq)
                  .ok());
  EXPECT_EQ(lreq.author(), "people/gvcc-001");
  EXPECT_EQ(lreq.year(), 2023);
  EXPECT_EQ(lreq.kind(), v1::PLAN);
  EXPECT_EQ(lreq.page_size(), 5);
  EXPECT_EQ(lreq.page_token(), "abc");
}

TEST_F(RoutesTest, BodyFieldAndFieldMaskQuery) {
  auto m = table_.Find("PATCH", "/v1/documents/d1");
  ASSERT_TRUE(m.ok()) << m.status();
  v1::UpdateSupportDocumentRequest req;
  ASSERT_TRUE(BuildRequest(*m->route, m->bindings,
                           "updateMask=header.school,rows&expectedVersion=2", "{}", false, &req)
                  .ok());
  EXPECT_EQ(req.content().name(), "documents/d1");
  EXPECT_EQ(req.update_mask().paths_size(), 2);
  EXPECT_EQ(req.expected_version(), 2);
}

TEST_F(RoutesTest, BadInputIsInvalidArgument) {
  auto m = table_.Find("POST", "/v1/documents/d1:approve");
  ASSERT_TRUE(m.ok());
  v1::ApproveRequest req;
  EXPECT_EQ(BuildRequest(*m->route, m->bindings, "", "{not json", false, &req).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildRequest(*m->route, m->bindings, "", R"({"nope":1})", false, &req).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildRequest(*m->route, m->bindings, "comment=x", "{}", false, &req).code(),
            absl::StatusCode::kInvalidArgument);
  auto list = table_.Find("GET", "/v1/documents");
  v1::ListSupportDocumentsRequest lreq;
  EXPECT_EQ(BuildRequest(*list->route, list->bindings, "year=abc", "", false, &lreq).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildRequest(*list->route, list->bindings, "unknown=1", "", false, &lreq).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildRequest(*list->route, list->bindings, "", "{}", false, &lreq).code(),
            absl::StatusCode::kInvalidArgument);  // GET takes no body
}

TEST_F(RoutesTest, UnknownPathAndWrongMethod) {
  EXPECT_EQ(table_.Find("GET", "/v1/nothing").status().code(), absl::StatusCode::kNotFound);
  auto wrong = table_.Find("DELETE", "/v1/documents/d1");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(wrong.status().message(), HasSubstr("GET"));
}

TEST(Errors, Aip193BodyWithDetails) {
  google::rpc::Status status;
  status.set_code(9);
  status.set_message("m");
  google::rpc::ErrorInfo info;
  info.set_reason("WRONG_STATE");
  info.set_domain("bdtx.vn");
  (*info.mutable_metadata())["state"] = "DRAFT";
  status.add_details()->PackFrom(info);
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field("year");
  v->set_description("sai");
  status.add_details()->PackFrom(bad);
  HttpError e = ToHttpError(9, "Tài liệu \"x\" chưa nộp", status.SerializeAsString());
  EXPECT_EQ(e.http_status, 400);
  EXPECT_THAT(e.json, HasSubstr(R"({"error":{"code":400,"message":"Tài liệu \"x\" chưa nộp")"));
  EXPECT_THAT(e.json, HasSubstr(R"("status":"FAILED_PRECONDITION")"));
  EXPECT_THAT(e.json, HasSubstr(R"("@type":"type.googleapis.com/google.rpc.ErrorInfo")"));
  EXPECT_THAT(e.json, HasSubstr(R"("reason":"WRONG_STATE")"));
  EXPECT_THAT(e.json, HasSubstr(R"("fieldViolations":[{"field":"year")"));
  EXPECT_EQ(ToHttpError(16, "", "").http_status, 401);
  EXPECT_EQ(ToHttpError(7, "", "").http_status, 403);
  EXPECT_EQ(ToHttpError(5, "", "").http_status, 404);
  EXPECT_EQ(ToHttpError(10, "", "").http_status, 409);
  EXPECT_EQ(ToHttpError(8, "", "").http_status, 429);
  EXPECT_EQ(ToHttpError(14, "", "").http_status, 503);
}

}  // namespace
}  // namespace bdtx::gateway
