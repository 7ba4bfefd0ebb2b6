// The provider contract: every provider passes the same scenarios against
// the provider simulator (tools/sim) through the real CurlMultiClient.
// Each provider adds one `<name>_case.cc` here that registers a
// ContractCase from a static initializer:
//
//   static const bool kRegistered = (RegisterContractCase({...}), true);
//
// contract_test.cc runs every registered case through: happy path, 4xx,
// 5xx, malformed JSON, slow body, vanished job, and n > 1.
#ifndef MEDIAGW_TESTS_PROVIDERS_CONTRACT_CONTRACT_H_
#define MEDIAGW_TESTS_PROVIDERS_CONTRACT_CONTRACT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/http_client.h"
#include "core/provider.h"

namespace mediagw::contract {

struct ContractCase {
  std::string name;  // test name suffix, e.g. "xai"
  // Builds the provider against the simulator at `sim_base_url`
  // ("http://127.0.0.1:<port>", no trailing slash; the vendor prefix is the
  // case's business). The simulator's vendor key is "sim-key".
  std::function<absl::StatusOr<std::shared_ptr<Provider>>(
      const std::string& sim_base_url, HttpClient* http)>
      make;
  // A normalized record asking for `n` outputs (task id set by the test).
  std::function<TaskRecord(int n)> record;
  int max_n = 1;             // > 1 when the provider returns n outputs
  std::string fault_prefix;  // path prefix of the vendor's routes, "/xai/"
  // Optional inputs (e.g. an input image for a video case).
  std::function<SubmitContext()> context;
};

void RegisterContractCase(ContractCase c);

// Shared by the cases: a config/workflows template's text, and an
// image-to-video record with its input (a 64x48 PNG, as the dispatcher
// prepares it).
std::string ReadTemplate(const std::string& name);
TaskRecord VideoRecord(const std::string& workflow);
SubmitContext VideoInput();
// gtest prints the case by name.
inline void PrintTo(const ContractCase& c, std::ostream* os) { *os << c.name; }
const std::vector<ContractCase>& ContractCases();

}  // namespace mediagw::contract

#endif  // MEDIAGW_TESTS_PROVIDERS_CONTRACT_CONTRACT_H_
