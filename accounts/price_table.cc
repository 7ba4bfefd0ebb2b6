#include "accounts/price_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace mediagw {
namespace {

absl::Status CheckAmount(const std::string& workflow, absl::string_view what,
                         int64_t amount) {
  if (amount < 0 || amount > kMaxUnitPrice) {
    return absl::InvalidArgumentError(
        absl::StrCat("workflow '", workflow, "': price ", what, " ", amount,
                     " is outside 0..", kMaxUnitPrice));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PriceTable> PriceTable::FromConfig(
    const config::Config& config) {
  PriceTable table;
  for (const config::Workflow& w : config.workflows()) {
    if (!w.has_price()) continue;
    const config::Price& p = w.price();
    if (auto st = CheckAmount(w.name(), "per_output", p.per_output()); !st.ok())
      return st;
    for (const auto& [model, amount] : p.per_model()) {
      if (auto st = CheckAmount(w.name(), absl::StrCat("of model ", model),
                                amount);
          !st.ok())
        return st;
    }
    for (const auto& [res, amount] : p.per_resolution()) {
      if (auto st = CheckAmount(w.name(), absl::StrCat("of resolution ", res),
                                amount);
          !st.ok())
        return st;
    }
    table.by_workflow_[w.name()] = p;
  }
  return table;
}

int64_t PriceTable::UnitPrice(const TaskRecord& record) const {
  auto it = by_workflow_.find(record.task().workflow());
  if (it == by_workflow_.end()) return 0;
  const config::Price& p = it->second;
  const bool video = record.task().kind() == v1::TASK_KIND_VIDEO;
  const std::string& model =
      video ? record.video().model() : record.request().model();
  if (auto m = p.per_model().find(model);
      !model.empty() && m != p.per_model().end()) {
    return m->second;
  }
  if (!video && record.request().has_width() && record.request().has_height()) {
    const std::string res = absl::StrCat(record.request().width(), "x",
                                         record.request().height());
    if (auto r = p.per_resolution().find(res); r != p.per_resolution().end()) {
      return r->second;
    }
  }
  return p.per_output();
}

int64_t PriceTable::Units(const TaskRecord& record) {
  if (record.task().kind() == v1::TASK_KIND_VIDEO) return 1;
  const int64_t n = record.request().has_n() ? record.request().n() : 1;
  return std::clamp<int64_t>(n, 1, kMaxUnits);
}

}  // namespace mediagw
