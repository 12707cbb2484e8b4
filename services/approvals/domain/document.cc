#include "services/approvals/domain/document.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/error_info.h"

namespace bdtx::approvals {
namespace {

using bdtx::v1::DocumentState_Name;

bool IsSha256Hex(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

// The state as people read it, with the enum name for those who search logs and docs.
std::string StateForPeople(bdtx::v1::DocumentState state) {
  const char* vi = "chưa gửi";
  switch (state) {
    case bdtx::v1::SUBMITTED:
      vi = "chờ giảng viên duyệt";
      break;
    case bdtx::v1::RETURNED:
      vi = "bị trả lại";
      break;
    case bdtx::v1::LECTURER_APPROVED:
      vi = "giảng viên đã duyệt, chờ ký duyệt";
      break;
    case bdtx::v1::SIGNED_OFF:
      vi = "đã ký duyệt";
      break;
    default:
      break;
  }
  return absl::StrCat(vi, " (", DocumentState_Name(state), ")");
}

// Every refusal is a Vietnamese sentence the person can act on (the console shows it as
// is) and carries a google.rpc.ErrorInfo: the rule (reason) and the state.
absl::Status WrongState(const Document& d, absl::string_view rule,
                        absl::string_view reason = "STATE_FORBIDS_COMMAND") {
  return WithErrorInfo(
      absl::FailedPreconditionError(absl::StrCat("Tài liệu ", d.key.Name(), " đang ở trạng thái ",
                                                 StateForPeople(d.state), ": ", rule)),
      reason, {{"document", d.key.Name()}, {"state", DocumentState_Name(d.state)}});
}

absl::Status NotAllowed(const Actor& a, const Document& d, absl::string_view rule,
                        absl::string_view reason = "ACTOR_NOT_ROUTED") {
  return WithErrorInfo(
      absl::PermissionDeniedError(absl::StrCat(a.person.empty() ? "người gọi" : a.person,
                                               " không được xử lý ", d.key.Name(), ": ", rule)),
      reason, {{"document", d.key.Name()}, {"state", DocumentState_Name(d.state)}});
}

bool IsProvinceOfficerOfAuthor(const Document& d, const Actor& a) {
  if (!a.HasRole(bdtx::v1::PROVINCE_OFFICER) && !a.HasRole(bdtx::v1::PROVINCE_LEADER)) {
    return false;
  }
  const auto& ancestry = d.routing.author_unit_ancestry();
  return std::find(ancestry.begin(), ancestry.end(), a.unit) != ancestry.end();
}

}  // namespace

bool Actor::HasRole(bdtx::v1::Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool IsRoutedSigner(const bdtx::v1::Routing& routing, const Actor& actor) {
  const auto& signoff = routing.sign_off();
  const bool named = std::find(signoff.people().begin(), signoff.people().end(), actor.person) !=
                     signoff.people().end();
  // The actor's roles and unit are the directory's current ones (ADR 012): a person
  // named at submission who has since left the signing unit or lost its role no longer
  // signs. A routing without roles (older ones) trusts the names.
  if (signoff.roles().empty()) return named;
  if (actor.unit.empty() || actor.unit != signoff.unit()) return false;
  for (int role : signoff.roles()) {
    if (actor.HasRole(static_cast<bdtx::v1::Role>(role))) return true;
  }
  return false;
}

bool IsRoutedLecturer(const bdtx::v1::Routing& routing, const Actor& actor) {
  return !routing.lecturer().empty() && actor.person == routing.lecturer() &&
         (actor.HasRole(bdtx::v1::PEDAGOGY_LECTURER) ||
          actor.HasRole(bdtx::v1::MANAGEMENT_LECTURER));
}

// The routed lecturer, while they still hold a lecturer role (ADR 012).
bool IsRoutedLecturer(const Document& d, const Actor& actor) {
  return d.state != bdtx::v1::DRAFT && IsRoutedLecturer(d.routing, actor);
}

absl::StatusOr<std::vector<ApprovalEvent>> Decide(const Document& d, const Command& command,
                                                  const Actor& actor, absl::Time now) {
  const bool is_author = actor.person == d.key.author;
  const bool is_lecturer = IsRoutedLecturer(d, actor);
  const bool is_signer = d.state != bdtx::v1::DRAFT && IsRoutedSigner(d.routing, actor);
  ApprovalEvent event;

  if (const auto* submit = std::get_if<Submit>(&command)) {
    if (!is_author) return NotAllowed(actor, d, "chỉ người lập mới gửi duyệt tài liệu");
    if (d.state == bdtx::v1::SIGNED_OFF) {
      return WrongState(d, "tài liệu đã ký duyệt là bản cuối cùng, không gửi lại",
                        "DOCUMENT_FINAL");
    }
    if (d.state != bdtx::v1::DRAFT && d.state != bdtx::v1::RETURNED) {
      return WrongState(d, "tài liệu đã được gửi và đang chờ duyệt");
    }
    if (!IsSha256Hex(submit->content_sha256)) {
      return absl::InvalidArgumentError(
          "content_sha256 phải là 64 chữ số hex viết thường của nội dung gửi duyệt");
    }
    if (d.key.kind == bdtx::v1::REPORT && submit->plan_state != bdtx::v1::SIGNED_OFF) {
      return absl::FailedPreconditionError(
          absl::StrCat("Báo cáo chỉ gửi được khi kế hoạch ",
                       DocumentKey{d.key.author, bdtx::v1::PLAN, d.key.year, d.key.module}.Name(),
                       " đã ký duyệt (SIGNED_OFF); kế hoạch đang ở trạng thái ",
                       StateForPeople(submit->plan_state == bdtx::v1::DOCUMENT_STATE_UNSPECIFIED
                                          ? bdtx::v1::DRAFT
                                          : submit->plan_state)));
    }
    auto* e = event.mutable_submitted();
    e->set_author(d.key.author);
    e->set_kind(d.key.kind);
    e->set_year(d.key.year);
    e->set_module(d.key.module);
    e->set_content_sha256(submit->content_sha256);
    e->set_not_deployed(submit->not_deployed);
    e->set_late(now > submit->deadline);
    // The routing is recorded once; a resubmission goes back to the same people.
    if (d.state == bdtx::v1::DRAFT) {
      if (submit->routing.lecturer().empty() || submit->routing.sign_off().unit().empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            d.key.Name(), " không chuyển duyệt được: chưa có giảng viên hoặc cấp ký duyệt"));
      }
      *e->mutable_routing() = submit->routing;
    }
    return std::vector<ApprovalEvent>{event};
  }

  if (const auto* reroute = std::get_if<Reroute>(&command)) {
    if (d.state == bdtx::v1::DRAFT) {
      return WrongState(d, "bản nháp chưa có tuyến duyệt; tuyến được lập khi gửi duyệt");
    }
    if (!IsProvinceOfficerOfAuthor(d, actor)) {
      return NotAllowed(actor, d, "chỉ chuyên viên Sở của tỉnh người lập mới chuyển người duyệt");
    }
    if (d.state == bdtx::v1::SIGNED_OFF)
      return WrongState(d, "tài liệu đã ký duyệt là bản cuối cùng");
    if (reroute->reason.empty()) {
      return absl::InvalidArgumentError("chuyển người duyệt cần lý do (được lưu vết)");
    }
    if (reroute->routing.lecturer().empty() || reroute->routing.sign_off().unit().empty()) {
      return absl::InvalidArgumentError("tuyến mới cần giảng viên và đơn vị ký duyệt");
    }
    auto* e = event.mutable_rerouted();
    e->set_by(actor.person);
    e->set_reason(reroute->reason);
    *e->mutable_routing() = reroute->routing;
    return std::vector<ApprovalEvent>{event};
  }

  // Steps 2 and 3 need a submitted document: before that nobody is routed to it.
  if (d.state == bdtx::v1::DRAFT) {
    return WrongState(d, "tài liệu chưa được gửi; chưa có gì để duyệt, trả lại hay ký duyệt");
  }

  if (const auto* approve = std::get_if<Approve>(&command)) {
    if (!is_lecturer)
      return NotAllowed(actor, d, "chỉ giảng viên được phân công mới duyệt (bước 2)");
    if (d.state != bdtx::v1::SUBMITTED) {
      return WrongState(d, "giảng viên chỉ duyệt tài liệu đang chờ giảng viên duyệt (SUBMITTED)");
    }
    auto* e = event.mutable_lecturer_approved();
    e->set_lecturer(actor.person);
    e->set_comment(approve->comment);
    return std::vector<ApprovalEvent>{event};
  }

  if (const auto* ret = std::get_if<Return>(&command)) {
    if (!is_lecturer && !is_signer) {
      return NotAllowed(actor, d,
                        "chỉ giảng viên được phân công hoặc người ký duyệt theo tuyến mới trả lại");
    }
    if (d.state == bdtx::v1::SUBMITTED && !is_lecturer) {
      return NotAllowed(actor, d, "ở bước 2 chỉ giảng viên được phân công mới trả lại");
    }
    if (d.state == bdtx::v1::LECTURER_APPROVED && !is_signer) {
      return NotAllowed(actor, d, "ở bước 3 chỉ người ký duyệt theo tuyến mới trả lại");
    }
    if (d.state != bdtx::v1::SUBMITTED && d.state != bdtx::v1::LECTURER_APPROVED) {
      return WrongState(d, d.state == bdtx::v1::SIGNED_OFF
                               ? "tài liệu đã ký duyệt là bản cuối cùng"
                               : "chỉ trả lại được tài liệu đang chờ duyệt");
    }
    if (ret->reason.empty()) {
      return absl::InvalidArgumentError("trả lại (Chưa đạt) cần ghi lý do cho người lập");
    }
    auto* e = event.mutable_returned();
    e->set_by(actor.person);
    e->set_reason(ret->reason);
    e->set_from_state(d.state);
    return std::vector<ApprovalEvent>{event};
  }

  const auto& sign = std::get<SignOff>(command);
  if (!is_signer)
    return NotAllowed(actor, d, "chỉ người ký duyệt theo tuyến mới ký duyệt (bước 3)");
  if (d.state == bdtx::v1::SIGNED_OFF) {
    return WrongState(d, "tài liệu đã được ký duyệt; mỗi tài liệu chỉ ký duyệt một lần",
                      "DOCUMENT_FINAL");
  }
  if (d.state != bdtx::v1::LECTURER_APPROVED) {
    return WrongState(d, "chỉ ký duyệt được sau khi giảng viên đã duyệt (Đạt, LECTURER_APPROVED)",
                      "SIGN_OFF_BEFORE_LECTURER_APPROVAL");
  }
  if (sign.method == bdtx::v1::SCANNED) {
    if (!IsSha256Hex(sign.evidence_sha256) || sign.evidence_reference.empty()) {
      return absl::InvalidArgumentError(
          "ký duyệt bằng bản quét (SCANNED) cần sha256 của bản quét (64 chữ số hex) và tham chiếu "
          "của nó");
    }
    if (!sign.evidence_uploaded) {
      return absl::FailedPreconditionError(
          absl::StrCat("Bản quét ", sign.evidence_reference, " (sha256 ", sign.evidence_sha256,
                       ") chưa từng được tải lên ", d.key.Name(),
                       ": hãy tải bản quét đã ký lên (plans UploadAttachment) và gửi kèm biên nhận "
                       "(evidence_receipt) nó trả về"));
    }
  } else if (sign.method != bdtx::v1::ONLINE) {
    return absl::InvalidArgumentError(
        "cách ký duyệt phải là ONLINE (trực tuyến) hoặc SCANNED (bản quét)");
  }
  auto* e = event.mutable_signed_off();
  e->set_signer(actor.person);
  e->set_method(sign.method);
  e->set_evidence_sha256(sign.evidence_sha256);
  e->set_evidence_reference(sign.evidence_reference);
  e->set_late(now > sign.deadline);
  return std::vector<ApprovalEvent>{event};
}

Document Apply(Document d, const ApprovalEvent& event) {
  ++d.version;
  switch (event.kind_case()) {
    case ApprovalEvent::kSubmitted:
      d.state = bdtx::v1::SUBMITTED;
      d.content_sha256 = event.submitted().content_sha256();
      d.not_deployed = event.submitted().not_deployed();
      d.late |= event.submitted().late();
      if (event.submitted().has_routing()) d.routing = event.submitted().routing();
      break;
    case ApprovalEvent::kLecturerApproved:
      d.state = bdtx::v1::LECTURER_APPROVED;
      break;
    case ApprovalEvent::kReturned:
      d.state = bdtx::v1::RETURNED;
      d.last_reason = event.returned().reason();
      break;
    case ApprovalEvent::kSignedOff:
      d.state = bdtx::v1::SIGNED_OFF;
      d.late |= event.signed_off().late();
      break;
    case ApprovalEvent::kRerouted:
      d.routing = event.rerouted().routing();
      break;
    case ApprovalEvent::KIND_NOT_SET:
      break;  // unknown future event kinds change nothing we know of
  }
  return d;
}

std::vector<std::string> PeopleToAct(const Document& d) {
  switch (d.state) {
    case bdtx::v1::SUBMITTED:
      return {d.routing.lecturer()};
    case bdtx::v1::LECTURER_APPROVED:
      return {d.routing.sign_off().people().begin(), d.routing.sign_off().people().end()};
    case bdtx::v1::RETURNED:
      return {d.key.author};
    default:
      return {};
  }
}

}  // namespace bdtx::approvals
