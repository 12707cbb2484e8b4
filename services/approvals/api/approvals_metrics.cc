#include "services/approvals/api/approvals_metrics.h"

#include <string>
#include <utility>

#include "common/server/metrics.h"

namespace bdtx::approvals {

std::vector<prometheus::MetricFamily> BusinessMetrics(const std::map<TallyKey, int64_t>& tally,
                                                      const Deadlines& deadlines, absl::Time now) {
  static constexpr DocumentState kStates[] = {bdtx::v1::SUBMITTED, bdtx::v1::RETURNED,
                                              bdtx::v1::LECTURER_APPROVED, bdtx::v1::SIGNED_OFF};
  std::map<std::pair<std::string, DocumentState>, double> by_state;
  std::map<std::string, double> late, overdue;
  for (const auto& [key, count] : tally) {
    const std::string province = key.province.empty() ? "none" : key.province;
    for (DocumentState state : kStates) by_state[{province, state}] += 0;
    late[province] += key.late ? static_cast<double>(count) : 0;
    const bool is_overdue =
        key.state != bdtx::v1::SIGNED_OFF && deadlines.For(key.year, key.module) < now;
    overdue[province] += is_overdue ? static_cast<double>(count) : 0;
    by_state[{province, key.state}] += static_cast<double>(count);
  }
  std::vector<std::pair<prometheus::Labels, double>> documents, late_values, overdue_values;
  for (const auto& [key, value] : by_state) {
    documents.push_back(
        {{{"province", key.first}, {"state", bdtx::v1::DocumentState_Name(key.second)}}, value});
  }
  for (const auto& [province, value] : late)
    late_values.push_back({{{"province", province}}, value});
  for (const auto& [province, value] : overdue) {
    overdue_values.push_back({{{"province", province}}, value});
  }
  return {server::GaugeFamily(
              "bdtx_approvals_documents",
              "documents submitted at least once, by the author's province and state", documents),
          server::GaugeFamily("bdtx_approvals_documents_late",
                              "documents with a submission or sign-off after the campaign deadline",
                              late_values),
          server::GaugeFamily("bdtx_approvals_documents_overdue",
                              "documents not signed off whose campaign deadline has passed",
                              overdue_values)};
}

}  // namespace bdtx::approvals
