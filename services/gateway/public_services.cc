#include "services/gateway/public_services.h"

#include "bdtx/v1/approvals.pb.h"
#include "bdtx/v1/directory.pb.h"
#include "bdtx/v1/grading.pb.h"
#include "bdtx/v1/notifications.pb.h"
#include "bdtx/v1/plans.pb.h"
#include "bdtx/v1/sessions.pb.h"
#include "bdtx/v1/support.pb.h"

namespace bdtx::gateway {

std::vector<std::string> PublicServices() {
  for (const auto* d :
       {v1::Unit::descriptor(), v1::SupportDocument::descriptor(), v1::Document::descriptor(),
        v1::Run::descriptor(), v1::Notification::descriptor(), v1::Question::descriptor(),
        v1::Session::descriptor()}) {
    (void)d;
  }
  return {"bdtx.v1.Directory",     "bdtx.v1.Plans",   "bdtx.v1.Approvals", "bdtx.v1.Grading",
          "bdtx.v1.Notifications", "bdtx.v1.Support", "bdtx.v1.Sessions"};
}

}  // namespace bdtx::gateway
