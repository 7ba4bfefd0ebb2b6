// Fuzzes the money path: a config (JSON) whose workflows carry prices, a
// request drawn from the rest of the input, and the accounting hook's hold
// and final entry. Properties: no price the table accepts can overflow a
// hold; a hold is never negative; a task is never charged more than it
// holds, nor less than nothing, whichever way it ends.
#include <cstddef>
#include <cstdint>
#include <string>

#include "accounts/accounting.h"
#include "accounts/price_table.h"
#include "common/config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  if (size < 8) return 0;
  // The first 8 bytes pick the request; the rest is the config.
  const uint8_t n = data[0], w = data[1], h = data[2], outputs = data[3] % 40;
  const uint8_t end = data[4] % 4, flags = data[5];
  const std::string text(fuzz::AsView(data + 8, size - 8));
  auto loaded = ParseConfig(text, "/etc/mediagw");
  if (!loaded.ok()) return 0;
  auto prices = PriceTable::FromConfig(loaded->config);
  if (!prices.ok()) return 0;
  for (const config::Workflow& wf : loaded->config.workflows()) {
    TaskRecord r;
    r.set_owner("acct");
    r.mutable_task()->set_id("t");
    r.mutable_task()->set_workflow(wf.name());
    r.mutable_task()->set_state(v1::TASK_STATE_PENDING);
    r.mutable_request()->set_n(static_cast<int>(n) - 16);
    r.mutable_request()->set_width(64 * w);
    r.mutable_request()->set_height(64 * h);
    if (flags & 1) r.mutable_request()->set_model(wf.default_model());
    Accounting accounting(&*prices, nullptr, /*metering=*/true);
    SideRows hold_rows;
    FUZZ_CHECK(accounting.AddRows(nullptr, &r, &hold_rows).ok());
    FUZZ_CHECK(hold_rows.ledger.size() == 1);
    const int64_t hold = hold_rows.ledger[0].amount;
    FUZZ_CHECK(hold >= 0);
    FUZZ_CHECK(hold == r.unit_price() * PriceTable::Units(r));
    TaskRecord next = r;
    for (int i = 0; i < outputs; ++i) next.mutable_task()->add_outputs();
    next.set_upstream_accepted(flags & 2);
    next.set_upstream_cancelled(flags & 4);
    if (flags & 8) next.mutable_task()->mutable_start_time()->set_seconds(1);
    static constexpr v1::TaskState kEnds[] = {
        v1::TASK_STATE_SUCCEEDED, v1::TASK_STATE_FAILED,
        v1::TASK_STATE_CANCELED, v1::TASK_STATE_TIMED_OUT};
    next.mutable_task()->set_state(kEnds[end]);
    SideRows final_rows;
    FUZZ_CHECK(accounting.AddRows(&r, &next, &final_rows).ok());
    FUZZ_CHECK(final_rows.ledger.size() == 1);
    const int64_t charged = next.task().charged_credits();
    FUZZ_CHECK(charged >= 0 && charged <= hold);
    FUZZ_CHECK(final_rows.ledger[0].amount == charged);
  }
  return 0;
}
