#include "core/breaker_board.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/metrics.h"

namespace mediagw {
namespace {

// A label value in the Prometheus text format.
std::string LabelValue(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

BreakerBoard::BreakerBoard(BreakerOptions options, const Clock* clock)
    : options_(options), clock_(clock) {}

BreakerBoard::Entry* BreakerBoard::Add(const std::string& channel,
                                       const std::string& upstream,
                                       bool pool) {
  ChannelEntry& c = channels_[channel];
  c.pool = pool;
  Entry& e = c.members[upstream];
  if (e.breaker != nullptr) return &e;
  e.upstream = upstream;
  e.breaker = std::make_unique<CircuitBreaker>(options_, clock_);
  const std::string labels =
      absl::StrCat("channel=\"", LabelValue(channel), "\",upstream=\"",
                   LabelValue(upstream), "\"");
  e.state_metric = GlobalMetrics().Counter(
      "mediagw_channel_breaker_state",
      "Circuit breaker of an upstream: 0 closed, 1 open, 2 half-open",
      labels);
  e.ejections_metric = GlobalMetrics().Counter(
      "mediagw_channel_ejections_total",
      "Times an upstream's circuit breaker opened", labels);
  Publish(e);
  return &e;
}

void BreakerBoard::AddChannel(const std::string& channel,
                              const std::string& upstream) {
  Add(channel, upstream, /*pool=*/false);
}

void BreakerBoard::AddPoolMember(const std::string& channel,
                                 const std::string& upstream) {
  Add(channel, upstream, /*pool=*/true);
}

const BreakerBoard::ChannelEntry* BreakerBoard::FindChannel(
    absl::string_view channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : &it->second;
}

const BreakerBoard::Entry* BreakerBoard::ChannelBreaker(
    absl::string_view channel) const {
  auto it = channels_.find(channel);
  if (it == channels_.end() || it->second.pool || it->second.members.empty()) {
    return nullptr;
  }
  return &it->second.members.begin()->second;
}

const BreakerBoard::Entry* BreakerBoard::Member(
    absl::string_view channel, absl::string_view upstream) const {
  const ChannelEntry* c = FindChannel(channel);
  if (c == nullptr) return nullptr;
  auto it = c->members.find(upstream);
  return it == c->members.end() ? nullptr : &it->second;
}

void BreakerBoard::Publish(const Entry& e) {
  e.state_metric->store(static_cast<int64_t>(e.breaker->state()));
  e.ejections_metric->store(e.breaker->ejections());
}

void BreakerBoard::Record(const Entry& e, absl::string_view channel,
                          CallOutcome outcome) {
  const int64_t before = e.breaker->ejections();
  e.breaker->Record(outcome);
  Publish(e);
  if (e.breaker->ejections() != before) {
    MG_LOG(Warning, "channel ", channel, " upstream ", e.upstream,
           " ejected until ", absl::FormatTime(e.breaker->reopen_at()),
           " (ejection ", e.breaker->ejections(), ")");
  }
}

bool BreakerBoard::WouldAdmitChannel(absl::string_view channel) const {
  const ChannelEntry* c = FindChannel(channel);
  if (c == nullptr || c->members.empty()) return true;
  for (const auto& [name, e] : c->members) {
    if (e.breaker->WouldAllow()) return true;
  }
  return false;
}

bool BreakerBoard::AdmitChannel(absl::string_view channel) {
  const Entry* e = ChannelBreaker(channel);
  if (e == nullptr) return WouldAdmitChannel(channel);
  const bool ok = e->breaker->Allow();
  Publish(*e);
  return ok;
}

void BreakerBoard::RecordChannel(absl::string_view channel,
                                 const absl::Status& outcome) {
  const Entry* e = ChannelBreaker(channel);
  if (e != nullptr) Record(*e, channel, ClassifyOutcome(outcome));
}

void BreakerBoard::ReleaseChannel(absl::string_view channel) {
  const Entry* e = ChannelBreaker(channel);
  if (e != nullptr) Record(*e, channel, CallOutcome::kNeutral);
}

bool BreakerBoard::AdmitUpstream(absl::string_view channel,
                                 absl::string_view upstream) {
  const Entry* e = Member(channel, upstream);
  if (e == nullptr) return true;
  const bool ok = e->breaker->Allow();
  Publish(*e);
  return ok;
}

bool BreakerBoard::WouldAdmitUpstream(absl::string_view channel,
                                      absl::string_view upstream) const {
  const Entry* e = Member(channel, upstream);
  return e == nullptr || e->breaker->WouldAllow();
}

void BreakerBoard::RecordUpstream(absl::string_view channel,
                                  absl::string_view upstream,
                                  const absl::Status& outcome) {
  const Entry* e = Member(channel, upstream);
  if (e != nullptr) Record(*e, channel, ClassifyOutcome(outcome));
}

BreakerState BreakerBoard::State(absl::string_view channel,
                                 absl::string_view upstream) const {
  const Entry* e = Member(channel, upstream);
  return e == nullptr ? BreakerState::kClosed : e->breaker->state();
}

int64_t BreakerBoard::Ejections(absl::string_view channel,
                                absl::string_view upstream) const {
  const Entry* e = Member(channel, upstream);
  return e == nullptr ? 0 : e->breaker->ejections();
}

}  // namespace mediagw
