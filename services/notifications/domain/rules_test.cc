#include "services/notifications/domain/rules.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace bdtx::notifications {
namespace {

namespace v1 = ::bdtx::v1;

v1::StoredEvent Event(int64_t position, const v1::ApprovalEvent& e) {
  v1::StoredEvent s;
  s.set_position(position);
  s.set_document("documents/gvcc-1-2023-m4-plan");
  *s.mutable_event() = e;
  return s;
}

v1::ApprovalEvent Submitted(bool with_routing) {
  v1::ApprovalEvent e;
  v1::DocumentSubmitted* s = e.mutable_submitted();
  s->set_author("people/gvcc-1");
  s->set_kind(v1::PLAN);
  s->set_year(2023);
  s->set_module(4);
  if (with_routing) {
    s->mutable_routing()->set_lecturer("people/gvsp-1");
    s->mutable_routing()->mutable_sign_off()->add_people("people/ht-1");
    s->mutable_routing()->mutable_sign_off()->add_people("people/ht-2");
    s->mutable_routing()->mutable_sign_off()->set_unit("units/school");
  }
  return e;
}

struct Told {
  std::string to;
  v1::NotificationKind kind;
  bool urgent;
};
std::vector<Told> ToldOf(const ApprovalOutcome& o) {
  std::vector<Told> out;
  for (const auto& n : o.notifications) out.push_back({n.recipient(), n.kind(), n.urgent()});
  return out;
}
bool operator==(const Told& a, const Told& b) {
  return a.to == b.to && a.kind == b.kind && a.urgent == b.urgent;
}

TEST(OnApprovalEvent, TheFullChainTellsEachPersonInTurn) {
  v1::ApprovalEvent approved, returned, signed_off;
  approved.mutable_lecturer_approved()->set_lecturer("people/gvsp-1");
  returned.mutable_returned()->set_by("people/gvsp-1");
  returned.mutable_returned()->set_reason("thiếu mục 2.3");
  signed_off.mutable_signed_off()->set_signer("people/ht-1");
  signed_off.mutable_signed_off()->set_method(v1::SCANNED);

  ApprovalOutcome o = OnApprovalEvent(Event(1, Submitted(true)), nullptr);
  EXPECT_EQ(ToldOf(o), (std::vector<Told>{{"people/gvsp-1", v1::DOCUMENT_SUBMITTED, false}}));
  EXPECT_EQ(o.notifications[0].source(), "approvals:1");
  EXPECT_EQ(o.notifications[0].subject(), "documents/gvcc-1-2023-m4-plan");
  EXPECT_EQ(o.facts.waiting(0), "people/gvsp-1");

  o = OnApprovalEvent(Event(2, returned), &o.facts);
  ASSERT_EQ(ToldOf(o), (std::vector<Told>{{"people/gvcc-1", v1::DOCUMENT_RETURNED, false}}));
  EXPECT_TRUE(absl::StrContains(o.notifications[0].body(), "thiếu mục 2.3"));

  // The resubmission carries no routing: the recorded one is used.
  o = OnApprovalEvent(Event(3, Submitted(false)), &o.facts);
  EXPECT_EQ(ToldOf(o), (std::vector<Told>{{"people/gvsp-1", v1::DOCUMENT_SUBMITTED, false}}));

  o = OnApprovalEvent(Event(4, approved), &o.facts);
  EXPECT_EQ(ToldOf(o), (std::vector<Told>{{"people/ht-1", v1::DOCUMENT_LECTURER_APPROVED, true},
                                          {"people/ht-2", v1::DOCUMENT_LECTURER_APPROVED, true}}));
  EXPECT_EQ(o.facts.waiting_size(), 2);

  o = OnApprovalEvent(Event(5, signed_off), &o.facts);
  EXPECT_EQ(ToldOf(o), (std::vector<Told>{{"people/gvcc-1", v1::DOCUMENT_SIGNED_OFF, false}}));
  EXPECT_TRUE(absl::StrContains(o.notifications[0].body(), "bản quét"));
  EXPECT_EQ(o.facts.waiting_size(), 0);
}

TEST(OnApprovalEvent, ARerouteTellsTheNewSignerAndASignerlessRouteTellsTheUnit) {
  ApprovalOutcome o = OnApprovalEvent(Event(1, Submitted(true)), nullptr);
  v1::ApprovalEvent approved;
  approved.mutable_lecturer_approved()->set_lecturer("people/gvsp-1");
  o = OnApprovalEvent(Event(2, approved), &o.facts);
  v1::ApprovalEvent rerouted;
  rerouted.mutable_rerouted()->set_by("people/cv-so");
  rerouted.mutable_rerouted()->set_reason("đổi hiệu trưởng");
  rerouted.mutable_rerouted()->mutable_routing()->set_lecturer("people/gvsp-1");
  rerouted.mutable_rerouted()->mutable_routing()->mutable_sign_off()->set_unit("units/phong");
  o = OnApprovalEvent(Event(3, rerouted), &o.facts);
  EXPECT_EQ(ToldOf(o), (std::vector<Told>{{"units/phong", v1::DOCUMENT_LECTURER_APPROVED, true}}));
}

v1::ClassWatch Watch() {
  v1::StoredGradingEvent e;
  e.set_stream("runs/lop-1");
  v1::RunEnrolled* r = e.mutable_event()->mutable_run_enrolled();
  r->set_class_name("classes/lop-1");
  r->set_display_name("Lớp 1");
  r->set_year(2023);
  r->set_module(4);
  r->mutable_grading_deadline()->set_year(2023);
  r->mutable_grading_deadline()->set_month(11);
  r->mutable_grading_deadline()->set_day(5);
  r->add_graders("people/gvcc-1");
  r->add_graders("people/gvcc-2");
  for (const char* u : {"units/so", "units/moet"}) r->add_class_unit_ancestry(u);
  GradingOutcome o = OnGradingEvent(e, nullptr);
  EXPECT_TRUE(o.watch.has_value());
  EXPECT_EQ(o.timers.size(), 2u);
  return *o.watch;
}

v1::ClassWatch Apply(v1::ClassWatch w, const char* learner, bool graded) {
  v1::StoredGradingEvent e;
  e.set_stream(absl::StrCat("assignments/lop-1/", learner));
  if (graded)
    e.mutable_event()->mutable_assignment_graded()->set_grader("people/gvcc-1");
  else
    e.mutable_event()->mutable_assignment_submitted()->set_file_ref("f");
  return *OnGradingEvent(e, &w).watch;
}

TEST(GradingTimers, TwoDaysBeforeAndTheMorningAfterOnlyWhileWorkIsUngraded) {
  v1::ClassWatch w = Watch();
  EXPECT_EQ(w.province(), "units/so");
  const std::vector<v1::Timer> timers = GradingTimers(w);
  ASSERT_EQ(timers.size(), 2u);
  // 2023-11-05 08:00 +07:00 is 01:00 UTC.
  EXPECT_EQ(absl::FromUnixSeconds(timers[0].fire_at().seconds()),
            absl::FromCivil(absl::CivilSecond(2023, 11, 3, 1, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(absl::FromUnixSeconds(timers[1].fire_at().seconds()),
            absl::FromCivil(absl::CivilSecond(2023, 11, 6, 1, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(timers[0].id(), "grading-closing/lop-1/2023-11-05");

  EXPECT_TRUE(OnGradingTimer(timers[0], w).empty());  // nothing submitted
  w = Apply(w, "gv-1", false);
  w = Apply(w, "gv-2", false);
  w = Apply(w, "gv-1", false);  // a resubmission counts once
  w = Apply(w, "gv-1", true);
  std::vector<v1::Notification> closing = OnGradingTimer(timers[0], w);
  ASSERT_EQ(closing.size(), 2u);  // both graders
  EXPECT_EQ(closing[0].recipient(), "people/gvcc-1");
  EXPECT_TRUE(absl::StrContains(closing[0].body(), "1 bài")) << closing[0].body();
  std::vector<v1::Notification> overdue = OnGradingTimer(timers[1], w);
  ASSERT_EQ(overdue.size(), 3u);  // graders and the Sở
  EXPECT_EQ(overdue[2].recipient(), "units/so");
  EXPECT_TRUE(overdue[2].urgent());
  w = Apply(w, "gv-2", true);
  EXPECT_TRUE(OnGradingTimer(timers[1], w).empty());  // all graded

  // An extension supersedes the old timers and sets new ones.
  v1::StoredGradingEvent ext;
  ext.set_stream("runs/lop-1");
  ext.mutable_event()->mutable_extension_granted()->mutable_deadline()->set_year(2023);
  ext.mutable_event()->mutable_extension_granted()->mutable_deadline()->set_month(11);
  ext.mutable_event()->mutable_extension_granted()->mutable_deadline()->set_day(20);
  w = Apply(w, "gv-3", false);
  GradingOutcome o = OnGradingEvent(ext, &w);
  ASSERT_EQ(o.timers.size(), 2u);
  EXPECT_EQ(o.timers[1].id(), "grading-overdue/lop-1/2023-11-20");
  EXPECT_TRUE(OnGradingTimer(timers[1], *o.watch).empty());  // stale
  EXPECT_EQ(OnGradingTimer(o.timers[1], *o.watch).size(), 3u);
}

TEST(CampaignDigests, OneDigestPerPersonWithWhatWaitsOnThem) {
  std::vector<v1::DocumentFacts> pending(3);
  pending[0].set_name("documents/a-2021-m4-plan");
  pending[0].set_year(2021);
  pending[0].set_module(4);
  pending[0].add_waiting("people/ht-1");
  pending[1] = pending[0];
  pending[1].set_name("documents/b-2021-m4-plan");
  pending[2] = pending[0];
  pending[2].set_name("documents/c-2021-m5-plan");
  pending[2].set_module(5);
  pending[2].set_waiting(0, "people/gvsp-1");
  pending[1].set_author("people/b");
  pending[1].set_kind(v1::REPORT);
  auto digests = CampaignDigests(pending, 2021, 0, 7, [](const std::string& who) {
    return who == "people/b" ? std::string("Lê Thị Bé") : who;
  });
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_EQ(digests[1].recipient(), "people/ht-1");
  EXPECT_TRUE(absl::StrContains(digests[1].title(), "2 hồ sơ"));
  EXPECT_TRUE(absl::StrContains(digests[1].body(),
                                "\n- báo cáo mô đun 4 năm 2021 của Lê Thị Bé "
                                "(documents/b-2021-m4-plan)"))
      << digests[1].body();
  EXPECT_EQ(CampaignDigests(pending, 2021, 5, 1).size(), 1u);
  EXPECT_TRUE(CampaignDigests(pending, 2022, 0, 1).empty());
}

TEST(Backoff, DoublesWithJitterUpToTheCap) {
  for (uint64_t r : {0ull, 999'999ull, 123'456'789ull}) {
    for (int a = 1; a <= 20; ++a) {
      const absl::Duration full =
          std::min(absl::Seconds(1) * (1 << std::min(a - 1, 20)), absl::Minutes(10));
      const absl::Duration d = Backoff(a, r);
      EXPECT_GE(d, full / 2) << a;
      EXPECT_LT(d, full) << a;
    }
  }
}

TEST(ComposeEmail, Utf8SubjectAndBase64Body) {
  v1::Notification n;
  n.set_name("notifications/42");
  n.set_title("Cần phê duyệt ngay");
  n.set_body("Giảng viên đã duyệt (Đạt).");
  n.set_urgent(true);
  auto composed = ComposeEmail("bdtx@so.example", "ht@school.vn", n, absl::UnixEpoch());
  ASSERT_TRUE(composed.ok()) << composed.status();
  const std::string& mail = *composed;
  EXPECT_TRUE(absl::StrContains(mail, "To: ht@school.vn\r\n"));
  std::string subject;
  absl::Base64Escape("Cần phê duyệt ngay", &subject);
  EXPECT_TRUE(absl::StrContains(mail, "Subject: =?UTF-8?B?" + subject + "?="));
  EXPECT_TRUE(absl::StrContains(mail, "Message-ID: <42@bdtx>"));
  EXPECT_TRUE(absl::StrContains(mail, "Importance: high"));
  const std::string encoded = mail.substr(mail.find("\r\n\r\n") + 4);
  std::string decoded;
  std::string joined;
  for (char c : encoded)
    if (c != '\r' && c != '\n') joined += c;
  ASSERT_TRUE(absl::Base64Unescape(joined, &decoded));
  EXPECT_TRUE(absl::StrContains(decoded, "Giảng viên đã duyệt (Đạt)."));
  EXPECT_TRUE(absl::StrContains(WebhookBody(n), "\"name\":\"notifications/42\""));
}

TEST(DailyDigest, OneMailAtSevenInTheMorningWithEverythingHeld) {
  // 2023-11-05 06:59 +07:00 -> 07:00 the same day; 07:00 itself -> the next day.
  const absl::TimeZone vn = absl::FixedTimeZone(7 * 3600);
  EXPECT_EQ(NextDigestTime(absl::FromCivil(absl::CivilSecond(2023, 11, 5, 6, 59, 0), vn)),
            absl::FromCivil(absl::CivilSecond(2023, 11, 5, 7, 0, 0), vn));
  EXPECT_EQ(NextDigestTime(absl::FromCivil(absl::CivilSecond(2023, 11, 5, 7, 0, 0), vn)),
            absl::FromCivil(absl::CivilSecond(2023, 11, 6, 7, 0, 0), vn));
  std::vector<v1::Notification> held(2);
  held[0].set_title("Chờ duyệt: A");
  held[1].set_title("Cần phê duyệt ngay: B");
  held[1].set_urgent(true);
  const v1::Notification d = DailyDigest("people/x", held);
  EXPECT_EQ(d.kind(), v1::DAILY_EMAIL_DIGEST);
  EXPECT_EQ(d.recipient(), "people/x");
  EXPECT_TRUE(d.urgent());
  EXPECT_TRUE(absl::StrContains(d.title(), "2 thông báo"));
  EXPECT_TRUE(absl::StrContains(d.body(), "[!] Cần phê duyệt ngay: B"));
}

TEST(LearnersMissingWork, TheNudgeListsWhatEachColleagueHasNotDone) {
  v1::StoredGradingEvent e;
  e.set_stream("runs/lop-1");
  v1::RunEnrolled* r = e.mutable_event()->mutable_run_enrolled();
  r->set_class_name("classes/lop-1");
  r->set_module(3);
  r->mutable_end()->set_year(2023);
  r->mutable_end()->set_month(10);
  r->mutable_end()->set_day(20);
  for (const char* l : {"people/gv-1", "people/gv-2", "people/gv-3"}) {
    r->add_learners()->set_person(l);
  }
  GradingOutcome o = OnGradingEvent(e, nullptr);
  ASSERT_EQ(o.timers.size(), 3u);
  const v1::Timer& nudge = o.timers[2];
  EXPECT_EQ(nudge.id(), "learners-nudge/lop-1/2023-10-20");
  EXPECT_EQ(absl::FromUnixSeconds(nudge.fire_at().seconds()),
            absl::FromCivil(absl::CivilSecond(2023, 10, 18, 1, 0, 0), absl::UTCTimeZone()));
  v1::ClassWatch w = *o.watch;
  v1::LmsRow row;
  row.set_learner("people/gv-1");
  row.set_quiz_done(true);
  row.set_survey_done(true);
  ApplyLmsRow(row, w);
  row.set_learner("people/gv-2");
  row.set_survey_done(false);
  ApplyLmsRow(row, w);
  w.add_submitted("gv-1");
  const std::vector<MissingWork> missing = LearnersMissingWork(w);
  ASSERT_EQ(missing.size(), 2u);  // gv-1 has done everything
  EXPECT_EQ(missing[0].learner, "gv-2");
  EXPECT_EQ(missing[0].missing,
            (std::vector<std::string>{"bài tập cuối khoá", "phiếu khảo sát cuối mô đun"}));
  EXPECT_EQ(missing[1].missing.size(), 3u);
  EXPECT_TRUE(NudgeIsCurrent(nudge, w));
  const v1::Notification n = NudgeCoreMember("people/gvcc-1", w, missing, nudge);
  EXPECT_EQ(n.kind(), v1::LEARNERS_MISSING_WORK);
  EXPECT_EQ(n.recipient(), "people/gvcc-1");
  EXPECT_TRUE(absl::StrContains(n.body(), "people/gv-3: bài kiểm tra trắc nghiệm")) << n.body();
  w.mutable_module_end()->set_day(25);
  EXPECT_FALSE(NudgeIsCurrent(nudge, w));
}

// Decodes the "=?UTF-8?B?...?=" words of a folded header value.
std::string DecodeWords(absl::string_view value, std::vector<std::string>* words) {
  std::string out;
  size_t at = 0;
  while ((at = value.find("=?UTF-8?B?", at)) != absl::string_view::npos) {
    const size_t end = value.find("?=", at + 10);
    words->emplace_back(value.substr(at, end + 2 - at));
    std::string decoded;
    EXPECT_TRUE(absl::Base64Unescape(value.substr(at + 10, end - at - 10), &decoded));
    out += decoded;
    at = end + 2;
  }
  return out;
}

void SubjectFoldsIntoWholeCharacterWords(const std::string& title);

TEST(ComposeEmail, LongVietnameseSubjectsFoldIntoShortWholeCharacterEncodedWords) {
  // 120+ characters of Vietnamese (2-3 bytes each): many encoded-words; 300 characters
  // (a title naming a person whose name is the longest the directory takes); 4-byte
  // characters at every offset; plain ASCII.
  const std::string sentence =
      "Cần phê duyệt ngay: kế hoạch mô đun 4 năm 2023 của Nguyễn Thanh Tâm, Trường THCS&THPT "
      "Đồng Tiến, huyện Đồng Phú, tỉnh Bình Phước — đề nghị phê duyệt trước hạn";
  std::string three_hundred;
  while (three_hundred.size() < 2000) three_hundred += "Đặng Thị Ngọc Ánh Hưởng Ứng Ưu Tiên ";
  {
    // Cut at exactly 300 characters (not bytes), on a character boundary.
    size_t chars = 0, at = 0;
    for (; at < three_hundred.size() && chars < 300; ++at) {
      if ((static_cast<unsigned char>(three_hundred[at + 1]) & 0xC0) != 0x80) ++chars;
    }
    three_hundred.resize(at);
  }
  std::string four_byte = "a";
  for (int i = 0; i < 40; ++i) four_byte += "\xF0\x9F\x93\x9A đ";  // U+1F4DA
  for (const std::string& title : {sentence, three_hundred, four_byte, std::string(200, 'x')}) {
    SCOPED_TRACE(title);
    SubjectFoldsIntoWholeCharacterWords(title);
  }
}

void SubjectFoldsIntoWholeCharacterWords(const std::string& title) {
  v1::Notification n;
  n.set_name("notifications/7");
  n.set_title(title);
  auto mail = ComposeEmail("bdtx@so.example", "ht@school.vn", n, absl::UnixEpoch());
  ASSERT_TRUE(mail.ok()) << mail.status();
  const std::string headers = mail->substr(0, mail->find("\r\n\r\n"));
  std::string subject;
  bool in_subject = false;
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    EXPECT_LE(line.size(), 78u) << line;  // RFC 5322 2.1.1
    EXPECT_EQ(line.find_first_of("\r\n"), absl::string_view::npos);
    if (absl::StartsWith(line, "Subject: ")) {
      in_subject = true;
    } else if (!absl::StartsWith(line, " ")) {
      in_subject = false;
    }
    if (in_subject) absl::StrAppend(&subject, line, "\n");
  }
  std::vector<std::string> words;
  EXPECT_EQ(DecodeWords(subject, &words), n.title());
  EXPECT_GT(words.size(), 3u);
  for (const std::string& w : words) {
    EXPECT_LE(w.size(), 75u) << w;  // RFC 2047 2
    std::string chunk;
    ASSERT_TRUE(absl::Base64Unescape(w.substr(10, w.size() - 12), &chunk));
    // Every word holds whole UTF-8 characters: starts on a lead byte, ends complete.
    ASSERT_FALSE(chunk.empty());
    EXPECT_NE(static_cast<unsigned char>(chunk[0]) & 0xC0, 0x80) << w;
    size_t last_lead = chunk.size() - 1;
    while (last_lead > 0 && (static_cast<unsigned char>(chunk[last_lead]) & 0xC0) == 0x80) {
      --last_lead;
    }
    const unsigned char lead = static_cast<unsigned char>(chunk[last_lead]);
    const size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    EXPECT_EQ(chunk.size() - last_lead, need) << w;
  }
}

std::vector<std::string> SecretsOf(const std::vector<v1::WebhookSigningKey>& keys, absl::Time at) {
  google::protobuf::RepeatedPtrField<v1::WebhookSigningKey> field(keys.begin(), keys.end());
  return WebhookSigningSecrets(field, at);
}

TEST(WebhookKeys, ARotatedOutSecretSignsFor24HoursEvenWhenRotatedAgain) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  google::protobuf::RepeatedPtrField<v1::WebhookSigningKey> stored;
  stored.Add()->set_secret("A");
  // Rotation 1 at t0: B is current, A signs until t0 + 24 h.
  std::vector<v1::WebhookSigningKey> keys = RotateWebhookKeys(stored, "B", t0);
  EXPECT_EQ(SecretsOf(keys, t0), (std::vector<std::string>{"B", "A"}));
  EXPECT_EQ(SecretsOf(keys, t0 + absl::Hours(24) - absl::Seconds(1)),
            (std::vector<std::string>{"B", "A"}));
  EXPECT_EQ(SecretsOf(keys, t0 + absl::Hours(24)), (std::vector<std::string>{"B"}));
  // Rotation 2 an hour later: C current, B until t0 + 25 h, and A still until t0 + 24 h
  // (before, A was dropped at once, breaking the first rotation's previous_valid_until).
  stored.Assign(keys.begin(), keys.end());
  keys = RotateWebhookKeys(stored, "C", t0 + absl::Hours(1));
  EXPECT_EQ(SecretsOf(keys, t0 + absl::Hours(1)), (std::vector<std::string>{"C", "B", "A"}));
  EXPECT_EQ(SecretsOf(keys, t0 + absl::Hours(24)), (std::vector<std::string>{"C", "B"}));
  EXPECT_EQ(SecretsOf(keys, t0 + absl::Hours(25)), (std::vector<std::string>{"C"}));
  // Rotating again and again keeps at most kMaxWebhookKeys, newest first; expired keys go.
  for (int i = 0; i < 10; ++i) {
    stored.Assign(keys.begin(), keys.end());
    keys = RotateWebhookKeys(stored, absl::StrCat("R", i), t0 + absl::Hours(2));
  }
  EXPECT_EQ(keys.size(), static_cast<size_t>(kMaxWebhookKeys));
  EXPECT_EQ(keys[0].secret(), "R9");
  EXPECT_FALSE(keys[0].has_not_after());
  stored.Assign(keys.begin(), keys.end());
  keys = RotateWebhookKeys(stored, "D", t0 + absl::Hours(100));
  EXPECT_EQ(SecretsOf(keys, t0 + absl::Hours(100)), (std::vector<std::string>{"D", "R9"}));
}

TEST(ComposeEmail, NoHeaderValueWithALineBreakEverLeaves) {
  v1::Notification n;
  n.set_name("notifications/1\r\nBcc: x@evil.example");
  n.set_title("Tiêu đề\r\nBcc: intruder@example.test");
  auto injected_to = ComposeEmail(
      "bdtx@so.example", "a@x.example>\r\nRCPT TO:<intruder@example.test", n, absl::UnixEpoch());
  EXPECT_EQ(injected_to.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(
      ComposeEmail("bdtx@so.example\nBcc: y@z.example", "a@x.example", n, absl::UnixEpoch()).ok());
  auto mail = ComposeEmail("bdtx@so.example", "a@x.example", n, absl::UnixEpoch());
  ASSERT_TRUE(mail.ok());
  const std::string headers = mail->substr(0, mail->find("\r\n\r\n"));
  EXPECT_FALSE(absl::StrContains(headers, "Bcc:")) << headers;  // encoded, or dropped from the id
  EXPECT_FALSE(absl::StrContains(headers, "\n\n"));
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    EXPECT_EQ(line.find_first_of("\r\n"), absl::string_view::npos);
  }
}

TEST(OnApprovalEvent, TextsNamePeopleByTheirNames) {
  const NameOf names = [](const std::string& who) -> std::string {
    if (who == "people/gvcc-1") return "Nguyễn Thanh Tâm";
    if (who == "people/gvsp-1") return "Trần Thị Bình";
    return who;
  };
  ApprovalOutcome o = OnApprovalEvent(Event(1, Submitted(true)), nullptr, names);
  ASSERT_EQ(o.notifications.size(), 1u);
  EXPECT_EQ(o.notifications[0].title(),
            "Chờ duyệt: kế hoạch mô đun 4 năm 2023 của Nguyễn Thanh Tâm");
  EXPECT_TRUE(absl::StartsWith(o.notifications[0].body(), "Nguyễn Thanh Tâm đã nộp"));
  EXPECT_FALSE(absl::StrContains(o.notifications[0].body(), "people/"));
  v1::ApprovalEvent approved;
  approved.mutable_lecturer_approved()->set_lecturer("people/gvsp-1");
  o = OnApprovalEvent(Event(2, approved), &o.facts, names);
  ASSERT_FALSE(o.notifications.empty());
  EXPECT_TRUE(absl::StartsWith(o.notifications[0].body(), "Giảng viên Trần Thị Bình đã duyệt"));
  EXPECT_EQ(o.notifications[0].recipient(), "people/ht-1");  // addressing stays by id
}

// Issue 21: the core member is told of a new question, the lecturer of an escalation, the
// asker of each answer; a reminder timer for 08:00 two days before each due time, which
// says nothing once the question was answered or its due time moved.
TEST(OnSupportEvent, TellsEachPersonInTurnAndRemindsTwoDaysBeforeTheDueDay) {
  const absl::TimeZone vn = absl::FixedTimeZone(7 * 3600);
  const absl::Time due = absl::FromCivil(absl::CivilSecond(2023, 10, 9, 23, 59, 59), vn);
  v1::StoredSupportEvent asked;
  asked.set_position(5);
  auto* a = asked.mutable_event()->mutable_question_asked();
  a->set_question("questions/q1");
  a->set_asker("people/gv-1");
  a->set_core_member("people/gvcc-1");
  a->set_year(2023);
  a->set_module(4);
  a->set_text("bí mật");
  a->set_channel(v1::SUPPORT_CHANNEL_CHAT);
  a->mutable_due_time()->set_seconds(absl::ToUnixSeconds(due));
  SupportOutcome out = OnSupportEvent(asked);
  ASSERT_EQ(out.notifications.size(), 1u);
  EXPECT_EQ(out.notifications[0].recipient(), "people/gvcc-1");
  EXPECT_EQ(out.notifications[0].kind(), v1::SUPPORT_QUESTION_ASKED);
  EXPECT_TRUE(absl::StrContains(out.notifications[0].body(), "09/10/2023"));
  EXPECT_FALSE(absl::StrContains(out.notifications[0].body(), "bí mật"));  // no question text
  ASSERT_EQ(out.timers.size(), 1u);
  const v1::Timer timer = out.timers[0];
  EXPECT_EQ(timer.fire_at().seconds(),
            absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(2023, 10, 7, 8, 0, 0), vn)));

  v1::StoredSupportEvent escalated;
  auto* x = escalated.mutable_event()->mutable_question_escalated();
  x->set_question("questions/q1");
  x->set_lecturer("people/gvsp-1");
  x->mutable_due_time()->set_seconds(absl::ToUnixSeconds(due) + 3 * 86400);
  out = OnSupportEvent(escalated);
  ASSERT_EQ(out.notifications.size(), 1u);
  EXPECT_EQ(out.notifications[0].recipient(), "people/gvsp-1");
  ASSERT_EQ(out.timers.size(), 1u);
  EXPECT_NE(out.timers[0].id(), timer.id());
  const v1::Timer lecturer_timer = out.timers[0];

  v1::StoredSupportEvent answered;
  auto* w = answered.mutable_event()->mutable_question_answered();
  w->set_question("questions/q1");
  w->set_asker("people/gv-1");
  w->set_author("people/gvsp-1");
  w->set_by_lecturer(true);
  w->set_late(true);
  out = OnSupportEvent(answered);
  ASSERT_EQ(out.notifications.size(), 1u);
  EXPECT_EQ(out.notifications[0].recipient(), "people/gv-1");
  EXPECT_TRUE(absl::StrContains(out.notifications[0].body(), "muộn"));

  // A follow-up on an escalated question: the lecturer hears of it at once (and gets a
  // reminder for the new due time); the follow-up's text is not in the notification.
  v1::StoredSupportEvent followed;
  followed.set_position(9);
  auto* f = followed.mutable_event()->mutable_question_followed_up();
  f->set_question("questions/q1");
  f->set_text("hỏi thêm bí mật");
  f->set_to_lecturer(true);
  f->set_recipient("people/gvsp-1");
  f->mutable_due_time()->set_seconds(absl::ToUnixSeconds(due) + 10 * 86400);
  out = OnSupportEvent(followed);
  ASSERT_EQ(out.notifications.size(), 1u);
  EXPECT_EQ(out.notifications[0].recipient(), "people/gvsp-1");
  EXPECT_EQ(out.notifications[0].kind(), v1::SUPPORT_QUESTION_ASKED);
  EXPECT_TRUE(absl::StrContains(out.notifications[0].body(), "19/10/2023"));
  EXPECT_FALSE(absl::StrContains(out.notifications[0].body(), "bí mật"));
  ASSERT_EQ(out.timers.size(), 1u);
  EXPECT_NE(out.timers[0].id(), lecturer_timer.id());

  // The reminder: to the core member while open with that due time; nothing otherwise.
  v1::Question q;
  q.set_name("questions/q1");
  q.set_asker("people/gv-1");
  q.set_core_member("people/gvcc-1");
  q.set_state(v1::QUESTION_OPEN);
  q.mutable_due_time()->set_seconds(absl::ToUnixSeconds(due));
  auto reminder = OnSupportTimer(timer, q);
  ASSERT_EQ(reminder.size(), 1u);
  EXPECT_EQ(reminder[0].recipient(), "people/gvcc-1");
  EXPECT_EQ(reminder[0].kind(), v1::SUPPORT_QUESTION_DUE_SOON);
  q.set_state(v1::QUESTION_ANSWERED);
  EXPECT_TRUE(OnSupportTimer(timer, q).empty());
  q.set_state(v1::QUESTION_ESCALATED);
  q.set_lecturer("people/gvsp-1");
  // Escalated the day it was asked (same due time): the core member's timer is not the
  // lecturer's reminder.
  EXPECT_TRUE(OnSupportTimer(timer, q).empty());
  q.mutable_due_time()->set_seconds(absl::ToUnixSeconds(due) + 3 * 86400);
  EXPECT_TRUE(OnSupportTimer(timer, q).empty());
  reminder = OnSupportTimer(lecturer_timer, q);
  ASSERT_EQ(reminder.size(), 1u);
  EXPECT_EQ(reminder[0].recipient(), "people/gvsp-1");
}

}  // namespace
}  // namespace bdtx::notifications
