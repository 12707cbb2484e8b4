// The authorization matrix (issue 22), over the wire: every RPC of every bdtx.v1
// service, found from the descriptors of protos/bdtx/v1/*.proto, called by every role
// kind of docs/authz.md against a resource that belongs to someone else, on real
// bdtx-directory (with Sessions), -approvals, -grading, -plans, -notifications and
// -support processes on loopback (Admin/Backup on each of the six).
//  - An RPC without a row in docs/authz.md fails (a new RPC fails until it has one);
//    so does a row for an RPC that no longer exists.
//  - `deny` cells must answer PERMISSION_DENIED or NOT_FOUND (`unauth`: UNAUTHENTICATED)
//    with no message and nothing of the resource in the error; an answer is an escape.
//  - The same refusal about a resource that does not exist must be the same (code and
//    words) as about the real one, unless the caller may read the real one (ReadOf).
//  - `allow`/`own` cells must not be refused (PERMISSION_DENIED, UNAUTHENTICATED,
//    NOT_FOUND) nor fail inside (INTERNAL, UNKNOWN).
// Refusals run first, in parallel, on the state docs/authz.md describes; then the
// allowed cells, in table order.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bdtx/v1/admin.grpc.pb.h"
#include "bdtx/v1/approvals.grpc.pb.h"
#include "bdtx/v1/directory.grpc.pb.h"
#include "bdtx/v1/events.pb.h"
#include "bdtx/v1/grading.grpc.pb.h"
#include "bdtx/v1/notifications.grpc.pb.h"
#include "bdtx/v1/plans.grpc.pb.h"
#include "bdtx/v1/sessions.grpc.pb.h"
#include "bdtx/v1/support.grpc.pb.h"
#include "common/testing/temp_dir.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/e2e_support.h"

namespace bdtx {
namespace {

using ::bdtx::testing::Running;
using ::bdtx::testing::StartService;
using ::bdtx::testing::StubTo;
using ::bdtx::testing::Who;

// ---- The people and the resources (docs/authz.md "The resources") ----------------

constexpr char kUnits[] =
    "id,code,name,kind,parent_id,level,university_kind\n"
    "moet,BGDDT,Bộ Giáo dục và Đào tạo,ministry,,,\n"
    "bp,70,Sở GDĐT Bình Phước,department,moet,,\n"
    "dn,75,Sở GDĐT Đồng Nai,department,moet,,\n"
    "dx,PGD-DX,Phòng GDĐT Đồng Xoài,district,bp,,\n"
    "lninh,PGD-LN,Phòng GDĐT Lộc Ninh,district,bp,,\n"
    "thcs-tanphu,THCS-TP,Trường THCS Tân Phú,school,dx,THCS,\n"
    "thcs-locthai,THCS-LT,Trường THCS Lộc Thái,school,lninh,THCS,\n"
    "dhsp,DHSP,Trường ĐHSP TP.HCM,university,moet,,DHSP\n";

constexpr char kPeopleHeader[] = "id,code,full_name,roles,home_unit_id,subject,level,email\n";
constexpr char kOwnerRow[] =
    "gvcc-a,GVCC-A,Nguyễn Văn Chủ,core_teacher;reporter,thcs-tanphu,Toán,THCS,"
    "chu.bimat@example.vn\n";
constexpr char kOtherPeople[] =
    "gv-a,GV-A,Trần Thị Hỏi,mass_teacher,thcs-tanphu,Toán,THCS,hoi.bimat@example.vn\n"
    "gv-b,GV-B,Lê Văn Ba,mass_teacher,thcs-tanphu,Toán,THCS,\n"
    "gvcc-b,GVCC-B,Phạm Thị Bốn,core_teacher,thcs-tanphu,Ngữ văn,THCS,\n"
    "cbql-b,CBQL-B,Vũ Văn Năm,core_manager,thcs-tanphu,,THCS,\n"
    "gvsp-a,GVSP-A,Đỗ Thị Sáu,pedagogy_lecturer,dhsp,,,\n"
    "gvsp-b,GVSP-B,Bùi Văn Bảy,pedagogy_lecturer,dhsp,,,\n"
    "ht-a,HT-A,Ngô Thị Tám,principal,thcs-tanphu,,THCS,\n"
    "ht-b,HT-B,Lý Văn Chín,principal,thcs-locthai,,THCS,\n"
    "cv-dx,CV-DX,Hồ Thị Mười,district_officer,dx,,,\n"
    "cv-ln,CV-LN,Đinh Văn Mười Một,district_officer,lninh,,,\n"
    "cv-bp,CV-BP,Tô Thị Mười Hai,province_officer,bp,,,\n"
    "cv-dn,CV-DN,Cao Văn Mười Ba,province_officer,dn,,,\n"
    "cv-moet,CV-MOET,Lâm Thị Mười Bốn,ministry_officer,moet,,,\n";
constexpr char kClasses[] =
    "id,code,name,year,module,unit_id\n"
    "lop-a,L-A,Lớp mô đun 3 số 1,2023,3,bp\n";
constexpr char kAssignments[] =
    "year,module,kind,from_id,to_id\n"
    "2023,3,learner,lop-a,gv-a\n"
    "2023,3,grader,lop-a,gvcc-a\n"
    "2023,3,lecturer,gvsp-a,gvcc-a\n"
    "2023,4,lecturer,gvsp-a,gvcc-a\n"
    "2023,4,support,gvcc-a,gv-a\n";

// What a refusal must never carry: the owners' names and addresses, and every text the
// owners wrote (each holds "BIMAT").
const std::vector<std::string> kSecrets = {"Nguyễn Văn Chủ", "Trần Thị Hỏi", "bimat", "BIMAT"};

const Who kOwner{"people/gvcc-a", {"CORE_TEACHER", "REPORTER"}, "units/thcs-tanphu"};
const Who kLearner{"people/gv-a", {"MASS_TEACHER"}, "units/thcs-tanphu"};
const Who kAdmin{"operators/admin", {"SYSTEM_ADMIN"}, ""};
const Who kSo{"people/cv-bp", {"PROVINCE_OFFICER"}, "units/bp"};

// The columns of docs/authz.md, in order; no token for "none".
const std::vector<std::pair<std::string, std::optional<Who>>>& Columns() {
  static const auto* columns = new std::vector<std::pair<std::string, std::optional<Who>>>{
      {"mass", Who{"people/gv-b", {"MASS_TEACHER"}, "units/thcs-tanphu"}},
      {"core", Who{"people/gvcc-b", {"CORE_TEACHER"}, "units/thcs-tanphu"}},
      {"mgr", Who{"people/cbql-b", {"CORE_MANAGER"}, "units/thcs-tanphu"}},
      {"lect", Who{"people/gvsp-a", {"PEDAGOGY_LECTURER"}, "units/dhsp"}},
      {"olect", Who{"people/gvsp-b", {"PEDAGOGY_LECTURER"}, "units/dhsp"}},
      {"prin", Who{"people/ht-a", {"PRINCIPAL"}, "units/thcs-tanphu"}},
      {"oprin", Who{"people/ht-b", {"PRINCIPAL"}, "units/thcs-locthai"}},
      {"phong", Who{"people/cv-dx", {"DISTRICT_OFFICER"}, "units/dx"}},
      {"ophong", Who{"people/cv-ln", {"DISTRICT_OFFICER"}, "units/lninh"}},
      {"so", kSo},
      {"oso", Who{"people/cv-dn", {"PROVINCE_OFFICER"}, "units/dn"}},
      {"moet", Who{"people/cv-moet", {"MINISTRY_OFFICER"}, "units/moet"}},
      {"svc", Who{"services/matrix", {}, ""}},
      {"admin", kAdmin},
      {"none", std::nullopt}};
  return *columns;
}

// One well-formed request per RPC (text format; several messages for a client stream,
// separated by "---"), about the resources above. $PLAN, $ASSIGNMENT, $QUESTION,
// $ATTACHMENT, $TODAY and $LATER are filled in once the resources exist.
const std::map<std::string, std::string>& Requests() {
  static const auto* requests = new std::map<std::string, std::string>{
      // Directory
      {"/bdtx.v1.Directory/GetUnit", R"(name: "units/thcs-tanphu")"},
      {"/bdtx.v1.Directory/LookupUnit", R"(code: "THCS-TP")"},
      {"/bdtx.v1.Directory/ListUnits", R"(parent: "units/dx")"},
      {"/bdtx.v1.Directory/GetPerson", R"(name: "people/gvcc-a")"},
      {"/bdtx.v1.Directory/LookupPerson", R"(code: "GVCC-A")"},
      {"/bdtx.v1.Directory/BatchGetPeople", R"(names: "people/gvcc-a")"},
      {"/bdtx.v1.Directory/ListPeople", R"(unit: "units/thcs-tanphu")"},
      {"/bdtx.v1.Directory/GetClass", R"(name: "classes/lop-a")"},
      {"/bdtx.v1.Directory/GetSupportGroup",
       R"(core_member: "people/gvcc-a" year: 2023 module: 4)"},
      {"/bdtx.v1.Directory/RouteDocument",
       R"(author: "people/gvcc-a" kind: PLAN year: 2023 module: 4)"},
      {"/bdtx.v1.Directory/ImportCsv",
       R"(kind: PEOPLE file_name: "gvcc-a.csv" content: "$OWNER_CSV")"},
      {"/bdtx.v1.Directory/ImportCsvStream",
       R"(kind: PEOPLE file_name: "gvcc-a.csv" content: "$OWNER_CSV")"},
      {"/bdtx.v1.Directory/ExportCsv", R"(kind: PEOPLE)"},
      {"/bdtx.v1.Directory/WatchChanges", ""},
      // Sessions
      {"/bdtx.v1.Sessions/CreateSession", R"(username: "GVCC-A" password: "sai-mat-khau-123")"},
      {"/bdtx.v1.Sessions/RefreshSession",
       R"(refresh_token: "rt_never_issued_0123456789abcdef0123456789")"},
      {"/bdtx.v1.Sessions/DeleteSession",
       R"(refresh_token: "rt_never_issued_0123456789abcdef0123456789")"},
      {"/bdtx.v1.Sessions/IssueActivationCode", R"(person: "people/gvcc-a")"},
      {"/bdtx.v1.Sessions/ActivateAccount",
       R"(username: "GVCC-A" activation_code: "AAAA-BBBB-CCCC" new_password: "mat-khau-moi-12345")"},
      {"/bdtx.v1.Sessions/ChangePassword",
       R"(old_password: "sai-mat-khau-123" new_password: "mat-khau-moi-12345")"},
      // Approvals
      {"/bdtx.v1.Approvals/Submit",
       R"(document: "$PLAN" content_sha256: "0000000000000000000000000000000000000000000000000000000000000000")"},
      {"/bdtx.v1.Approvals/Approve", R"(document: "$PLAN" comment: "Đạt")"},
      {"/bdtx.v1.Approvals/Return", R"(document: "$PLAN" reason: "Cần bổ sung mục 3")"},
      {"/bdtx.v1.Approvals/SignOff", R"(document: "$PLAN" method: ONLINE)"},
      {"/bdtx.v1.Approvals/Reroute", R"(document: "$PLAN" reason: "Giảng viên nghỉ phép")"},
      {"/bdtx.v1.Approvals/GetDocument", R"(name: "$PLAN")"},
      {"/bdtx.v1.Approvals/ListHistory", R"(document: "$PLAN")"},
      {"/bdtx.v1.Approvals/ListInbox", R"(page_size: 10)"},
      {"/bdtx.v1.Approvals/ListDocuments", R"(unit: "units/thcs-tanphu")"},
      {"/bdtx.v1.Approvals/CountDocuments", R"(unit: "units/thcs-tanphu")"},
      {"/bdtx.v1.Approvals/VerifyChain", R"(document: "$PLAN")"},
      {"/bdtx.v1.Approvals/SubscribeEvents", R"(from_position: 1)"},
      // Grading
      {"/bdtx.v1.Grading/EnrollClass", R"(class_name: "classes/lop-a" start { $TODAY })"},
      {"/bdtx.v1.Grading/GetRun", R"(class_name: "classes/lop-a")"},
      {"/bdtx.v1.Grading/SubmitAssignment",
       R"(class_name: "classes/lop-a" learner: "people/gv-a" file_ref: "lms://bai-cuoi-khoa/2" sha256: "1111111111111111111111111111111111111111111111111111111111111111")"},
      {"/bdtx.v1.Grading/Grade", R"(assignment: "$ASSIGNMENT" verdict: FAIL comment: "Chưa đạt")"},
      {"/bdtx.v1.Grading/GrantExtension",
       R"(class_name: "classes/lop-a" deadline { $LATER } reason: "Lũ lụt")"},
      {"/bdtx.v1.Grading/Review", R"(assignment: "$ASSIGNMENT" comment: "Đồng ý")"},
      {"/bdtx.v1.Grading/GetAssignment", R"(name: "$ASSIGNMENT")"},
      {"/bdtx.v1.Grading/ImportLmsResults",
       R"(format: CSV file_name: "lms.csv" content: "learner_id,year,module,result,quiz_done,survey_done\ngv-a,2023,2,pass,yes,no\n")"},
      {"/bdtx.v1.Grading/GetCompletion", R"(learner: "people/gv-a" year: 2023)"},
      {"/bdtx.v1.Grading/ListStatistics", R"(unit: "units/thcs-tanphu" year: 2023)"},
      {"/bdtx.v1.Grading/GetSupportCounts", R"(core_member: "people/gvcc-a" year: 2023 module: 4)"},
      {"/bdtx.v1.Grading/ExportRecognition",
       R"(province: "units/bp" year: 2023 format: RECOGNITION)"},
      {"/bdtx.v1.Grading/SubscribeEvents", R"(from_position: 1)"},
      // Plans
      {"/bdtx.v1.Plans/CreatePlan", R"(author: "people/gvcc-a" year: 2023 module: 4)"},
      {"/bdtx.v1.Plans/CreateReport", R"(author: "people/gvcc-a" year: 2023 module: 4)"},
      {"/bdtx.v1.Plans/GetDocument", R"(name: "$PLAN")"},
      {"/bdtx.v1.Plans/UpdateDocument",
       R"(content { name: "$PLAN" header { position: "Tổ trưởng" } } update_mask { paths: "header.position" })"},
      {"/bdtx.v1.Plans/RefreshReportCounts", R"(name: "$PLAN")"},
      {"/bdtx.v1.Plans/SubmitDocument", R"(name: "$PLAN")"},
      {"/bdtx.v1.Plans/ListVersions", R"(name: "$PLAN")"},
      {"/bdtx.v1.Plans/ListDocuments", R"(author: "people/gvcc-a")"},
      {"/bdtx.v1.Plans/UploadAttachment",
       "metadata { document: \"$PLAN\" file_name: \"ban-ky.pdf\" }\n---\n"
       "chunk: \"%PDF-1.4\\n% signed by the principal\\n%%EOF\\n\""},
      {"/bdtx.v1.Plans/DownloadAttachment", R"(document: "$PLAN" sha256: "$ATTACHMENT")"},
      {"/bdtx.v1.Plans/RenderDocument", R"(name: "$PLAN")"},
      {"/bdtx.v1.Plans/GetEligibility", R"(core_member: "people/gvcc-a" year: 2023)"},
      {"/bdtx.v1.Plans/ListEligibility", R"(unit: "units/thcs-tanphu" year: 2023)"},
      // Notifications
      {"/bdtx.v1.Notifications/ListNotifications", R"(recipient: "people/gvcc-a")"},
      {"/bdtx.v1.Notifications/MarkRead", R"(recipient: "people/gvcc-a")"},
      {"/bdtx.v1.Notifications/WatchNotifications", R"(recipient: "people/gvcc-a")"},
      {"/bdtx.v1.Notifications/GetPreferences", R"(person: "people/gvcc-a")"},
      {"/bdtx.v1.Notifications/SetPreferences",
       R"(preferences { person: "people/gvcc-a" email: false })"},
      {"/bdtx.v1.Notifications/RotateWebhookSecret", R"(person: "people/gvcc-a")"},
      {"/bdtx.v1.Notifications/ListDeadLetters", R"(page_size: 10)"},
      {"/bdtx.v1.Notifications/ReplayDeadLetter", R"(job: "all")"},
      {"/bdtx.v1.Notifications/SendActivationCode",
       R"(person: "people/gvcc-a" email: "gvcc-a@example.edu.vn" code: "ABCD-EFGH-JKLM")"},
      {"/bdtx.v1.Notifications/GetStatus", ""},
      // Support
      {"/bdtx.v1.Support/AskQuestion",
       R"(asker: "people/gv-a" year: 2023 module: 4 channel: SUPPORT_CHANNEL_CHAT text: "Câu hỏi thay mặt đồng nghiệp?")"},
      {"/bdtx.v1.Support/GetQuestion",
       R"(name: "$QUESTION" audit_reason: "Phụ huynh khiếu nại, cần xem lại")"},
      {"/bdtx.v1.Support/ListQuestions", R"(view: ASKED_BY_ME)"},
      {"/bdtx.v1.Support/AnswerQuestion", R"(name: "$QUESTION" text: "Xem mục 2.3.")"},
      {"/bdtx.v1.Support/EscalateQuestion", R"(name: "$QUESTION" note: "Nhờ giảng viên.")"},
      {"/bdtx.v1.Support/ResolveQuestion", R"(name: "$QUESTION")"},
      {"/bdtx.v1.Support/FollowUpQuestion", R"(name: "$QUESTION" text: "Còn một ý nữa ạ?")"},
      {"/bdtx.v1.Support/LogActivity",
       R"(core_member: "people/gvcc-a" year: 2023 module: 4 row: SUPPORT_ROW_ONLINE date { $TODAY } form: "Zalo" description: "Hỗ trợ qua nhóm")"},
      {"/bdtx.v1.Support/ListActivities", R"(core_member: "people/gvcc-a" year: 2023 module: 4)"},
      {"/bdtx.v1.Support/GetSupportReportCounts",
       R"(core_member: "people/gvcc-a" year: 2023 module: 4)"},
      {"/bdtx.v1.Support/GetActivityProgress",
       R"(core_member: "people/gvcc-a" year: 2023 module: 4)"},
      {"/bdtx.v1.Support/ListSupportStatistics", R"(unit: "units/thcs-tanphu" year: 2023)"},
      {"/bdtx.v1.Support/SubscribeEvents", R"(from_position: 1)"},
      // Admin (every process)
      {"/bdtx.v1.Admin/Backup", R"(chunk_bytes: 65536)"},
  };
  return *requests;
}

// Escapes another branch fixes, as "method × column": each must still escape (strict:
// once fixed, the entry fails the test until it is deleted here).
//  - Any Sở imports LMS results of learners of any province (fixed on branch `fixes`,
//    "LMS import limited to the officer's province").
const std::set<std::string>& KnownEscapes() {
  static const auto* known = new std::set<std::string>{};
  return *known;
}

// Reads of people answer `email` only to the person, officers over their unit and
// readers of all (docs/api.md): the other columns must never see an address.
bool MaySeeEmails(const std::string& column) {
  return column == "prin" || column == "phong" || column == "so" || column == "moet" ||
         column == "svc" || column == "admin";
}

// The owners' idempotency key, on their own commands and on every matrix request.
constexpr char kOwnersRequestId[] = "matrix-1";

void SetRequestId(google::protobuf::Message& m) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  if (const auto* f = d->FindFieldByName("request_id");
      f != nullptr && f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
      !f->is_repeated() && r->GetString(m, f).empty()) {
    r->SetString(&m, f, kOwnersRequestId);
  }
  if (const auto* f = d->FindFieldByName("metadata");
      f != nullptr && f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
      r->HasField(m, f)) {
    SetRequestId(*r->MutableMessage(&m, f));
  }
}

// Resources that do not exist, standing in for the owners' (placeholders and names).
std::map<std::string, std::string> Ghosts() {
  return {
      {"$PLAN", "documents/ghost-a-2023-m4-plan"}, {"$QUESTION", "questions/00000000000000000000"},
      {"people/gvcc-a", "people/ghost-a"},         {"people/gv-a", "people/ghost-b"},
      {"classes/lop-a", "classes/ghost-a"},        {"assignments/gv-a", "assignments/ghost-b"}};
}

// The read that decides whether a caller already may learn about the resource a
// request names: for them a refusal may say more (its state, that it exists) without
// telling anything new. People are public (GetPerson: any signed-in caller).
const std::map<std::string, std::string>& ReadOf() {
  static const auto* reads = [] {
    auto* m = new std::map<std::string, std::string>;
    for (const char* c : {"Submit", "Approve", "Return", "SignOff", "Reroute"}) {
      (*m)[absl::StrCat("/bdtx.v1.Approvals/", c)] = "/bdtx.v1.Approvals/GetDocument";
    }
    for (const char* c : {"EnrollClass", "GrantExtension"}) {
      (*m)[absl::StrCat("/bdtx.v1.Grading/", c)] = "/bdtx.v1.Grading/GetRun";
    }
    for (const char* c : {"SubmitAssignment", "Grade", "Review"}) {
      (*m)[absl::StrCat("/bdtx.v1.Grading/", c)] = "/bdtx.v1.Grading/GetAssignment";
    }
    for (const char* c : {"CreatePlan", "CreateReport", "UpdateDocument", "RefreshReportCounts",
                          "SubmitDocument", "UploadAttachment"}) {
      (*m)[absl::StrCat("/bdtx.v1.Plans/", c)] = "/bdtx.v1.Plans/GetDocument";
    }
    for (const char* about_a_person :
         {"/bdtx.v1.Grading/GetCompletion", "/bdtx.v1.Grading/GetSupportCounts",
          "/bdtx.v1.Plans/GetEligibility", "/bdtx.v1.Plans/ListDocuments",
          "/bdtx.v1.Support/ListActivities", "/bdtx.v1.Support/GetSupportReportCounts",
          "/bdtx.v1.Support/GetActivityProgress", "/bdtx.v1.Sessions/IssueActivationCode"}) {
      (*m)[about_a_person] = "/bdtx.v1.Directory/GetPerson";
    }
    return m;
  }();
  return *reads;
}

// ---- docs/authz.md ------------------------------------------------------------------

struct Row {
  std::vector<std::string> cells;  // one per column
  int line = 0;
};

// The rows of the matrix by method, in table order; fails the test on a malformed table.
std::vector<std::pair<std::string, Row>> ParseMatrix(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::pair<std::string, Row>> rows;
  std::string line;
  int number = 0;
  std::vector<std::string> want_header = {"RPC"};
  for (const auto& [column, who] : Columns()) want_header.push_back(column);
  want_header.push_back("Note");
  const std::set<std::string> outcomes = {"allow", "own", "deny", "unauth"};
  while (std::getline(in, line)) {
    ++number;
    if (!absl::StartsWith(line, "| ")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    // "| a | b |" splits into "", " a ", " b ", "".
    if (cells.size() < 3) continue;
    cells.erase(cells.begin());
    cells.pop_back();
    for (auto& c : cells) c = std::string(absl::StripAsciiWhitespace(c));
    if (cells[0] == "RPC") {
      EXPECT_EQ(cells, want_header) << path << ":" << number << ": the columns changed";
      continue;
    }
    if (!absl::StartsWith(cells[0], "`/")) continue;
    if (cells.size() != want_header.size()) {
      ADD_FAILURE() << path << ":" << number << ": " << cells.size() << " cells, want "
                    << want_header.size();
      continue;
    }
    Row row;
    row.line = number;
    for (size_t i = 1; i + 1 < cells.size(); ++i) {
      EXPECT_TRUE(outcomes.contains(cells[i]))
          << path << ":" << number << ": '" << cells[i] << "' is not allow/own/deny/unauth";
      row.cells.push_back(cells[i]);
    }
    rows.emplace_back(std::string(absl::StripSuffix(absl::StripPrefix(cells[0], "`"), "`")),
                      std::move(row));
  }
  return rows;
}

// ---- One call of any shape --------------------------------------------------------

struct Outcome {
  grpc::Status status;
  bool answered = false;  // a response message came
  bool open = false;      // a stream stayed open without a message or a status
  std::string response;
};

// Sends `requests` (then half-closes) and reads one answer. A server stream that sends
// nothing within its wait is cancelled and reported `open`: 2 s when it is expected to
// stay open (an allowed watch may have nothing to say), 15 s when a refusal is expected
// (a loaded machine may be slow to refuse; only an escape waits that long).
Outcome Call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
             const std::vector<std::string>& requests, const std::string& token,
             bool server_streaming, bool refusal_expected) {
  const absl::Duration first_message_wait =
      !server_streaming ? absl::Seconds(30)
                        : (refusal_expected ? absl::Seconds(15) : absl::Seconds(2));
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&context, method, &cq);
  // One operation is outstanding at a time: wait for it.
  auto wait = [&](std::optional<absl::Duration> timeout) -> std::optional<bool> {
    void* tag = nullptr;
    bool ok = false;
    const auto deadline = timeout ? absl::ToChronoTime(absl::Now() + *timeout)
                                  : std::chrono::system_clock::time_point::max();
    if (cq.AsyncNext(&tag, &ok, deadline) != grpc::CompletionQueue::GOT_EVENT) {
      return std::nullopt;
    }
    return ok;
  };
  Outcome out;
  call->StartCall(nullptr);
  bool alive = wait(std::nullopt).value_or(false);
  for (const std::string& request : requests) {
    if (!alive) break;
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, nullptr);
    alive = wait(std::nullopt).value_or(false);
  }
  if (alive) {
    call->WritesDone(nullptr);
    alive = wait(std::nullopt).value_or(false);
  }
  grpc::ByteBuffer reply;
  call->Read(&reply, nullptr);
  std::optional<bool> read = wait(first_message_wait);
  if (!read) {
    out.open = true;
    context.TryCancel();
    read = wait(std::nullopt);
  }
  if (read.value_or(false)) {
    out.answered = true;
    std::vector<grpc::Slice> slices;
    if (reply.Dump(&slices).ok()) {
      for (const auto& s : slices) out.response.append(s.begin(), s.end());
    }
    if (server_streaming) context.TryCancel();  // the first message is enough
  }
  call->Finish(&out.status, nullptr);
  wait(std::nullopt);
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return out;
}

std::string Describe(const Outcome& o) {
  std::string s = absl::StrCat(o.status.error_code(), " ", o.status.error_message());
  if (o.answered) absl::StrAppend(&s, " [answered ", o.response.size(), " bytes]");
  if (o.open) absl::StrAppend(&s, " [stream open]");
  return s;
}

std::string Leak(const Outcome& o) {
  const std::string text = o.status.error_message() + o.status.error_details() + o.response;
  for (const std::string& secret : kSecrets) {
    if (text.find(secret) != std::string::npos) return secret;
  }
  return "";
}

// ---- The processes and the resources ------------------------------------------------

grpc::Status Check(const grpc::Status& s, const std::string& what) {
  EXPECT_TRUE(s.ok()) << what << ": " << s.error_code() << " " << s.error_message();
  return s;
}

v1::Date DateIn(int days) {
  const absl::CivilDay day =
      absl::ToCivilDay(absl::Now() + absl::Hours(7), absl::UTCTimeZone()) + days;  // Vietnam
  v1::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

std::string DateText(int days) {
  v1::Date d = DateIn(days);
  return absl::StrCat("year: ", d.year(), " month: ", d.month(), " day: ", d.day());
}

TEST(AuthzMatrixTest, EveryRpcEveryRoleAgainstSomeoneElsesResource) {
  const absl::Time began = absl::Now();
  bdtx::testing::TempDir dir;
  bdtx::testing::Tokens tokens{dir.Sub("auth.key")};
  const std::string key = "--auth_key_file=" + dir.Sub("auth.key");

  // The processes, as edge_e2e_test starts them.
  auto d = StartService(BDTX_DIRECTORY_PATH, {"--data_dir=" + dir.Sub("directory"), key});
  ASSERT_TRUE(d.ok()) << d.status();
  Running directory = *std::move(d);
  auto dir_stub = StubTo<v1::Directory>(directory.address);
  ASSERT_TRUE(testing::ImportCsvs(
                  *dir_stub, tokens,
                  {{v1::UNITS, kUnits},
                   {v1::PEOPLE, (std::string(kPeopleHeader) + kOwnerRow + kOtherPeople).c_str()},
                   {v1::CLASSES, kClasses},
                   {v1::ASSIGNMENTS, kAssignments}})
                  .ok());
  const std::string at_directory = "--directory=" + directory.address;
  auto g = StartService(BDTX_GRADING_PATH, {"--data_dir=" + dir.Sub("grading"), key, at_directory});
  ASSERT_TRUE(g.ok()) << g.status();
  Running grading = *std::move(g);
  auto a =
      StartService(BDTX_APPROVALS_PATH, {"--data_dir=" + dir.Sub("approvals"), key, at_directory});
  ASSERT_TRUE(a.ok()) << a.status();
  Running approvals = *std::move(a);
  auto su = StartService(BDTX_SUPPORT_PATH, {"--data_dir=" + dir.Sub("support"), key, at_directory,
                                             // plans starts after support (it reads support's
                                             // counts): a closed port, never a stray :7102
                                             "--plans=127.0.0.1:1"});
  ASSERT_TRUE(su.ok()) << su.status();
  Running support = *std::move(su);
  auto p = StartService(
      BDTX_PLANS_PATH,
      {"--data_dir=" + dir.Sub("plans"), key, at_directory, "--approvals=" + approvals.address,
       "--grading=" + grading.address, "--support=" + support.address});
  ASSERT_TRUE(p.ok()) << p.status();
  Running plans = *std::move(p);
  auto n = StartService(BDTX_NOTIFICATIONS_PATH,
                        {"--data_dir=" + dir.Sub("notifications"), key, at_directory,
                         "--approvals=" + approvals.address, "--grading=" + grading.address,
                         "--support=" + support.address});
  ASSERT_TRUE(n.ok()) << n.status();
  Running notifications = *std::move(n);

  // The resources, made by their owners.
  std::map<std::string, std::string> fill = {
      {"$TODAY", DateText(0)},
      {"$LATER", DateText(40)},
      {"$OWNER_CSV", absl::CEscape(std::string(kPeopleHeader) + kOwnerRow)}};
  {
    auto plans_stub = StubTo<v1::Plans>(plans.address);
    v1::CreatePlanRequest create;
    create.set_author(kOwner.name);
    create.set_year(2023);
    create.set_module(4);
    create.set_request_id(kOwnersRequestId);
    v1::SupportDocument plan;
    ASSERT_TRUE(
        Check(plans_stub->CreatePlan(tokens.As(kOwner).get(), create, &plan), "CreatePlan").ok());
    fill["$PLAN"] = plan.content().name();
    v1::UpdateSupportDocumentRequest update;
    *update.mutable_content() = plan.content();
    update.mutable_content()->mutable_header()->set_position("BIMAT tổ trưởng chuyên môn");
    update.mutable_update_mask()->add_paths("header.position");
    update.set_request_id("owner-2");  // one id per command on one document
    ASSERT_TRUE(
        Check(plans_stub->UpdateDocument(tokens.As(kOwner).get(), update, &plan), "UpdateDocument")
            .ok());
    v1::Attachment attachment;
    auto ctx = tokens.As(kOwner);
    auto writer = plans_stub->UploadAttachment(ctx.get(), &attachment);
    v1::UploadAttachmentRequest msg;
    msg.mutable_metadata()->set_document(plan.content().name());
    msg.mutable_metadata()->set_file_name("ke-hoach-bimat.pdf");
    msg.mutable_metadata()->set_request_id("owner-3");
    writer->Write(msg);
    msg.Clear();
    msg.set_chunk("%PDF-1.4\n% BIMAT\n" + std::string(1000, 'a') + "\n%%EOF\n");
    writer->Write(msg);
    writer->WritesDone();
    ASSERT_TRUE(Check(writer->Finish(), "UploadAttachment").ok());
    fill["$ATTACHMENT"] = attachment.sha256();
    v1::SubmitSupportDocumentRequest submit;
    submit.set_name(plan.content().name());
    submit.set_request_id("owner-4");
    ASSERT_TRUE(
        Check(plans_stub->SubmitDocument(tokens.As(kOwner).get(), submit, &plan), "SubmitDocument")
            .ok());
  }
  {
    auto grading_stub = StubTo<v1::Grading>(grading.address);
    v1::EnrollClassRequest enroll;
    enroll.set_class_name("classes/lop-a");
    *enroll.mutable_start() = DateIn(0);
    enroll.set_request_id("so-1");
    v1::Run run;
    ASSERT_TRUE(
        Check(grading_stub->EnrollClass(tokens.As(kSo).get(), enroll, &run), "EnrollClass").ok());
    v1::SubmitAssignmentRequest submit;
    submit.set_class_name("classes/lop-a");
    submit.set_learner(kLearner.name);
    submit.set_file_ref("lms://bai-cuoi-khoa/1");
    submit.set_sha256(std::string(64, 'a'));
    submit.set_request_id(kOwnersRequestId);
    v1::Assignment assignment;
    ASSERT_TRUE(
        Check(grading_stub->SubmitAssignment(tokens.As(kLearner).get(), submit, &assignment),
              "SubmitAssignment")
            .ok());
    fill["$ASSIGNMENT"] = assignment.name();
    v1::GradeRequest grade;
    grade.set_assignment(assignment.name());
    grade.set_verdict(v1::PASS);
    grade.set_comment("BIMAT nhận xét của người chấm");
    grade.set_request_id(kOwnersRequestId);
    ASSERT_TRUE(
        Check(grading_stub->Grade(tokens.As(kOwner).get(), grade, &assignment), "Grade").ok());
  }
  {
    auto support_stub = StubTo<v1::Support>(support.address);
    v1::AskQuestionRequest ask;
    ask.set_year(2023);
    ask.set_module(4);
    ask.set_channel(v1::SUPPORT_CHANNEL_LMS_FORUM);
    ask.set_text("BIMAT câu hỏi riêng của đồng nghiệp");
    ask.set_request_id(kOwnersRequestId);
    v1::Question question;
    ASSERT_TRUE(
        Check(support_stub->AskQuestion(tokens.As(kLearner).get(), ask, &question), "AskQuestion")
            .ok());
    fill["$QUESTION"] = question.name();
    v1::LogActivityRequest log;
    log.set_year(2023);
    log.set_module(4);
    log.set_row(v1::SUPPORT_ROW_IN_PERSON);
    *log.mutable_date() = DateIn(0);
    log.set_form("Sinh hoạt chuyên môn");
    log.set_description("BIMAT nội dung buổi sinh hoạt");
    log.add_participants(kLearner.name);
    log.set_request_id(kOwnersRequestId);
    v1::SupportActivity activity;
    ASSERT_TRUE(
        Check(support_stub->LogActivity(tokens.As(kOwner).get(), log, &activity), "LogActivity")
            .ok());
  }
  {
    auto notifications_stub = StubTo<v1::Notifications>(notifications.address);
    v1::SetPreferencesRequest set;
    set.mutable_preferences()->set_person(kOwner.name);
    set.mutable_preferences()->set_email(true);
    set.mutable_preferences()->set_email_digest_daily(true);
    set.set_request_id(kOwnersRequestId);
    v1::Preferences prefs;
    ASSERT_TRUE(Check(notifications_stub->SetPreferences(tokens.As(kOwner).get(), set, &prefs),
                      "SetPreferences")
                    .ok());
    auto sessions_stub = StubTo<v1::Sessions>(directory.address);
    v1::IssueActivationCodeRequest issue;
    issue.set_person(kOwner.name);
    v1::ActivationCode code;
    ASSERT_TRUE(Check(sessions_stub->IssueActivationCode(tokens.As(kAdmin).get(), issue, &code),
                      "IssueActivationCode")
                    .ok());
  }

  // Every RPC, from the descriptors of every protos/bdtx/v1 file, and where it is served.
  // Touch one message of each file so its descriptor is linked in.
  for (const auto* linked :
       {v1::GetUnitRequest::descriptor(), v1::CreateSessionRequest::descriptor(),
        v1::ApproveRequest::descriptor(), v1::GradeRequest::descriptor(),
        v1::CreatePlanRequest::descriptor(), v1::MarkReadRequest::descriptor(),
        v1::AskQuestionRequest::descriptor(), v1::BackupRequest::descriptor(),
        v1::EventEnvelope::descriptor()}) {
    ASSERT_NE(linked, nullptr);
  }
  const std::map<std::string, std::vector<std::string>> served_at = {
      {"bdtx.v1.Directory", {directory.address}},
      {"bdtx.v1.Sessions", {directory.address}},
      {"bdtx.v1.Approvals", {approvals.address}},
      {"bdtx.v1.Grading", {grading.address}},
      {"bdtx.v1.Plans", {plans.address}},
      {"bdtx.v1.Notifications", {notifications.address}},
      {"bdtx.v1.Support", {support.address}},
      {"bdtx.v1.Admin",
       {directory.address, approvals.address, grading.address, plans.address, notifications.address,
        support.address}}};
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::map<std::string, const google::protobuf::MethodDescriptor*> methods;
  for (const auto& entry : std::filesystem::directory_iterator(BDTX_SOURCE_DIR "/protos/bdtx/v1")) {
    if (entry.path().extension() != ".proto") continue;
    const std::string file = "bdtx/v1/" + entry.path().filename().string();
    const auto* descriptor = pool->FindFileByName(file);
    if (descriptor == nullptr) {
      ADD_FAILURE() << file << " is not linked into authz_matrix_test: add its _proto_grpc "
                    << "library to the test's DEPS and touch one of its messages above";
      continue;
    }
    for (int s = 0; s < descriptor->service_count(); ++s) {
      const auto* service = descriptor->service(s);
      EXPECT_TRUE(served_at.contains(service->full_name()))
          << service->full_name() << ": which process serves it? Add it to served_at";
      for (int m = 0; m < service->method_count(); ++m) {
        methods[absl::StrCat("/", service->full_name(), "/", service->method(m)->name())] =
            service->method(m);
      }
    }
  }
  ASSERT_GE(methods.size(), 80u);

  const auto matrix = ParseMatrix(BDTX_SOURCE_DIR "/docs/authz.md");
  std::set<std::string> with_row;
  for (const auto& [method, row] : matrix) {
    EXPECT_TRUE(with_row.insert(method).second) << method << " has two rows in docs/authz.md";
    EXPECT_TRUE(methods.contains(method))
        << method << " (docs/authz.md:" << row.line << ") is not an RPC any more";
  }
  for (const auto& [method, descriptor] : methods) {
    EXPECT_TRUE(with_row.contains(method))
        << method << " has no row in docs/authz.md: write who may call it";
    EXPECT_TRUE(Requests().contains(method))
        << method << " has no request in authz_matrix_test's Requests()";
  }

  // The cells.
  struct Cell {
    std::string method;
    size_t column;
    std::string expect;
    std::string address;
    std::vector<std::string> requests;  // serialized
    bool server_streaming = false;
    Outcome outcome;
    std::vector<std::string> ghost_requests;  // about a resource that does not exist
    Outcome ghost;
  };
  google::protobuf::DynamicMessageFactory factory(pool);
  std::vector<Cell> refusals, allowed;
  for (const auto& [method, row] : matrix) {
    auto found = methods.find(method);
    if (found == methods.end() || !Requests().contains(method)) continue;
    const auto* descriptor = found->second;
    // The owners' request_id on every request that carries one: a refused caller must
    // never get the owner's recorded answer.
    auto serialize = [&](std::string text, const std::map<std::string, std::string>& names) {
      for (const auto& [from, to] : names) text = absl::StrReplaceAll(text, {{from, to}});
      std::vector<std::string> out;
      for (absl::string_view part : absl::StrSplit(text, "\n---\n")) {
        std::unique_ptr<google::protobuf::Message> request(
            factory.GetPrototype(descriptor->input_type())->New());
        EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(std::string(part), request.get()))
            << method << ": " << part;
        SetRequestId(*request);
        out.push_back(request->SerializeAsString());
      }
      return out;
    };
    const std::vector<std::string> serialized = serialize(Requests().at(method), fill);
    // The same request about a resource that does not exist: a refusal must not tell
    // the two apart (same code, same words).
    std::map<std::string, std::string> ghosts = Ghosts();
    for (const auto& [from, to] : fill) ghosts.try_emplace(from, to);
    std::vector<std::string> ghost = serialize(Requests().at(method), ghosts);
    if (ghost == serialized) ghost.clear();
    const std::string service = descriptor->service()->full_name();
    for (size_t c = 0; c < Columns().size(); ++c) {
      for (const std::string& address : served_at.at(service)) {
        Cell cell{method, c, row.cells[c], address, serialized, descriptor->server_streaming()};
        if (cell.expect == "deny") cell.ghost_requests = ghost;
        (cell.expect == "deny" || cell.expect == "unauth" ? refusals : allowed)
            .push_back(std::move(cell));
      }
    }
  }

  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  for (const auto& [service, addresses] : served_at) {
    for (const auto& address : addresses) {
      if (!channels.contains(address)) {
        channels[address] = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
      }
    }
  }
  auto run = [&](Cell& cell) {
    const auto& who = Columns()[cell.column].second;
    cell.outcome =
        Call(channels.at(cell.address), cell.method, cell.requests, who ? tokens.For(*who) : "",
             cell.server_streaming, cell.expect == "deny" || cell.expect == "unauth");
    if (!cell.ghost_requests.empty()) {
      cell.ghost = Call(channels.at(cell.address), cell.method, cell.ghost_requests,
                        who ? tokens.For(*who) : "", cell.server_streaming,
                        cell.expect == "deny" || cell.expect == "unauth");
    }
  };
  // Refusals first, on the state docs/authz.md describes, 6 at a time.
  {
    std::atomic<size_t> next{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 6; ++t) {
      workers.emplace_back([&] {
        for (size_t i; (i = next++) < refusals.size();) run(refusals[i]);
      });
    }
    for (auto& w : workers) w.join();
  }
  // Then what is allowed, in table order (an allowed command may change what later
  // allowed cells see; never what a refusal saw).
  for (Cell& cell : allowed) run(cell);

  int escapes = 0, known_escapes = 0, wrong_refusals = 0, leaks = 0, refused_allowed = 0,
      existence_leaks = 0, existence_told_to_readers = 0;
  for (const Cell& cell : refusals) {
    const std::string where =
        absl::StrCat(cell.method, " × ", Columns()[cell.column].first, " at ", cell.address);
    const grpc::StatusCode code = cell.outcome.status.error_code();
    const bool unauth = cell.expect == "unauth";
    const bool refused = unauth ? (code == grpc::StatusCode::UNAUTHENTICATED ||
                                   code == grpc::StatusCode::RESOURCE_EXHAUSTED)
                                : (code == grpc::StatusCode::PERMISSION_DENIED ||
                                   code == grpc::StatusCode::NOT_FOUND);
    const std::string known = absl::StrCat(cell.method, " × ", Columns()[cell.column].first);
    const bool escaped = cell.outcome.answered || cell.outcome.open || code == grpc::StatusCode::OK;
    if (KnownEscapes().contains(known)) {
      ++known_escapes;
      EXPECT_TRUE(escaped) << known << " no longer escapes: delete it from KnownEscapes()";
      std::printf("known escape (fixed elsewhere): %s: %s\n", where.c_str(),
                  Describe(cell.outcome).c_str());
    } else if (escaped) {
      ++escapes;
      ADD_FAILURE() << "ESCAPE " << where << " (docs/authz.md: " << cell.expect
                    << "): " << Describe(cell.outcome);
    } else if (!refused) {
      ++wrong_refusals;
      ADD_FAILURE() << "refused with the wrong code " << where << " (want "
                    << (unauth ? "UNAUTHENTICATED" : "PERMISSION_DENIED or NOT_FOUND")
                    << "): " << Describe(cell.outcome);
    }
    if (!cell.ghost_requests.empty() && !cell.ghost.answered &&
        cell.ghost.status.error_code() != grpc::StatusCode::OK) {
      std::string ghost_words = cell.ghost.status.error_message();
      for (const auto& [real, ghost] : Ghosts()) {
        ghost_words =
            absl::StrReplaceAll(ghost_words, {{ghost, fill.contains(real) ? fill.at(real) : real}});
      }
      if (cell.ghost.status.error_code() != code ||
          ghost_words != cell.outcome.status.error_message()) {
        std::string may_read = "deny";
        if (auto read = ReadOf().find(cell.method); read != ReadOf().end()) {
          for (const auto& [m, row] : matrix) {
            if (m == read->second) may_read = row.cells[cell.column];
          }
        }
        if (may_read == "allow" || may_read == "own") {
          ++existence_told_to_readers;
        } else {
          ++existence_leaks;
          ADD_FAILURE() << "EXISTENCE " << where << ": refused " << Describe(cell.outcome)
                        << "\n  but about one that does not exist: " << Describe(cell.ghost);
        }
      }
    }
    if (std::string secret = Leak(cell.outcome); !secret.empty()) {
      ++leaks;
      ADD_FAILURE() << "LEAK " << where << ": the refusal holds '" << secret
                    << "': " << Describe(cell.outcome);
    }
  }
  for (const Cell& cell : allowed) {
    const std::string where =
        absl::StrCat(cell.method, " × ", Columns()[cell.column].first, " at ", cell.address);
    const grpc::StatusCode code = cell.outcome.status.error_code();
    if (code == grpc::StatusCode::PERMISSION_DENIED || code == grpc::StatusCode::UNAUTHENTICATED ||
        code == grpc::StatusCode::NOT_FOUND || code == grpc::StatusCode::INTERNAL ||
        code == grpc::StatusCode::UNKNOWN || code == grpc::StatusCode::UNIMPLEMENTED ||
        (code == grpc::StatusCode::DEADLINE_EXCEEDED && !cell.outcome.open)) {
      ++refused_allowed;
      ADD_FAILURE() << "refused an allowed call " << where << " (docs/authz.md: " << cell.expect
                    << "): " << Describe(cell.outcome);
    }
    // What a caller gets for themselves never holds the owner's texts.
    if (cell.expect == "own") {
      if (std::string secret = Leak(cell.outcome); !secret.empty()) {
        ++leaks;
        ADD_FAILURE() << "LEAK " << where << ": the caller's own answer holds '" << secret << "'";
      }
    }
    if (absl::StartsWith(cell.method, "/bdtx.v1.Directory/") &&
        !MaySeeEmails(Columns()[cell.column].first) &&
        cell.outcome.response.find("bimat@") != std::string::npos) {
      ++escapes;
      ADD_FAILURE() << "ESCAPE " << where << ": an e-mail address was answered";
    }
  }
  const size_t cells = matrix.size() * Columns().size();
  std::printf(
      "authz matrix: %zu RPCs x %zu roles = %zu cells (%zu calls: %zu refusals, %zu allowed) "
      "in %.1f s; escapes: %d (+%d known, fixed elsewhere), wrong refusal codes: %d, leaks: %d, "
      "existence told: %d (to callers who may read it anyway: %d), allowed but refused: %d\n",
      matrix.size(), Columns().size(), cells, refusals.size() + allowed.size(), refusals.size(),
      allowed.size(), absl::ToDoubleSeconds(absl::Now() - began), escapes, known_escapes,
      wrong_refusals, leaks, existence_leaks, existence_told_to_readers, refused_allowed);
  EXPECT_EQ(escapes, 0);
  EXPECT_EQ(leaks, 0);
  EXPECT_EQ(existence_leaks, 0);
}

}  // namespace
}  // namespace bdtx
