// Business gauges of approvals, computed at each scrape from ApprovalsStore::Tally (counts
// kept on commit: no scan per scrape). docs/operations.md lists them:
//   bdtx_approvals_documents{province,state}  documents submitted at least once, by state
//   bdtx_approvals_documents_late{province}   documents with a submission or sign-off after
//                                             their campaign deadline (Document.late)
//   bdtx_approvals_documents_overdue{province} documents not signed off whose campaign
//                                             deadline has passed
// `province` is the author's unit just below the ministry ("units/bp"); every province
// with a document gets every state, zeros included, so alerts see a series go to 0.
#ifndef BDTX_SERVICES_APPROVALS_API_APPROVALS_METRICS_H_
#define BDTX_SERVICES_APPROVALS_API_APPROVALS_METRICS_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/time/time.h"
#include "prometheus/metric_family.h"
#include "services/approvals/store/approvals_store.h"

namespace bdtx::approvals {

std::vector<prometheus::MetricFamily> BusinessMetrics(const std::map<TallyKey, int64_t>& tally,
                                                      const Deadlines& deadlines, absl::Time now);

}  // namespace bdtx::approvals

#endif  // BDTX_SERVICES_APPROVALS_API_APPROVALS_METRICS_H_
