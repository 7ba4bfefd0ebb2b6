// The circuit breakers of every configured upstream, by channel.
//
// A channel with one upstream has one breaker that the dispatcher consults
// before it sends a task there and feeds with each submit's outcome
// (AddChannel). A pool (a channel whose provider spreads tasks over several
// base URLs) has one breaker per base URL, consulted and fed by the
// provider itself (AddPoolMember); the dispatcher then only skips the
// channel while every member is ejected. Channels never added are always
// available.
//
// Each breaker is shown in /metrics as
//   mediagw_channel_breaker_state{channel="c",upstream="u"} 0|1|2
//     (closed, open, half-open; rendered as a counter series until labelled
//     gauges exist)
//   mediagw_channel_ejections_total{channel="c",upstream="u"}
//
// Add* are called at start-up, before any other method. Everything else is
// thread-safe and non-blocking (short internal locks, no callbacks).
#ifndef MEDIAGW_CORE_BREAKER_BOARD_H_
#define MEDIAGW_CORE_BREAKER_BOARD_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "core/circuit_breaker.h"

namespace mediagw {

class BreakerBoard {
 public:
  // `clock` is not owned and must outlive the board.
  BreakerBoard(BreakerOptions options, const Clock* clock);

  // `upstream` names the breaker in /metrics (e.g. the base URL).
  void AddChannel(const std::string& channel, const std::string& upstream);
  void AddPoolMember(const std::string& channel, const std::string& upstream);

  // For the dispatcher. WouldAdmitChannel peeks (a pool: any member would
  // admit a call); AdmitChannel takes the call (a half-open breaker's one
  // probe; a pool or an unknown channel: same as the peek).
  bool WouldAdmitChannel(absl::string_view channel) const;
  bool AdmitChannel(absl::string_view channel);
  // A submit's outcome on a channel with a channel breaker (ignored for
  // pools and unknown channels). ClassifyOutcome decides what counts.
  void RecordChannel(absl::string_view channel, const absl::Status& outcome);
  // A call admitted but never made (e.g. the channel was full after all).
  void ReleaseChannel(absl::string_view channel);

  // For a pool's provider: one member. Unknown members are always admitted.
  bool AdmitUpstream(absl::string_view channel, absl::string_view upstream);
  bool WouldAdmitUpstream(absl::string_view channel,
                          absl::string_view upstream) const;
  void RecordUpstream(absl::string_view channel, absl::string_view upstream,
                      const absl::Status& outcome);

  // For tests and tools. kClosed / 0 for unknown ones.
  BreakerState State(absl::string_view channel,
                     absl::string_view upstream) const;
  int64_t Ejections(absl::string_view channel,
                    absl::string_view upstream) const;

 private:
  struct Entry {
    std::string upstream;
    std::unique_ptr<CircuitBreaker> breaker;
    std::atomic<int64_t>* state_metric = nullptr;
    std::atomic<int64_t>* ejections_metric = nullptr;
  };
  struct ChannelEntry {
    bool pool = false;
    std::map<std::string, Entry, std::less<>> members;  // by upstream
  };

  Entry* Add(const std::string& channel, const std::string& upstream,
             bool pool);
  const ChannelEntry* FindChannel(absl::string_view channel) const;
  // Entries hold their breaker and metrics by pointer: a const entry still
  // updates them (both are thread-safe).
  const Entry* ChannelBreaker(absl::string_view channel) const;
  const Entry* Member(absl::string_view channel,
                      absl::string_view upstream) const;
  static void Publish(const Entry& e);
  static void Record(const Entry& e, absl::string_view channel,
                     CallOutcome outcome);

  const BreakerOptions options_;
  const Clock* const clock_;
  // Filled before use and then only read: no lock (the breakers lock).
  std::map<std::string, ChannelEntry, std::less<>> channels_;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_BREAKER_BOARD_H_
