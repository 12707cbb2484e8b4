// The LMS results import (CSV and JSON) on hostile bytes. The first byte picks the
// format; whatever is accepted has plausible values.
#include <string>

#include "fuzz/fuzz_support.h"
#include "services/grading/domain/grading_model.h"

namespace {
std::string Seed(char format, const char* text) { return std::string(1, format) + text; }
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bdtx::fuzz::MaybeWriteSeeds({
      Seed(0,
           "learner_id,year,module,result,quiz_done,survey_done,feedback\n"
           "gv-1,2023,4,pass,yes,no,positive\ngv-2,2021,1,recognised,,,\n"),
      Seed(0,
           "learner_id,year,module,result,quiz_done\ngv-1,2023,4,pass,yes\n"
           "gv 2,1999,10,maybe,perhaps\ngv-1,2023,4,fail,no\n"),
      Seed(1,
           "[\n  {\"learner_id\": \"gv-1\", \"year\": 2023, \"module\": 5,\n"
           "   \"result\": \"fail\", \"quiz_done\": true},\n"
           "  {\"learner_id\": \"gv-2\", \"year\": 2023, \"module\": 5,\n"
           "   \"result\": \"pass\", \"colour\": \"red\"}\n]\n"),
      Seed(1,
           "[{\"learner_id\": \"gv-1\", \"year\": 2023, \"module\": 5, \"result\": \"fail\", "
           "\"quiz_done\": true, \"feedback\": \"negative\", \"programme_survey_done\": false,"
           " \"survey_done\": null}]"),
      Seed(1, "{\"a\":1}"),
      Seed(1, "[{\"learner_id\": \"gv-\\u1ec7\", \"year\": 2.5e3, \"module\": -1}]"),
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto format = (data[0] & 1) ? bdtx::v1::JSON : bdtx::v1::CSV;
  const std::string content(reinterpret_cast<const char*>(data + 1), size - 1);
  auto rows = bdtx::grading::ParseLmsResults(format, "fuzz", content);
  if (!rows.ok()) {
    BDTX_FUZZ_CHECK(rows.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  for (const auto& row : *rows) {
    BDTX_FUZZ_CHECK(row.module() >= 1 && row.module() <= 9);
    BDTX_FUZZ_CHECK(row.learner().rfind("people/", 0) == 0);
  }
  return 0;
}
