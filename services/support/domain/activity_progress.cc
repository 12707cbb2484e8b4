#include "services/support/domain/activity_progress.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "common/text/unicode.h"

namespace bdtx::support {
namespace {

namespace v1 = ::bdtx::v1;

std::optional<absl::CivilDay> DayOf(const v1::Date& d) {
  if (d.year() == 0) return std::nullopt;  // unset
  return absl::CivilDay(d.year(), d.month(), d.day());
}

v1::Date ToDate(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

std::string Folded(const std::string& s) {
  auto f = text::FoldCase(s);
  return f.ok() ? *std::move(f) : std::string();
}

v1::SupportRow RowOfNumber(const std::string& number) {
  if (number == "2.1") return v1::SUPPORT_ROW_LMS;
  if (number == "2.2") return v1::SUPPORT_ROW_ONLINE;
  if (number == "2.3") return v1::SUPPORT_ROW_IN_PERSON;
  return v1::SUPPORT_ROW_UNSPECIFIED;
}

struct Sub {
  v1::PlannedSubRow* out;
  std::optional<absl::CivilDay> from, to;
  std::string folded;  // the planned activity, case-folded
  int order;           // position in the output
  bool matched = false;

  bool Holds(absl::CivilDay day) const { return (!from || *from <= day) && (!to || day <= *to); }
};

struct Act {
  const v1::SupportActivity* a;
  absl::CivilDay day;
  std::string folded_form;
  bool matched = false;
};

bool FormMatches(const Sub& s, const Act& a) {
  if (s.folded.empty() || a.folded_form.empty()) return false;
  return absl::StrContains(s.folded, a.folded_form) || absl::StrContains(a.folded_form, s.folded);
}

v1::ActivityRef RefOf(const v1::SupportActivity& a) {
  v1::ActivityRef r;
  r.set_name(a.name());
  *r.mutable_date() = a.date();
  r.set_form(a.form());
  r.set_participants(a.participants_size());
  return r;
}

// The unmatched activity of `acts` (oldest first) that `accept` takes, preferring a form
// match; nullptr when none.
template <typename Accept>
Act* Pick(const Sub& sub, std::vector<Act>& acts, Accept accept) {
  Act* first = nullptr;
  for (Act& a : acts) {
    if (a.matched || !accept(a)) continue;
    if (FormMatches(sub, a)) return &a;
    if (first == nullptr) first = &a;
  }
  return first;
}

}  // namespace

void CompareWithPlan(const v1::DocumentContent* plan,
                     const std::vector<v1::SupportActivity>& activities, absl::CivilDay today,
                     v1::ActivityProgress& out) {
  *out.mutable_today() = ToDate(today);
  constexpr int kRows = 3;
  std::vector<Sub> subs[kRows];
  if (plan != nullptr) {
    for (const v1::Row& row : plan->rows()) {
      const v1::SupportRow support_row = RowOfNumber(row.number());
      if (support_row == v1::SUPPORT_ROW_UNSPECIFIED) continue;
      for (int j = 0; j < row.sub_rows_size(); ++j) {
        const v1::SubRow& planned = row.sub_rows(j);
        v1::PlannedSubRow* o = out.add_sub_rows();
        o->set_row(support_row);
        o->set_number(row.number());
        o->set_position(j + 1);
        o->set_activity(planned.activity());
        Sub s{o, DayOf(planned.from()), DayOf(planned.to()), Folded(planned.activity()),
              out.sub_rows_size() - 1};
        if (!s.from) s.from = DayOf(row.from());
        if (!s.to) s.to = DayOf(row.to());
        if (s.from) *o->mutable_from() = ToDate(*s.from);
        if (s.to) *o->mutable_to() = ToDate(*s.to);
        subs[static_cast<int>(support_row) - 1].push_back(std::move(s));
      }
    }
  }
  std::vector<Act> acts[kRows];
  std::vector<const Act*> unplanned;
  for (const v1::SupportActivity& a : activities) {
    const int i = static_cast<int>(a.row()) - 1;
    if (i < 0 || i >= kRows) continue;
    if (plan != nullptr && (a.year() != plan->year() || a.module() != plan->module())) continue;
    auto day = DayOf(a.date());
    if (!day) continue;
    acts[i].push_back(Act{&a, *day, Folded(a.form())});
  }
  for (int i = 0; i < kRows; ++i) {
    std::stable_sort(acts[i].begin(), acts[i].end(), [](const Act& x, const Act& y) {
      if (x.day != y.day) return x.day < y.day;
      const auto& tx = x.a->create_time();
      const auto& ty = y.a->create_time();
      if (tx.seconds() != ty.seconds()) return tx.seconds() < ty.seconds();
      if (tx.nanos() != ty.nanos()) return tx.nanos() < ty.nanos();
      return x.a->name() < y.a->name();
    });
    // Earliest deadline first; an open end comes last.
    std::vector<Sub*> by_deadline;
    for (Sub& s : subs[i]) by_deadline.push_back(&s);
    std::stable_sort(by_deadline.begin(), by_deadline.end(), [](const Sub* x, const Sub* y) {
      const absl::CivilDay xe = x->to.value_or(absl::CivilDay::max());
      const absl::CivilDay ye = y->to.value_or(absl::CivilDay::max());
      if (xe != ye) return xe < ye;
      const absl::CivilDay xs = x->from.value_or(absl::CivilDay::min());
      const absl::CivilDay ys = y->from.value_or(absl::CivilDay::min());
      if (xs != ys) return xs < ys;
      return x->order < y->order;
    });
    auto take = [](Sub& s, Act& a, v1::SubRowProgress progress) {
      s.matched = true;
      a.matched = true;
      s.out->set_progress(progress);
      *s.out->add_activities() = RefOf(*a.a);
    };
    for (Sub* s : by_deadline) {  // 1. on time
      if (Act* a = Pick(*s, acts[i], [s](const Act& a) { return s->Holds(a.day); })) {
        take(*s, *a, v1::SUB_ROW_DONE);
      }
    }
    for (Sub* s : by_deadline) {  // 2. late
      if (s->matched || !s->to) continue;
      const absl::CivilDay end = *s->to;
      if (Act* a = Pick(*s, acts[i], [end](const Act& a) { return a.day > end; })) {
        take(*s, *a, v1::SUB_ROW_LATE);
      }
    }
    for (Act& a : acts[i]) {  // 3. more of the same, or unplanned
      if (a.matched) continue;
      Sub* home = nullptr;
      for (Sub* s : by_deadline) {
        if (!s->Holds(a.day)) continue;
        if (FormMatches(*s, a)) {
          home = s;
          break;
        }
        if (home == nullptr) home = s;
      }
      if (home != nullptr) {
        *home->out->add_activities() = RefOf(*a.a);
        continue;
      }
      unplanned.push_back(&a);
    }
    for (Sub& s : subs[i]) {
      if (s.matched) continue;
      s.out->set_progress(s.to && *s.to < today ? v1::SUB_ROW_NOT_DONE : v1::SUB_ROW_PENDING);
    }
  }
  // Unplanned activities of all rows, oldest first (each row's are sorted already).
  std::stable_sort(unplanned.begin(), unplanned.end(),
                   [](const Act* x, const Act* y) { return x->day < y->day; });
  out.set_unplanned_total(static_cast<int64_t>(unplanned.size()));
  for (const Act* a : unplanned) {
    if (out.unplanned_size() == kMaxUnplannedListed) break;
    *out.add_unplanned() = RefOf(*a->a);
  }
  out.set_planned(out.sub_rows_size());
  for (const v1::PlannedSubRow& s : out.sub_rows()) {
    switch (s.progress()) {
      case v1::SUB_ROW_DONE:
        out.set_done(out.done() + 1);
        break;
      case v1::SUB_ROW_LATE:
        out.set_late(out.late() + 1);
        break;
      case v1::SUB_ROW_NOT_DONE:
        out.set_not_done(out.not_done() + 1);
        break;
      default:
        out.set_pending(out.pending() + 1);
        break;
    }
  }
}

}  // namespace bdtx::support
