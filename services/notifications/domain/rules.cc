#include "services/notifications/domain/rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "common/campaign/calendar.h"
#include "common/mail/address.h"
#include "google/protobuf/util/json_util.h"

namespace bdtx::notifications {
namespace {

namespace v1 = ::bdtx::v1;

std::string DateText(const v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string Named(const NameOf& name_of, const std::string& who) {
  return name_of ? name_of(who) : who;
}

std::string DocumentText(const v1::DocumentFacts& f, const NameOf& name_of) {
  return absl::StrCat(f.kind() == v1::REPORT ? "báo cáo" : "kế hoạch", " mô đun ", f.module(),
                      " năm ", f.year(), " của ", Named(name_of, f.author()));
}

v1::Notification Make(const std::string& recipient, v1::NotificationKind kind, std::string title,
                      std::string body, const std::string& subject, const std::string& source) {
  v1::Notification n;
  n.set_recipient(recipient);
  n.set_kind(kind);
  n.set_title(std::move(title));
  n.set_body(std::move(body));
  n.set_subject(subject);
  n.set_source(source);
  return n;
}

// The signers of a routed document: the people named, else the signing unit itself.
std::vector<std::string> Signers(const v1::Routing& routing) {
  std::vector<std::string> out(routing.sign_off().people().begin(),
                               routing.sign_off().people().end());
  if (out.empty() && !routing.sign_off().unit().empty()) out.push_back(routing.sign_off().unit());
  return out;
}

std::string IdAfterSlash(const std::string& name) { return name.substr(name.find('/') + 1); }

void AddUnique(google::protobuf::RepeatedPtrField<std::string>* list, const std::string& v) {
  if (std::find(list->begin(), list->end(), v) == list->end()) *list->Add() = v;
}

}  // namespace

ApprovalOutcome OnApprovalEvent(const v1::StoredEvent& event, const v1::DocumentFacts* known,
                                const NameOf& name_of) {
  ApprovalOutcome out;
  auto WhatDocument = [&](const v1::DocumentFacts& f) { return DocumentText(f, name_of); };
  auto name = [&](const std::string& who) { return Named(name_of, who); };
  if (known != nullptr) out.facts = *known;
  v1::DocumentFacts& f = out.facts;
  f.set_name(event.document());
  const std::string source = absl::StrCat("approvals:", event.position());
  const v1::ApprovalEvent& e = event.event();
  auto notify = [&](const std::string& to, v1::NotificationKind kind, std::string title,
                    std::string body, bool urgent = false) {
    v1::Notification n = Make(to, kind, std::move(title), std::move(body), f.name(), source);
    n.set_urgent(urgent);
    out.notifications.push_back(std::move(n));
  };
  auto wait_for = [&](const std::vector<std::string>& who) {
    f.clear_waiting();
    for (const std::string& w : who) f.add_waiting(w);
  };
  switch (e.kind_case()) {
    case v1::ApprovalEvent::kSubmitted: {
      const v1::DocumentSubmitted& s = e.submitted();
      f.set_author(s.author());
      f.set_kind(s.kind());
      f.set_year(s.year());
      f.set_module(s.module());
      if (s.has_routing()) *f.mutable_routing() = s.routing();
      const std::string& lecturer = f.routing().lecturer();
      if (!lecturer.empty()) {
        notify(lecturer, v1::DOCUMENT_SUBMITTED, absl::StrCat("Chờ duyệt: ", WhatDocument(f)),
               absl::StrCat(name(s.author()), " đã nộp ", WhatDocument(f),
                            s.not_deployed() ? " (chưa triển khai)" : "",
                            ". Vui lòng duyệt (Đạt / Chưa đạt) trong tuần."));
      }
      wait_for({lecturer});
      break;
    }
    case v1::ApprovalEvent::kLecturerApproved: {
      const std::vector<std::string> signers = Signers(f.routing());
      for (const std::string& signer : signers) {
        notify(signer, v1::DOCUMENT_LECTURER_APPROVED,
               absl::StrCat("Cần phê duyệt ngay: ", WhatDocument(f)),
               absl::StrCat("Giảng viên ", name(e.lecturer_approved().lecturer()),
                            " đã duyệt (Đạt) ", WhatDocument(f),
                            ". Đề nghị phê duyệt trực tuyến hoặc ký, đóng dấu "
                            "và tải bản quét lên."),
               /*urgent=*/true);
      }
      wait_for(signers);
      break;
    }
    case v1::ApprovalEvent::kReturned:
      notify(f.author(), v1::DOCUMENT_RETURNED, absl::StrCat("Chưa đạt: ", WhatDocument(f)),
             absl::StrCat(name(e.returned().by()), " đã trả lại ", WhatDocument(f),
                          ". Lý do: ", e.returned().reason(), ". Vui lòng chỉnh sửa và nộp lại."));
      wait_for({f.author()});
      break;
    case v1::ApprovalEvent::kSignedOff:
      notify(f.author(), v1::DOCUMENT_SIGNED_OFF, absl::StrCat("Đã phê duyệt: ", WhatDocument(f)),
             absl::StrCat(name(e.signed_off().signer()), " đã phê duyệt ", WhatDocument(f), " (",
                          e.signed_off().method() == v1::SCANNED ? "bản quét có chữ ký, con dấu"
                                                                 : "trực tuyến",
                          ")."));
      wait_for({});
      break;
    case v1::ApprovalEvent::kRerouted: {
      const bool was_lecturer = f.waiting_size() == 1 && f.waiting(0) == f.routing().lecturer();
      const bool was_signer = !f.waiting().empty() && !was_lecturer && f.waiting(0) != f.author();
      *f.mutable_routing() = e.rerouted().routing();
      if (was_lecturer || was_signer) {
        const std::vector<std::string> now =
            was_lecturer ? std::vector<std::string>{f.routing().lecturer()} : Signers(f.routing());
        for (const std::string& who : now) {
          notify(who, was_lecturer ? v1::DOCUMENT_SUBMITTED : v1::DOCUMENT_LECTURER_APPROVED,
                 absl::StrCat("Được chuyển đến bạn: ", WhatDocument(f)),
                 absl::StrCat(name(e.rerouted().by()), " đã chuyển ", WhatDocument(f),
                              " đến bạn. Lý do: ", e.rerouted().reason()),
                 /*urgent=*/was_signer);
        }
        wait_for(now);
      }
      break;
    }
    default:
      break;
  }
  return out;
}

GradingOutcome OnGradingEvent(const v1::StoredGradingEvent& event, const v1::ClassWatch* known) {
  GradingOutcome out;
  const v1::GradingEvent& e = event.event();
  const std::string& stream = event.stream();
  if (e.has_run_enrolled()) {
    const v1::RunEnrolled& r = e.run_enrolled();
    v1::ClassWatch w;
    w.set_class_name(r.class_name());
    w.set_display_name(r.display_name());
    w.set_year(r.year());
    w.set_module(r.module());
    *w.mutable_grading_deadline() = r.grading_deadline();
    for (const std::string& g : r.graders()) w.add_graders(g);
    for (const v1::EnrolledLearner& l : r.learners()) w.add_learners(IdAfterSlash(l.person()));
    *w.mutable_module_end() = r.end();
    // The Sở: the unit just below the ministry (the last of the ancestry).
    const auto& up = r.class_unit_ancestry();
    if (up.size() >= 2)
      w.set_province(up[up.size() - 2]);
    else if (!up.empty())
      w.set_province(up[0]);
    out.timers = GradingTimers(w);
    if (!w.learners().empty()) {
      // 2 days before the module ends, 08:00: the core members nudge their colleagues.
      v1::Timer t;
      t.set_id(absl::StrCat("learners-nudge/", IdAfterSlash(w.class_name()), "/",
                            DateText(w.module_end())));
      t.mutable_fire_at()->set_seconds(
          absl::ToUnixSeconds(MorningOf(w.module_end()) - absl::Hours(48)));
      t.set_kind(v1::LEARNERS_MISSING_WORK);
      t.set_subject(w.class_name());
      t.set_deadline(DateText(w.module_end()));
      out.timers.push_back(std::move(t));
    }
    out.watch = std::move(w);
    return out;
  }
  if (known == nullptr) return out;
  v1::ClassWatch w = *known;
  if (e.has_extension_granted()) {
    *w.mutable_grading_deadline() = e.extension_granted().deadline();
    out.timers = GradingTimers(w);
  } else if (e.has_assignment_submitted() || e.has_assignment_graded()) {
    // "assignments/{class id}/{learner id}"
    const std::string learner = stream.substr(stream.rfind('/') + 1);
    AddUnique(e.has_assignment_submitted() ? w.mutable_submitted() : w.mutable_graded(), learner);
  } else {
    return out;
  }
  out.watch = std::move(w);
  return out;
}

void ApplyLmsRow(const v1::LmsRow& row, v1::ClassWatch& watch) {
  const std::string learner = IdAfterSlash(row.learner());
  if (row.quiz_done()) AddUnique(watch.mutable_quiz_done(), learner);
  if (row.survey_done()) AddUnique(watch.mutable_survey_done(), learner);
}

std::vector<MissingWork> LearnersMissingWork(const v1::ClassWatch& watch) {
  const std::set<std::string> quiz(watch.quiz_done().begin(), watch.quiz_done().end());
  const std::set<std::string> survey(watch.survey_done().begin(), watch.survey_done().end());
  const std::set<std::string> submitted(watch.submitted().begin(), watch.submitted().end());
  std::vector<MissingWork> out;
  for (const std::string& l : watch.learners()) {
    MissingWork m{l, {}};
    if (!quiz.count(l)) m.missing.push_back("bài kiểm tra trắc nghiệm");
    if (!submitted.count(l)) m.missing.push_back("bài tập cuối khoá");
    if (!survey.count(l)) m.missing.push_back("phiếu khảo sát cuối mô đun");
    if (!m.missing.empty()) out.push_back(std::move(m));
  }
  return out;
}

bool NudgeIsCurrent(const v1::Timer& timer, const v1::ClassWatch& watch) {
  return timer.deadline() == DateText(watch.module_end());
}

v1::Notification NudgeCoreMember(const std::string& core_member, const v1::ClassWatch& watch,
                                 const std::vector<MissingWork>& learners, const v1::Timer& timer,
                                 const NameOf& name_of) {
  const std::string what = watch.display_name().empty() ? watch.class_name() : watch.display_name();
  std::string body =
      absl::StrCat("Mô đun ", watch.module(), " (", what, ") kết thúc ngày ",
                   DateText(watch.module_end()), ". Đồng nghiệp bạn hỗ trợ còn thiếu:\n");
  for (const MissingWork& m : learners) {
    absl::StrAppend(&body, "- ", Named(name_of, absl::StrCat("people/", m.learner)), ": ",
                    absl::StrJoin(m.missing, ", "), "\n");
  }
  return Make(core_member, v1::LEARNERS_MISSING_WORK,
              absl::StrCat("Nhắc đồng nghiệp hoàn thành mô đun ", watch.module(), ": ",
                           learners.size(), " người"),
              body, watch.class_name(), absl::StrCat("timer:", timer.id()));
}

namespace {

std::string VietnamDateText(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%d/%m/%Y", absl::FromUnixSeconds(t.seconds()), VietnamTime());
}

const char* ChannelText(v1::SupportChannel c) {
  switch (c) {
    case v1::SUPPORT_CHANNEL_LMS_FORUM:
      return "diễn đàn LMS";
    case v1::SUPPORT_CHANNEL_CHAT:
      return "Zalo/chat";
    case v1::SUPPORT_CHANNEL_EMAIL:
      return "e-mail";
    case v1::SUPPORT_CHANNEL_IN_PERSON:
      return "trực tiếp";
    default:
      return "";
  }
}

// 08:00 Vietnam time two days before the day `due` falls on, for whoever must answer
// (`lecturer` or the core member). The role is part of the id and of what the timer
// checks: a question escalated the day it was asked has the same due time for both.
v1::Timer DueSoonTimer(const std::string& question, const google::protobuf::Timestamp& due,
                       bool lecturer) {
  const char* role = lecturer ? "lecturer" : "core";
  const absl::CivilDay day =
      absl::ToCivilDay(absl::FromUnixSeconds(due.seconds()), VietnamTime()) - 2;
  v1::Timer t;
  t.set_id(absl::StrCat("support/", IdAfterSlash(question), "/", due.seconds(), "/", role));
  t.mutable_fire_at()->set_seconds(absl::ToUnixSeconds(absl::FromCivil(
      absl::CivilSecond(day.year(), day.month(), day.day(), 8, 0, 0), VietnamTime())));
  t.set_kind(v1::SUPPORT_QUESTION_DUE_SOON);
  t.set_subject(question);
  t.set_deadline(absl::StrCat(due.seconds(), "/", role));
  return t;
}

}  // namespace

SupportOutcome OnSupportEvent(const v1::StoredSupportEvent& event) {
  SupportOutcome out;
  const std::string source = absl::StrCat("support:", event.position());
  const v1::SupportEvent& e = event.event();
  switch (e.kind_case()) {
    case v1::SupportEvent::kQuestionAsked: {
      const auto& a = e.question_asked();
      out.notifications.push_back(
          Make(a.core_member(), v1::SUPPORT_QUESTION_ASKED, "Câu hỏi mới của đồng nghiệp",
               absl::StrCat(a.asker(), a.logged_by().empty() ? "" : " (bạn ghi nhận hộ)",
                            " hỏi về mô đun ", a.module(), " năm ", a.year(), " qua ",
                            ChannelText(a.channel()),
                            ". Hạn trả lời: ", VietnamDateText(a.due_time()), "."),
               a.question(), source));
      out.timers.push_back(DueSoonTimer(a.question(), a.due_time(), false));
      break;
    }
    case v1::SupportEvent::kQuestionEscalated: {
      const auto& x = e.question_escalated();
      out.notifications.push_back(Make(
          x.lecturer(), v1::SUPPORT_QUESTION_ESCALATED, "Câu hỏi được chuyển đến giảng viên",
          absl::StrCat("Giáo viên cốt cán chuyển câu hỏi ", x.question(),
                       " cho thầy/cô trả lời. Hạn trả lời: ", VietnamDateText(x.due_time()), "."),
          x.question(), source));
      out.timers.push_back(DueSoonTimer(x.question(), x.due_time(), true));
      break;
    }
    case v1::SupportEvent::kQuestionAnswered: {
      const auto& x = e.question_answered();
      if (x.asker().empty()) break;  // events written before the asker was recorded
      out.notifications.push_back(
          Make(x.asker(), v1::SUPPORT_QUESTION_ANSWERED, "Câu hỏi của bạn đã được trả lời",
               absl::StrCat(x.author(), x.by_lecturer() ? " (giảng viên)" : " (giáo viên cốt cán)",
                            " đã trả lời câu hỏi ", x.question(), x.late() ? " (trả lời muộn)" : "",
                            ". Bạn có thể đánh dấu đã giải quyết hoặc hỏi thêm."),
               x.question(), source));
      break;
    }
    case v1::SupportEvent::kQuestionFollowedUp: {
      const auto& x = e.question_followed_up();
      // A follow-up is a question arriving again: whoever must answer it now hears of it
      // at once, not only from the reminder two days before it falls due.
      if (!x.recipient().empty()) {
        out.notifications.push_back(
            Make(x.recipient(), v1::SUPPORT_QUESTION_ASKED, "Đồng nghiệp hỏi thêm",
                 absl::StrCat("Người hỏi hỏi thêm về câu hỏi ", x.question(),
                              x.to_lecturer() ? " (đã chuyển đến giảng viên)" : "",
                              ". Hạn trả lời: ", VietnamDateText(x.due_time()), "."),
                 x.question(), source));
      }
      out.timers.push_back(DueSoonTimer(x.question(), x.due_time(), x.to_lecturer()));
      break;
    }
    default:
      break;
  }
  return out;
}

std::vector<v1::Notification> OnSupportTimer(const v1::Timer& timer, const v1::Question& q) {
  // Still waiting on the person the timer was set for, with the due time it was set for.
  const bool lecturer = q.state() == v1::QUESTION_ESCALATED;
  if ((q.state() != v1::QUESTION_OPEN && !lecturer) ||
      absl::StrCat(q.due_time().seconds(), "/", lecturer ? "lecturer" : "core") !=
          timer.deadline()) {
    return {};
  }
  const std::string& who = lecturer ? q.lecturer() : q.core_member();
  return {Make(
      who, v1::SUPPORT_QUESTION_DUE_SOON, "Sắp đến hạn trả lời câu hỏi",
      absl::StrCat("Câu hỏi ", q.name(), " của ", q.asker(), " cần được trả lời trước hết ngày ",
                   VietnamDateText(q.due_time()), " (còn 2 ngày)."),
      q.name(), absl::StrCat("timer:", timer.id()))};
}

absl::Time MorningOf(const v1::Date& day) {
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 8, 0, 0),
                         VietnamTime());
}

std::vector<v1::Timer> GradingTimers(const v1::ClassWatch& watch) {
  const v1::Date& d = watch.grading_deadline();
  const absl::Time deadline_morning = MorningOf(d);
  const std::string class_id = IdAfterSlash(watch.class_name());
  std::vector<v1::Timer> out;
  auto add = [&](const char* what, v1::NotificationKind kind, absl::Time at) {
    v1::Timer t;
    t.set_id(absl::StrCat(what, "/", class_id, "/", DateText(d)));
    t.mutable_fire_at()->set_seconds(absl::ToUnixSeconds(at));
    t.set_kind(kind);
    t.set_subject(watch.class_name());
    t.set_deadline(DateText(d));
    out.push_back(std::move(t));
  };
  add("grading-closing", v1::GRADING_WINDOW_CLOSING, deadline_morning - absl::Hours(48));
  add("grading-overdue", v1::GRADING_OVERDUE, deadline_morning + absl::Hours(24));
  return out;
}

std::vector<v1::Notification> OnGradingTimer(const v1::Timer& timer, const v1::ClassWatch& watch) {
  std::vector<v1::Notification> out;
  if (timer.deadline() != DateText(watch.grading_deadline())) return out;  // superseded
  std::set<std::string> graded(watch.graded().begin(), watch.graded().end());
  int64_t ungraded = 0;
  for (const std::string& l : watch.submitted()) ungraded += !graded.count(l);
  if (ungraded == 0) return out;
  const std::string source = absl::StrCat("timer:", timer.id());
  const std::string what = watch.display_name().empty() ? watch.class_name() : watch.display_name();
  if (timer.kind() == v1::GRADING_WINDOW_CLOSING) {
    for (const std::string& g : watch.graders()) {
      out.push_back(Make(g, v1::GRADING_WINDOW_CLOSING,
                         absl::StrCat("Còn 2 ngày để chấm bài: ", what),
                         absl::StrCat(ungraded, " bài tập cuối khoá của ", what,
                                      " chưa được chấm; hạn chấm ", timer.deadline(), "."),
                         watch.class_name(), source));
    }
  } else if (timer.kind() == v1::GRADING_OVERDUE) {
    std::vector<std::string> to(watch.graders().begin(), watch.graders().end());
    if (!watch.province().empty()) to.push_back(watch.province());
    for (const std::string& r : to) {
      v1::Notification n =
          Make(r, v1::GRADING_OVERDUE, absl::StrCat("Quá hạn chấm bài: ", what),
               absl::StrCat(ungraded, " bài tập cuối khoá của ", what, " chưa được chấm; hạn ",
                            timer.deadline(), " đã qua. Chấm tiếp cần Sở GDĐT gia hạn."),
               watch.class_name(), source);
      n.set_urgent(true);
      out.push_back(std::move(n));
    }
  }
  return out;
}

std::vector<v1::Notification> CampaignDigests(const std::vector<v1::DocumentFacts>& pending,
                                              int year, int module, int days_left,
                                              const NameOf& name_of) {
  // One line per document, in document-name order: what it is and whose, then its name.
  std::map<std::string, std::vector<std::string>> by_person;
  for (const v1::DocumentFacts& f : pending) {
    if (f.year() != year || (module != 0 && f.module() != module)) continue;
    for (const std::string& who : f.waiting()) {
      by_person[who].push_back(
          absl::StrCat(f.name(), "\t- ", DocumentText(f, name_of), " (", f.name(), ")"));
    }
  }
  std::vector<v1::Notification> out;
  const std::string campaign =
      module == 0 ? absl::StrCat("năm ", year) : absl::StrCat("mô đun ", module, " năm ", year);
  for (auto& [person, docs] : by_person) {
    std::sort(docs.begin(), docs.end());
    for (std::string& line : docs) line.erase(0, line.find('\t') + 1);  // drop the sort key
    out.push_back(
        Make(person, v1::CAMPAIGN_DEADLINE_DIGEST,
             absl::StrCat("Còn ", days_left, " ngày: ", docs.size(), " hồ sơ đang chờ bạn (",
                          campaign, ")"),
             absl::StrCat("Hạn của đợt ", campaign, " còn ", days_left,
                          " ngày. Hồ sơ đang chờ bạn xử lý:\n", absl::StrJoin(docs, "\n")),
             absl::StrCat("campaigns/", year, "/", module),
             absl::StrCat("campaign:", year, "/", module, "/", days_left)));
  }
  return out;
}

absl::Time NextDigestTime(absl::Time now) {
  const absl::CivilDay today = absl::ToCivilDay(now, VietnamTime());
  absl::Time at = absl::FromCivil(
      absl::CivilSecond(today.year(), today.month(), today.day(), 7, 0, 0), VietnamTime());
  if (at <= now) at += absl::Hours(24);
  return at;
}

v1::Notification DailyDigest(const std::string& person, const std::vector<v1::Notification>& held) {
  std::string body;
  for (const v1::Notification& n : held) {
    absl::StrAppend(&body, n.urgent() ? "[!] " : "- ", n.title(), "\n    ", n.body(), "\n");
  }
  v1::Notification d =
      Make(person, v1::DAILY_EMAIL_DIGEST,
           absl::StrCat("Tóm tắt hằng ngày: ", held.size(), " thông báo"), body, person, "");
  for (const v1::Notification& n : held) d.set_urgent(d.urgent() || n.urgent());
  return d;
}

v1::Notification ActivationCodeEmail(const v1::SendActivationCodeRequest& request) {
  const std::string name =
      request.display_name().empty() ? request.person() : request.display_name();
  std::string expires;
  if (request.has_expires()) {
    expires = absl::StrCat(
        " Mã dùng được một lần và hết hạn lúc ",
        absl::FormatTime("%H:%M ngày %d/%m/%Y", absl::FromUnixSeconds(request.expires().seconds()),
                         VietnamTime()),
        " (giờ Việt Nam).");
  }
  std::string body = absl::StrCat(
      "Kính gửi ", name, ",\n\n", "Mã kích hoạt tài khoản bdtx của anh/chị là:\n\n    ",
      request.code(), "\n\n",
      "Hãy đặt mật khẩu bằng mã này, với tên đăng nhập là mã giáo viên hoặc ",
      "địa chỉ e-mail này.", expires,
      "\n\nNếu anh/chị không đề nghị cấp mã, hãy bỏ qua thư này và báo cho quản trị hệ thống; "
      "không chuyển mã cho bất kỳ ai.");
  v1::Notification n = Make(request.person(), v1::ACCOUNT_ACTIVATION_CODE,
                            "Mã kích hoạt tài khoản bdtx", std::move(body), request.person(), "");
  n.set_name(absl::StrCat("activation/", IdAfterSlash(request.person())));
  n.set_urgent(true);
  return n;
}

absl::Duration Backoff(int attempts, uint64_t random, absl::Duration base, absl::Duration cap) {
  absl::Duration d = base;
  for (int i = 1; i < attempts && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  const double jitter = 0.5 + 0.5 * static_cast<double>(random % 1'000'000) / 1'000'000.0;
  return d * jitter;
}

std::string EncodeHeader(absl::string_view field, absl::string_view text) {
  // RFC 2047 2: an encoded-word is at most 75 characters: "=?UTF-8?B?" + base64 + "?=",
  // so at most 63 base64 characters, i.e. 15 groups, i.e. 45 bytes of text. RFC 5322
  // 2.1.1: lines of at most 78 characters; the first line also holds "Field: ".
  constexpr size_t kOverhead = 12;  // "=?UTF-8?B?" "?="
  std::string out;
  size_t line_room = 78 - (field.size() + 2);  // after "Field: "
  size_t i = 0;
  bool first = true;
  while (i < text.size() || first) {
    const size_t word_room = std::min<size_t>(75, line_room);
    const size_t max_bytes = (word_room - kOverhead) / 4 * 3;
    // Whole UTF-8 characters only: never end a chunk on a continuation byte.
    size_t end = i;
    while (end < text.size()) {
      size_t next = end + 1;
      while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
      if (next - i > max_bytes) break;
      end = next;
    }
    if (end == i && i < text.size()) end = i + 1;  // unreachable for valid UTF-8 (<= 4 bytes)
    absl::StrAppend(&out, first ? "" : "\r\n ", "=?UTF-8?B?",
                    absl::Base64Escape(text.substr(i, end - i)), "?=");
    first = false;
    i = end;
    line_room = 78 - 1;  // continuation lines start with one space
  }
  return out;
}

absl::StatusOr<std::string> ComposeEmail(const std::string& from, const std::string& to,
                                         const v1::Notification& n, absl::Time now) {
  // Addresses are the only header values not encoded here: they must be plain addresses.
  if (absl::Status s = mail::ValidateAddress(from); !s.ok()) return s;
  if (absl::Status s = mail::ValidateAddress(to); !s.ok()) return s;
  std::string body = absl::StrCat(n.body(), "\r\n\r\n-- \r\nbdtx · ", n.subject(), "\r\n");
  std::string encoded;
  absl::Base64Escape(body, &encoded);
  std::string wrapped;
  for (size_t i = 0; i < encoded.size(); i += 76) {
    absl::StrAppend(&wrapped, encoded.substr(i, 76), "\r\n");
  }
  // The Message-ID keeps only characters an id-left may hold (RFC 5322 3.6.4).
  std::string id;
  for (char c : n.name().substr(n.name().find('/') + 1)) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') {
      id.push_back(c);
    }
  }
  if (id.empty()) id = "notification";
  return absl::StrCat(
      "From: ", from, "\r\nTo: ", to, "\r\nSubject: ", EncodeHeader("Subject", n.title()),
      "\r\nDate: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", now, absl::UTCTimeZone()),
      "\r\nMessage-ID: <", id, "@bdtx>\r\nMIME-Version: 1.0\r\n",
      "Content-Type: text/plain; charset=UTF-8\r\n", "Content-Transfer-Encoding: base64\r\n",
      n.urgent() ? "Importance: high\r\n" : "", "\r\n", wrapped);
}

std::vector<v1::WebhookSigningKey> RotateWebhookKeys(
    const google::protobuf::RepeatedPtrField<v1::WebhookSigningKey>& keys,
    const std::string& new_secret, absl::Time now) {
  std::vector<v1::WebhookSigningKey> out(1);
  out[0].set_secret(new_secret);
  const int64_t now_s = absl::ToUnixSeconds(now);
  for (const v1::WebhookSigningKey& k : keys) {  // stored newest first
    if (static_cast<int>(out.size()) == kMaxWebhookKeys) break;
    v1::WebhookSigningKey kept = k;
    if (!k.has_not_after()) {
      kept.mutable_not_after()->set_seconds(absl::ToUnixSeconds(now + kWebhookRotationOverlap));
    } else if (k.not_after().seconds() <= now_s) {
      continue;  // its overlap is over
    }
    out.push_back(std::move(kept));
  }
  return out;
}

std::vector<std::string> WebhookSigningSecrets(
    const google::protobuf::RepeatedPtrField<v1::WebhookSigningKey>& keys, absl::Time now) {
  std::vector<std::string> out;
  for (const v1::WebhookSigningKey& k : keys) {
    if (!k.has_not_after() || k.not_after().seconds() > absl::ToUnixSeconds(now)) {
      out.push_back(k.secret());
    }
  }
  return out;
}

std::string WebhookBody(const v1::Notification& notification) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(notification, &out, options);
  return out;
}

}  // namespace bdtx::notifications
