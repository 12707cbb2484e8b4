// End to end: the real bdtx-directory process on loopback, driven over gRPC with tokens
// minted from the key file it uses.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/sessions.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/crypto/sha256.h"
#include "common/testing/service_process.h"
#include "common/testing/temp_dir.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/directory/testing/fake_directory.h"

namespace bdtx {
namespace {

using ::bdtx::testing::ServiceProcess;

class DirectoryE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start();
    ASSERT_TRUE(Import(v1::UNITS, "units.csv",
                       std::string(directory::kSampleUnits) +
                           "hn,01,Sở GDĐT Hà Nội,department,moet,,\n"
                           "thcs-hn,,Trường THCS Hà Nội,school,hn,THCS,\n")
                    .ok());
    ASSERT_TRUE(Import(v1::PEOPLE, "people.csv", directory::kSamplePeople).ok());
    ASSERT_TRUE(Import(v1::ASSIGNMENTS, "assignments.csv", directory::kSampleAssignments).ok());
  }

  void Start() {
    auto process = ServiceProcess::Start(
        BDTX_DIRECTORY_PATH, {"--listen=127.0.0.1:0", "--data_dir=" + dir_.Sub("directory"),
                              "--auth_key_file=" + dir_.Sub("auth.key")});
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = std::move(*process);
    auto port = process_->WaitListening(absl::Seconds(30));
    ASSERT_TRUE(port.ok()) << port.status();
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
    stub_ = v1::Directory::NewStub(channel_);
  }

  void Stop() {
    process_->Signal(SIGTERM);
    auto exit = process_->WaitExit(absl::Seconds(20));
    ASSERT_TRUE(exit.ok());
    EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << process_->Output();
    process_.reset();
  }

  std::string Token(const std::string& person, std::vector<std::string> roles,
                    const std::string& unit = "", absl::Duration ttl = absl::Hours(1),
                    const std::string& audience = "bdtx") {
    auth::Claims claims;
    claims.subject = person;
    claims.roles = std::move(roles);
    claims.unit = unit;
    claims.issuer = "bdtx";
    claims.audience = audience;
    claims.expires_at = absl::Now() + ttl;
    auto key = auth::ReadKeyFile(dir_.Sub("auth.key"));
    EXPECT_TRUE(key.ok()) << key.status();
    return *auth::MintJwt(claims, {auth::JwtAlgorithm::kHs256, key.value_or("")});
  }
  std::string Admin() { return Token("operators/admin", {"SYSTEM_ADMIN"}); }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  grpc::Status Import(v1::ImportKind kind, const std::string& file, const std::string& csv,
                      const std::string& token = "", v1::ImportCsvResponse* out = nullptr) {
    v1::ImportCsvRequest req;
    req.set_kind(kind);
    req.set_file_name(file);
    req.set_content(csv);
    v1::ImportCsvResponse resp;
    grpc::Status s = stub_->ImportCsv(Context(token.empty() ? Admin() : token).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }

  grpc::Status Route(const std::string& author, v1::Routing* routing,
                     const std::string& token = "") {
    v1::RouteDocumentRequest req;
    req.set_author(author);
    req.set_kind(v1::PLAN);
    req.set_year(2023);
    req.set_module(4);
    return stub_->RouteDocument(Context(token.empty() ? Admin() : token).get(), req, routing);
  }

  // ImportCsvStream with `csv` cut into chunks of `chunk` bytes.
  grpc::Status StreamImport(v1::ImportKind kind, const std::string& file, const std::string& csv,
                            size_t chunk, bool validate_only, v1::ImportCsvResponse* out) {
    auto ctx = Context(Admin());
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    auto writer = stub_->ImportCsvStream(ctx.get(), out);
    v1::ImportCsvChunk message;
    message.set_kind(kind);
    message.set_file_name(file);
    message.set_validate_only(validate_only);
    for (size_t at = 0; at < csv.size(); at += chunk) {
      message.set_content(csv.substr(at, chunk));
      if (!writer->Write(message)) break;
      message.Clear();
    }
    writer->WritesDone();
    return writer->Finish();
  }

  testing::TempDir dir_;
  std::unique_ptr<ServiceProcess> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Directory::Stub> stub_;
};

TEST_F(DirectoryE2eTest, RoutesTheThreeSignOffAuthoritiesOverGrpc) {
  const std::string author_token = Token("people/gvcc-thcs", {"CORE_TEACHER"}, "units/thcs-tanphu");
  v1::Routing routing;
  ASSERT_TRUE(Route("people/gvcc-thcs", &routing, author_token).ok());
  EXPECT_EQ(routing.sign_off().kind(), v1::SignOffAuthority::PRINCIPAL);
  EXPECT_EQ(routing.sign_off().people(0), "people/ht-thcs");
  EXPECT_EQ(routing.lecturer(), "people/gvsp-1");
  ASSERT_TRUE(Route("people/cbqlcc-th", &routing).ok());
  EXPECT_EQ(routing.sign_off().kind(), v1::SignOffAuthority::DISTRICT_OFFICE);
  EXPECT_EQ(routing.sign_off().unit(), "units/dx");
  ASSERT_TRUE(Route("people/cbqlcc-dx-upper", &routing).ok());
  EXPECT_EQ(routing.sign_off().kind(), v1::SignOffAuthority::PROVINCE_DEPARTMENT);
  EXPECT_EQ(routing.sign_off().unit(), "units/bp");

  grpc::Status unroutable = Route("people/gvcc-noprincipal", &routing);
  EXPECT_EQ(unroutable.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(unroutable.error_message().find("has nobody with role PRINCIPAL"), std::string::npos)
      << unroutable.error_message();
  EXPECT_EQ(Route("people/ghost", &routing).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(DirectoryE2eTest, TokensAreCheckedOnEveryCall) {
  v1::GetUnitRequest req;
  req.set_name("units/bp");
  v1::Unit unit;
  EXPECT_EQ(stub_->GetUnit(Context("").get(), req, &unit).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->GetUnit(Context(Token("people/x", {}, "", -absl::Hours(2))).get(), req, &unit)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      stub_->GetUnit(Context(Token("people/x", {}, "", absl::Hours(1), "other")).get(), req, &unit)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  auth::Claims claims;
  claims.subject = "people/x";
  claims.issuer = claims.audience = "bdtx";
  claims.expires_at = absl::Now() + absl::Hours(1);
  const std::string forged =
      *auth::MintJwt(claims, {auth::JwtAlgorithm::kHs256, std::string(40, 'f')});
  EXPECT_EQ(stub_->GetUnit(Context(forged).get(), req, &unit).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  std::vector<std::string> parts = absl::StrSplit(forged, '.');
  const std::string none =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"none"})"), ".", parts[1], ".");
  grpc::Status s = stub_->GetUnit(Context(none).get(), req, &unit);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("alg none"), std::string::npos);
  ASSERT_TRUE(
      stub_->GetUnit(Context(Token("people/gv-1", {"MASS_TEACHER"})).get(), req, &unit).ok());
  EXPECT_EQ(unit.display_name(), "Sở GDĐT Bình Phước");
}

TEST_F(DirectoryE2eTest, EveryMethodRefusesACallWithoutAToken) {
  const google::protobuf::ServiceDescriptor* service =
      v1::Unit::descriptor()->file()->FindServiceByName("Directory");
  ASSERT_NE(service, nullptr);
  grpc::GenericStub generic(channel_);
  for (int i = 0; i < service->method_count(); ++i) {
    // Streaming methods: StreamingMethodsRefuseStrangers.
    if (service->method(i)->client_streaming() || service->method(i)->server_streaming()) {
      continue;
    }
    const std::string path =
        absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::ByteBuffer request, response;
    grpc::Slice empty("", 0);
    request = grpc::ByteBuffer(&empty, 1);
    grpc::Status status;
    absl::Notification done;
    generic.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        status = s;
                        done.Notify();
                      });
    done.WaitForNotification();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << path;
  }
  EXPECT_EQ(service->method_count(), 14);
}

TEST_F(DirectoryE2eTest, OnlyAdminsAndTheirOwnSoMayImport) {
  const std::string person_in_bp =
      "id,code,full_name,roles,home_unit_id,subject,level,email\n"
      "new-1,,Người Mới,mass_teacher,thcs-tanphu,,,\n";
  grpc::Status teacher = Import(v1::PEOPLE, "p.csv", person_in_bp,
                                Token("people/gv-1", {"MASS_TEACHER"}, "units/thcs-tanphu"));
  EXPECT_EQ(teacher.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const std::string so_bp = Token("people/cv-so", {"PROVINCE_OFFICER"}, "units/bp");
  EXPECT_TRUE(Import(v1::PEOPLE, "p.csv", person_in_bp, so_bp).ok());
  grpc::Status other_province = Import(v1::PEOPLE, "p.csv",
                                       "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                                       "new-2,,Người Hà Nội,mass_teacher,thcs-hn,,,\n",
                                       so_bp);
  EXPECT_EQ(other_province.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(other_province.error_message().find("đơn vị không bao gồm units/thcs-hn"),
            std::string::npos)
      << other_province.error_message();
}

// Every record an import writes is checked where it is now as well as where the file
// puts it: a Sở officer cannot pull a person, unit or class out of another province, nor
// touch another province's assignments through a person or class of their own.
TEST_F(DirectoryE2eTest, SoOfficerCannotReachAnotherProvinceThroughAnyImportRecord) {
  const std::string people = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  const std::string classes = "id,code,name,year,module,unit_id\n";
  const std::string assignments = "year,module,kind,from_id,to_id\n";
  ASSERT_TRUE(Import(v1::PEOPLE, "p.csv",
                     people + "hn-gv,,Giáo viên Hà Nội,core_teacher;reporter,thcs-hn,,THCS,\n" +
                         "hn-col,,Đồng nghiệp Hà Nội,mass_teacher,thcs-hn,,THCS,\n")
                  .ok());
  ASSERT_TRUE(Import(v1::CLASSES, "c.csv", classes + "lop-hn,,Lớp Hà Nội,2023,4,thcs-hn\n").ok());
  ASSERT_TRUE(
      Import(v1::CLASSES, "c.csv", classes + "lop-bp,,Lớp Bình Phước,2023,4,thcs-tanphu\n").ok());
  const std::string so_bp = Token("people/cv-so", {"PROVINCE_OFFICER"}, "units/bp");
  struct Case {
    const char* what;
    v1::ImportKind kind;
    std::string csv;
  };
  const Case refused[] = {
      {"move a Hà Nội teacher into Bình Phước", v1::PEOPLE,
       people + "hn-gv,,Giáo viên Hà Nội,core_teacher,thcs-tanphu,,THCS,\n"},
      {"re-parent a Hà Nội school under Đồng Xoài", v1::UNITS,
       "id,code,name,kind,parent_id,level,university_kind\n"
       "thcs-hn,,Trường THCS Hà Nội,school,dx,THCS,\n"},
      {"move a Hà Nội class into Bình Phước", v1::CLASSES,
       classes + "lop-hn,,Lớp Hà Nội,2023,4,thcs-tanphu\n"},
      {"support a Hà Nội colleague", v1::ASSIGNMENTS,
       assignments + "2023,4,support,gvcc-thcs,hn-col\n"},
      {"a Hà Nội core member supports", v1::ASSIGNMENTS,
       assignments + "2023,4,support,hn-gv,gv-1\n"},
      {"assign a lecturer to a Hà Nội core member", v1::ASSIGNMENTS,
       assignments + "2023,4,lecturer,gvsp-1,hn-gv\n"},
      {"enrol a learner in a Hà Nội class", v1::ASSIGNMENTS,
       assignments + "2023,4,learner,lop-hn,gv-1\n"},
  };
  for (const Case& c : refused) {
    grpc::Status s = Import(c.kind, "f.csv", c.csv, so_bp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << c.what << ": " << s.error_message();
  }
  v1::GetPersonRequest req;
  req.set_name("people/hn-gv");
  v1::Person person;
  ASSERT_TRUE(stub_->GetPerson(Context(Admin()).get(), req, &person).ok());
  EXPECT_EQ(person.home_unit(), "units/thcs-hn");
  // The same kinds inside the province still import.
  EXPECT_TRUE(
      Import(v1::ASSIGNMENTS, "a.csv",
             assignments + "2023,4,support,gvcc-thcs,gv-2\n" + "2023,4,learner,lop-bp,gv-1\n",
             so_bp)
          .ok());
}

// A Sở officer's import stays inside their province: where each record sits now as well
// as where it will sit, and no role above a province. Before, a Sở gave itself
// SYSTEM_ADMIN and MINISTRY_OFFICER by importing its own row (every service then let it do
// anything), pulled people, schools and classes in from another province (then managed
// them, issued their activation codes), made its people graders of another province's
// class, and took over an admin living in its province by
// issuing their activation code.
TEST_F(DirectoryE2eTest, SoImportsNeverReachBeyondItsProvince) {
  ASSERT_TRUE(Import(v1::PEOPLE, "p.csv",
                     "id,code,full_name,roles,home_unit_id\n"
                     "gv-hn,,Giáo viên Hà Nội,mass_teacher,thcs-hn\n"
                     "qt-bp,,Quản trị ở Bình Phước,system_admin,bp\n")
                  .ok());
  ASSERT_TRUE(
      Import(v1::CLASSES, "c.csv", "id,code,name,year,module,unit_id\nlop-hn,,Lớp HN,2023,3,hn\n")
          .ok());
  const std::string so = Token("people/cv-so", {"PROVINCE_OFFICER"}, "units/bp");
  const std::string header = "id,code,full_name,roles,home_unit_id\n";
  for (const auto& [kind, csv] : std::vector<std::pair<v1::ImportKind, std::string>>{
           {v1::PEOPLE, header + "cv-so,,Cán bộ Sở,province_officer;system_admin,bp\n"},
           {v1::PEOPLE, header + "cv-so,,Cán bộ Sở,ministry_officer,bp\n"},
           {v1::PEOPLE, header + "gv-hn,,Giáo viên Hà Nội,mass_teacher,thcs-tanphu\n"},
           {v1::PEOPLE, header + "qt-bp,,Quản trị ở Bình Phước,mass_teacher,bp\n"},
           {v1::UNITS,
            "id,code,name,kind,parent_id,level\nthcs-hn,,Trường THCS Hà Nội,school,dx,THCS\n"},
           {v1::CLASSES, "id,code,name,year,module,unit_id\nlop-hn,,Lớp HN,2023,3,bp\n"},
           {v1::ASSIGNMENTS, "year,module,kind,from_id,to_id\n2023,3,grader,lop-hn,gvcc-thcs\n"},
           {v1::ASSIGNMENTS, "year,module,kind,from_id,to_id\n2023,4,support,gvcc-thcs,gv-hn\n"},
       }) {
    v1::ImportCsvResponse out;
    grpc::Status s = Import(kind, "x.csv", csv, so, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << csv << " -> " << s.error_code() << " " << s.error_message() << out.DebugString();
  }
  // Nothing changed: the Sở officer holds no new role, the school is still Hà Nội's.
  v1::GetPersonRequest get;
  get.set_name("people/cv-so");
  v1::Person person;
  ASSERT_TRUE(stub_->GetPerson(Context(so).get(), get, &person).ok());
  EXPECT_EQ(person.roles_size(), 1) << person.DebugString();
  v1::GetUnitRequest unit_req;
  unit_req.set_name("units/thcs-hn");
  v1::Unit unit;
  ASSERT_TRUE(stub_->GetUnit(Context(so).get(), unit_req, &unit).ok());
  EXPECT_EQ(unit.parent(), "units/hn");
  // What a Sở may still do: its own people, schools and classes.
  EXPECT_TRUE(
      Import(v1::PEOPLE, "p.csv", header + "gv-1,,Người Một,core_teacher,thcs-tanphu\n", so).ok());
  EXPECT_TRUE(Import(v1::UNITS, "u.csv",
                     "id,code,name,kind,parent_id,level\nthcs-new,,Trường Mới,school,dx,THCS\n", so)
                  .ok());
  // An activation code signs in as its person: not for an admin living in the province.
  auto sessions = v1::Sessions::NewStub(channel_);
  v1::IssueActivationCodeRequest issue;
  issue.set_person("people/qt-bp");
  v1::ActivationCode code;
  grpc::Status s = sessions->IssueActivationCode(Context(so).get(), issue, &code);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_TRUE(code.code().empty());
  issue.set_person("people/gv-1");
  EXPECT_TRUE(sessions->IssueActivationCode(Context(so).get(), issue, &code).ok());
}

TEST_F(DirectoryE2eTest, ImportErrorsComeBackWithLinesAndNothingIsWritten) {
  grpc::Status s = Import(v1::PEOPLE, "people.csv",
                          "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                          "ok-1,,A,mass_teacher,thcs-tanphu,,,\n"
                          "bad-1,,B,mass_teacher,nowhere,,,\n");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("people.csv:3:5: không có đơn vị 'nowhere'"), std::string::npos)
      << s.error_message();
  v1::GetPersonRequest req;
  req.set_name("people/ok-1");
  v1::Person person;
  EXPECT_EQ(stub_->GetPerson(Context(Admin()).get(), req, &person).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "a failed import must write nothing";
}

TEST_F(DirectoryE2eTest, BatchGetPeopleAnswersInTheOrderAskedAllOrNothing) {
  v1::BatchGetPeopleRequest req;
  for (const char* id : {"ht-thpt", "gvcc-thcs", "cbqlcc-th", "gvcc-thcs"}) {
    req.add_names(absl::StrCat("people/", id));
  }
  v1::BatchGetPeopleResponse resp;
  ASSERT_TRUE(stub_->BatchGetPeople(Context(Admin()).get(), req, &resp).ok());
  ASSERT_EQ(resp.people_size(), 4);
  EXPECT_EQ(resp.people(0).name(), "people/ht-thpt");
  EXPECT_EQ(resp.people(0).display_name(), "Lê Văn Cường");
  EXPECT_EQ(resp.people(1).name(), "people/gvcc-thcs");
  EXPECT_EQ(resp.people(2).home_unit(), "units/th-tanphu");
  EXPECT_EQ(resp.people(3).name(), "people/gvcc-thcs");

  req.add_names("people/nobody");
  resp.Clear();
  grpc::Status missing = stub_->BatchGetPeople(Context(Admin()).get(), req, &resp);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(missing.error_message().find("people/nobody"), std::string::npos)
      << missing.error_message();

  v1::BatchGetPeopleRequest too_many;
  for (int i = 0; i < 1001; ++i) too_many.add_names("people/gvcc-thcs");
  grpc::Status big = stub_->BatchGetPeople(Context(Admin()).get(), too_many, &resp);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(big.error_message().find("tối đa 1000"), std::string::npos) << big.error_message();

  v1::BatchGetPeopleRequest none;
  resp.Clear();
  ASSERT_TRUE(stub_->BatchGetPeople(Context(Admin()).get(), none, &resp).ok());
  EXPECT_EQ(resp.people_size(), 0);
}

TEST_F(DirectoryE2eTest, DataSurvivesRestartAndReimportChangesNothing) {
  Stop();
  Start();
  v1::GetPersonRequest req;
  req.set_name("people/gvcc-thcs");
  v1::Person person;
  ASSERT_TRUE(stub_->GetPerson(Context(Admin()).get(), req, &person).ok());
  EXPECT_EQ(person.display_name(), "Nguyễn Văn An");
  v1::ImportCsvResponse again;
  ASSERT_TRUE(Import(v1::PEOPLE, "people.csv", directory::kSamplePeople, "", &again).ok());
  EXPECT_EQ(again.created() + again.updated(), 0);
  EXPECT_EQ(again.unchanged(), again.rows());
}

TEST_F(DirectoryE2eTest, ExcelFilesNfdNamesAndBadAddressesAsAPersonWouldSendThem) {
  // Excel with Vietnamese regional settings: ';' between columns, roles quoted.
  const std::string nfd_tam = "Nguye\xCC\x82\xCC\x83n Thanh Ta\xCC\x82m";
  const std::string header = "id;code;full_name;roles;home_unit_id;subject;level;email\r\n";
  v1::ImportCsvResponse first;
  ASSERT_TRUE(Import(v1::PEOPLE, "people.csv",
                     header + "gvcc-001;;" + nfd_tam +
                         ";\"core_teacher;reporter\";thcs-tanphu;Toán;THCS;tam@thcs.example\r\n",
                     "", &first)
                  .ok());
  EXPECT_EQ(first.created(), 1);
  v1::GetPersonRequest get;
  get.set_name("people/gvcc-001");
  v1::Person person;
  ASSERT_TRUE(stub_->GetPerson(Context(Admin()).get(), get, &person).ok());
  EXPECT_EQ(person.display_name(), "Nguyễn Thanh Tâm");  // stored NFC
  EXPECT_EQ(person.roles_size(), 2);
  // The same file saved NFC (Windows): nothing changes.
  v1::ImportCsvResponse again;
  ASSERT_TRUE(Import(v1::PEOPLE, "people.csv",
                     header +
                         "gvcc-001;;Nguyễn Thanh Tâm;\"core_teacher;reporter\";thcs-tanphu;Toán;"
                         "THCS;tam@thcs.example\r\n",
                     "", &again)
                  .ok());
  EXPECT_EQ(again.updated(), 0);
  EXPECT_EQ(again.unchanged(), 1);

  // "khong co email" and a CR LF RCPT TO injection: INVALID_ARGUMENT, nothing imported.
  const std::string comma = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  grpc::Status bad = Import(v1::PEOPLE, "people.csv",
                            comma +
                                "gv-new,,Người Mới,mass_teacher,thcs-tanphu,,,khong co email\n"
                                "gvsp-06,,GVSP Sáu,pedagogy_lecturer,dhsp,,,"
                                "\"gvsp-06@example.test>\r\nRCPT TO:<intruder@example.test\"\n");
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("people.csv:2:8:"), std::string::npos) << bad.error_message();
  EXPECT_NE(bad.error_message().find("people.csv:3:8:"), std::string::npos) << bad.error_message();
  get.set_name("people/gv-new");
  EXPECT_EQ(stub_->GetPerson(Context(Admin()).get(), get, &person).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(DirectoryE2eTest, ListsPageThroughEverything) {
  std::string token;
  int seen = 0;
  int pages = 0;
  do {
    v1::ListPeopleRequest req;
    req.set_page_size(5);
    req.set_page_token(token);
    v1::ListPeopleResponse resp;
    grpc::Status s = stub_->ListPeople(Context(Admin()).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    seen += resp.people_size();
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_EQ(seen, 23);  // kSamplePeople
  EXPECT_EQ(pages, 5);
}

TEST_F(DirectoryE2eTest, StreamedImportMayCutChunksInsideACharacterAndAppliesOnce) {
  const std::string csv =
      "id,code,full_name,roles,home_unit_id\n"
      "gv-stream-1,ST1,Nguyễn Thị Ánh Tuyết,mass_teacher,thcs-tanphu\n"
      "gv-stream-2,ST2,Trương Văn Đức,mass_teacher,thcs-tanphu\n";
  v1::ImportCsvResponse resp;
  // 7-byte chunks cut the two-byte and three-byte characters of the names.
  grpc::Status s = StreamImport(v1::PEOPLE, "stream.csv", csv, 7, false, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.rows(), 2);
  EXPECT_EQ(resp.created(), 2);
  EXPECT_EQ(resp.sha256(), Sha256Hex(csv));
  v1::LookupPersonRequest req;
  req.set_code("ST1");
  v1::Person person;
  ASSERT_TRUE(stub_->LookupPerson(Context(Admin()).get(), req, &person).ok());
  EXPECT_EQ(person.display_name(), "Nguyễn Thị Ánh Tuyết");
  // The same file again, streamed in other chunks: nothing changes.
  ASSERT_TRUE(StreamImport(v1::PEOPLE, "stream.csv", csv, 100, false, &resp).ok());
  EXPECT_EQ(resp.unchanged(), 2);
}

TEST_F(DirectoryE2eTest, StreamedImportIsAllOrNothing) {
  std::string csv = "id,code,full_name,roles,home_unit_id\n";
  for (int i = 0; i < 2000; ++i) {
    absl::StrAppend(&csv, "gv-bulk-", i, ",,Giáo viên ", i, ",mass_teacher,thcs-tanphu\n");
  }
  absl::StrAppend(&csv, "gv-bad,,Sai,no_such_role,thcs-tanphu\n");
  v1::ImportCsvResponse resp;
  grpc::Status s = StreamImport(v1::PEOPLE, "bulk.csv", csv, 4096, false, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("bulk.csv:2002:4: vai trò 'no_such_role' không có"),
            std::string::npos)
      << s.error_message();
  v1::GetPersonRequest req;
  req.set_name("people/gv-bulk-0");
  v1::Person person;
  EXPECT_EQ(stub_->GetPerson(Context(Admin()).get(), req, &person).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(DirectoryE2eTest, FileAboveTheMessageLimitImportsOnlyStreamed) {
  // 17 MiB of people rows: one ImportCsv message cannot carry it; the stream can.
  std::string csv = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  for (int i = 0; csv.size() <= (17u << 20); ++i) {
    absl::StrAppend(&csv, "gv-national-", i, ",BD", i, ",Nguyễn Văn Học Viên Số ", i,
                    ",mass_teacher,thcs-tanphu,Ngữ văn,THCS,gv", i, "@truong.edu.vn\n");
  }
  const int rows = static_cast<int>(std::count(csv.begin(), csv.end(), '\n')) - 1;
  EXPECT_EQ(Import(v1::PEOPLE, "national.csv", csv).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::ImportCsvResponse resp;
  // Validated whole (every row parsed and checked) from 1 MiB chunks; the sha256 shows the
  // directory saw exactly the bytes sent.
  grpc::Status s = StreamImport(v1::PEOPLE, "national.csv", csv, 1 << 20, true, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.rows(), rows);
  EXPECT_EQ(resp.sha256(), Sha256Hex(csv));
}

TEST_F(DirectoryE2eTest, StreamingMethodsRefuseStrangers) {
  {
    grpc::ClientContext ctx;
    auto reader = stub_->WatchChanges(&ctx, v1::WatchChangesRequest());
    v1::DirectoryChange change;
    EXPECT_FALSE(reader->Read(&change));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    // The directory's change stream is for services and admins, not for people.
    auto ctx = Context(Token("people/gv-1", {"MASS_TEACHER"}, "units/thcs-tanphu"));
    auto reader = stub_->WatchChanges(ctx.get(), v1::WatchChangesRequest());
    v1::DirectoryChange change;
    EXPECT_FALSE(reader->Read(&change));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    auto ctx = Context(Admin());
    auto reader = stub_->WatchChanges(ctx.get(), v1::WatchChangesRequest());
    v1::DirectoryChange change;
    ASSERT_TRUE(reader->Read(&change));
    EXPECT_EQ(change.version(), 3);  // three imports in SetUp
    ctx->TryCancel();
  }
  {
    grpc::ClientContext ctx;
    v1::ImportCsvResponse resp;
    auto writer = stub_->ImportCsvStream(&ctx, &resp);
    v1::ImportCsvChunk chunk;
    chunk.set_kind(v1::PEOPLE);
    chunk.set_content("id,code,full_name,roles,home_unit_id\nx,,X,system_admin,bp\n");
    writer->Write(chunk);
    writer->WritesDone();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
}

// The ErrorInfo of `s`: reason and metadata.
std::pair<std::string, std::map<std::string, std::string>> ErrorInfoOf(const grpc::Status& s) {
  google::rpc::Status details;
  if (!details.ParseFromString(s.error_details())) return {};
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      return {info.reason(), {info.metadata().begin(), info.metadata().end()}};
    }
  }
  return {};
}

// Issue 15 §1: import A (an officer), then B (their demotion); a late retry of A with its
// request_id answers A's first result and writes nothing, so B stands.
TEST_F(DirectoryE2eTest, LateRetryOfAnImportAnswersTheFirstResultAndNeverUndoesALaterFile) {
  const std::string header = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
  const std::string file_a = header + "cv-moi,,Chuyên viên Mới,province_officer,bp,,,\n";
  const std::string file_b = header + "cv-moi,,Chuyên viên Mới,district_officer,dx,,,\n";
  auto import = [&](const std::string& csv, const std::string& id, v1::ImportCsvResponse* out,
                    const std::string& token = "") {
    v1::ImportCsvRequest req;
    req.set_kind(v1::PEOPLE);
    req.set_file_name("people.csv");
    req.set_content(csv);
    req.set_request_id(id);
    return stub_->ImportCsv(Context(token.empty() ? Admin() : token).get(), req, out);
  };
  auto roles_of_new_officer = [&] {
    v1::GetPersonRequest req;
    req.set_name("people/cv-moi");
    v1::Person person;
    EXPECT_TRUE(stub_->GetPerson(Context(Admin()).get(), req, &person).ok());
    return absl::StrCat(person.home_unit(), " ",
                        person.roles_size() ? static_cast<int>(person.roles(0)) : 0);
  };
  v1::ImportCsvResponse first_a, first_b, retry_a;
  ASSERT_TRUE(import(file_a, "import-a", &first_a).ok());
  EXPECT_EQ(first_a.created(), 1);
  const std::string promoted = roles_of_new_officer();
  ASSERT_TRUE(import(file_b, "import-b", &first_b).ok());
  EXPECT_EQ(first_b.updated(), 1);
  const std::string demoted = roles_of_new_officer();
  ASSERT_NE(promoted, demoted);

  // The late retry of A: the first answer, byte for byte, and B still stands.
  grpc::Status s = import(file_a, "import-a", &retry_a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(retry_a.SerializeAsString(), first_a.SerializeAsString());
  EXPECT_EQ(roles_of_new_officer(), demoted) << "a retry of A must not undo B";
  // Also after a restart (the record is durable).
  Stop();
  Start();
  retry_a.Clear();
  ASSERT_TRUE(import(file_a, "import-a", &retry_a).ok());
  EXPECT_EQ(retry_a.SerializeAsString(), first_a.SerializeAsString());
  EXPECT_EQ(roles_of_new_officer(), demoted);

  // import-a reused for another file (or as validate_only): REQUEST_ID_REUSED, nothing applied.
  v1::ImportCsvResponse nothing;
  s = import(file_b + "cv-khac,,Người Khác,district_officer,dx,,,\n", "import-a", &nothing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).first, "REQUEST_ID_REUSED");
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Directory/ImportCsv");
  EXPECT_EQ(nothing.ByteSizeLong(), 0u);
  v1::GetPersonRequest other;
  other.set_name("people/cv-khac");
  v1::Person person;
  EXPECT_EQ(stub_->GetPerson(Context(Admin()).get(), other, &person).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The same id from the stream RPC: bound to ImportCsv, so reused.
  v1::ImportCsvResponse streamed;
  {
    auto ctx = Context(Admin());
    auto writer = stub_->ImportCsvStream(ctx.get(), &streamed);
    v1::ImportCsvChunk chunk;
    chunk.set_kind(v1::PEOPLE);
    chunk.set_request_id("import-a");
    chunk.set_content(file_a);
    writer->Write(chunk);
    writer->WritesDone();
    s = writer->Finish();
  }
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(ErrorInfoOf(s).second["method"], "/bdtx.v1.Directory/ImportCsv");

  // Another admin's id is theirs: the same id is a new request, never our answer.
  v1::ImportCsvResponse theirs;
  ASSERT_TRUE(
      import(file_a, "import-a", &theirs, Token("operators/admin2", {"SYSTEM_ADMIN"})).ok());
  EXPECT_EQ(theirs.updated(), 1);
  EXPECT_NE(roles_of_new_officer(), demoted);
}

TEST_F(DirectoryE2eTest, StreamedImportRetryAnswersTheFirstResultAndChunksMustAgreeOnTheId) {
  const std::string csv =
      "id,code,full_name,roles,home_unit_id,subject,level,email\n"
      "gv-moi,,Giáo viên Mới,mass_teacher,thcs-tanphu,,,\n";
  auto stream = [&](const std::string& first_id, const std::string& later_id,
                    v1::ImportCsvResponse* out) {
    auto ctx = Context(Admin());
    auto writer = stub_->ImportCsvStream(ctx.get(), out);
    v1::ImportCsvChunk chunk;
    chunk.set_kind(v1::PEOPLE);
    chunk.set_request_id(first_id);
    chunk.set_content(csv.substr(0, 20));
    writer->Write(chunk);
    chunk.Clear();
    chunk.set_request_id(later_id);
    chunk.set_content(csv.substr(20));
    writer->Write(chunk);
    writer->WritesDone();
    return writer->Finish();
  };
  v1::ImportCsvResponse first, again, mismatched;
  ASSERT_TRUE(stream("s-1", "", &first).ok());
  EXPECT_EQ(first.created(), 1);
  ASSERT_TRUE(stream("s-1", "s-1", &again).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  grpc::Status s = stream("s-2", "s-3", &mismatched);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
}

// Issue 15 sweep: a person's email is shown to the person and to those over their unit,
// not to every signed-in user; a class and a support group are read by who is in them,
// their lecturer and the officers over them; others get one refusal, existing or not.
TEST_F(DirectoryE2eTest, EmailsClassesAndSupportGroupsAreReadOnlyByWhomTheyConcern) {
  ASSERT_TRUE(Import(v1::PEOPLE, "people.csv",
                     "id,code,full_name,roles,home_unit_id,subject,level,email\n"
                     "gv-thu,,Giáo viên Thư,mass_teacher,thcs-tanphu,,,gv.thu@example.vn\n")
                  .ok());
  ASSERT_TRUE(Import(v1::CLASSES, "classes.csv",
                     "id,code,name,year,module,unit_id\nm4-1,L4001,Lớp mô đun 4,2023,4,bp\n")
                  .ok());
  ASSERT_TRUE(Import(v1::ASSIGNMENTS, "assignments.csv",
                     "year,module,kind,from_id,to_id\n"
                     "2023,4,learner,m4-1,gv-1\n2023,4,grader,m4-1,gvcc-thcs\n")
                  .ok());
  const std::string colleague = Token("people/gv-1", {"MASS_TEACHER"}, "units/thcs-tanphu");
  const std::string other_teacher = Token("people/gv-2", {"MASS_TEACHER"}, "units/thcs-tanphu");
  const std::string core = Token("people/gvcc-thcs", {"CORE_TEACHER"}, "units/thcs-tanphu");
  const std::string lecturer = Token("people/gvsp-1", {"PEDAGOGY_LECTURER"}, "units/dhsp");
  const std::string other_lecturer =
      Token("people/gvqlgd-1", {"MANAGEMENT_LECTURER"}, "units/hvqlgd");
  const std::string so = Token("people/cv-so", {"PROVINCE_OFFICER"}, "units/bp");
  const std::string self = Token("people/gv-thu", {"MASS_TEACHER"}, "units/thcs-tanphu");

  v1::GetPersonRequest get_person;
  get_person.set_name("people/gv-thu");
  for (const auto& [token, sees] : std::vector<std::pair<std::string, bool>>{
           {self, true}, {so, true}, {Admin(), true}, {other_teacher, false}, {lecturer, false}}) {
    v1::Person person;
    ASSERT_TRUE(stub_->GetPerson(Context(token).get(), get_person, &person).ok());
    EXPECT_EQ(person.display_name(), "Giáo viên Thư");
    EXPECT_EQ(person.email(), sees ? "gv.thu@example.vn" : "");
  }
  v1::ListPeopleRequest list;
  list.set_unit("units/thcs-tanphu");
  v1::ListPeopleResponse listed;
  ASSERT_TRUE(stub_->ListPeople(Context(other_teacher).get(), list, &listed).ok());
  ASSERT_GT(listed.people_size(), 0);
  for (const v1::Person& p : listed.people()) EXPECT_EQ(p.email(), "") << p.name();

  v1::GetClassRequest get_class;
  for (const std::string& token : {colleague, core, lecturer, so, Admin()}) {
    get_class.set_name("classes/m4-1");
    v1::Class cls;
    grpc::Status s = stub_->GetClass(Context(token).get(), get_class, &cls);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(cls.learners_size(), 1);
  }
  for (const std::string& token : {other_teacher, other_lecturer}) {
    v1::Class cls;
    get_class.set_name("classes/m4-1");
    grpc::Status existing = stub_->GetClass(Context(token).get(), get_class, &cls);
    get_class.set_name("classes/m4-404");
    grpc::Status absent = stub_->GetClass(Context(token).get(), get_class, &cls);
    EXPECT_EQ(existing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(absent.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(cls.ByteSizeLong(), 0u);
  }

  v1::GetSupportGroupRequest group;
  group.set_core_member("people/gvcc-thcs");
  group.set_year(2023);
  group.set_module(4);
  for (const std::string& token : {colleague, core, lecturer, so}) {
    v1::SupportGroup out;
    grpc::Status s = stub_->GetSupportGroup(Context(token).get(), group, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.lecturer(), "people/gvsp-1");
  }
  for (const std::string& token :
       {other_lecturer, Token("people/gvcc-phong", {"CORE_TEACHER"}, "units/dx")}) {
    v1::SupportGroup out;
    grpc::Status s = stub_->GetSupportGroup(Context(token).get(), group, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_EQ(out.ByteSizeLong(), 0u);
  }
}

TEST_F(DirectoryE2eTest, StreamedImportRefusesAStrangerBeforeReadingTheFile) {
  // A core teacher (whose forged token claims SYSTEM_ADMIN) opens an import stream and
  // never ends it: the refusal must come at once, not after the directory has buffered
  // up to 256 MiB of their file.
  auto ctx = Context(Token("people/gvcc-thcs", {"SYSTEM_ADMIN"}, "units/thcs-tanphu"));
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ImportCsvResponse resp;
  auto writer = stub_->ImportCsvStream(ctx.get(), &resp);
  v1::ImportCsvChunk chunk;
  chunk.set_kind(v1::PEOPLE);
  chunk.set_content(std::string(1 << 20, 'x'));
  writer->Write(chunk);
  grpc::Status s = writer->Finish();  // no WritesDone: the server must not wait for it
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
}

TEST_F(DirectoryE2eTest, StreamedImportsReceivedAtOnceAreBounded) {
  const std::string header = "id,code,full_name,roles,home_unit_id\n";
  struct Open {
    std::unique_ptr<grpc::ClientContext> ctx;
    v1::ImportCsvResponse resp;
    std::unique_ptr<grpc::ClientWriter<v1::ImportCsvChunk>> writer;
  };
  auto open = [&](Open& o, const std::string& id) {
    o.ctx = Context(Admin());
    o.writer = stub_->ImportCsvStream(o.ctx.get(), &o.resp);
    v1::ImportCsvChunk chunk;
    chunk.set_kind(v1::PEOPLE);
    chunk.set_content(header + id + ",,Giáo viên " + id + ",mass_teacher,thcs-tanphu\n");
    return o.writer->Write(chunk);
  };
  std::vector<Open> held(2);  // DirectoryService::kMaxImportStreams
  for (size_t i = 0; i < held.size(); ++i) ASSERT_TRUE(open(held[i], absl::StrCat("gv-held-", i)));
  absl::SleepFor(absl::Milliseconds(300));  // the held streams reach the server first
  Open extra;
  open(extra, "gv-extra");
  grpc::Status refused = extra.writer->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  // The streams held open still complete, and free their places.
  for (Open& o : held) {
    o.writer->WritesDone();
    grpc::Status s = o.writer->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(o.resp.created(), 1);
  }
  v1::ImportCsvResponse resp;
  grpc::Status again =
      StreamImport(v1::PEOPLE, "after.csv",
                   header + "gv-after,,Giáo viên,mass_teacher,thcs-tanphu\n", 64, false, &resp);
  EXPECT_TRUE(again.ok()) << again.error_message();
}

TEST_F(DirectoryE2eTest, StreamedImportCancelledMidwayAppliesNothing) {
  // Whole, valid rows already sent; the client then gives up without half-closing.
  auto ctx = Context(Admin());
  v1::ImportCsvResponse resp;
  auto writer = stub_->ImportCsvStream(ctx.get(), &resp);
  v1::ImportCsvChunk chunk;
  chunk.set_kind(v1::PEOPLE);
  chunk.set_content(
      "id,code,full_name,roles,home_unit_id\ngv-cut-1,,Cắt Ngang,mass_teacher,"
      "thcs-tanphu\n");
  ASSERT_TRUE(writer->Write(chunk));
  absl::SleepFor(absl::Milliseconds(300));  // the chunk reaches the directory
  ctx->TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  absl::SleepFor(absl::Milliseconds(500));  // anything applied would be visible by now
  v1::GetPersonRequest req;
  req.set_name("people/gv-cut-1");
  v1::Person person;
  EXPECT_EQ(stub_->GetPerson(Context(Admin()).get(), req, &person).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The cancelled stream freed its place: with one other stream held open, one more
  // still fits under the bound of 2.
  auto held_ctx = Context(Admin());
  v1::ImportCsvResponse held_resp;
  auto held = stub_->ImportCsvStream(held_ctx.get(), &held_resp);
  ASSERT_TRUE(held->Write(chunk));
  absl::SleepFor(absl::Milliseconds(300));
  const std::string csv =
      "id,code,full_name,roles,home_unit_id\ngv-cut-2,,Sau,mass_teacher,thcs-tanphu\n";
  grpc::Status s = StreamImport(v1::PEOPLE, "after.csv", csv, 16, false, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  held_ctx->TryCancel();
  held->Finish();
}

}  // namespace
}  // namespace bdtx
