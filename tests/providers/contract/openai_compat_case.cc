// Registers the openai_compat provider with the contract suite, once per
// dialect: seed 003 against the simulator's "/oai3" gateway and seed 004
// against "/oai4", both with URL results (so a vanished job shows as a
// result URL that is gone).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "providers/openai_compat/openai_compat_provider.h"
#include "tests/providers/contract/contract.h"

namespace mediagw::contract {
namespace {

ContractCase GatewayCase(openai_compat::Dialect dialect) {
  const bool seed003 = dialect == openai_compat::Dialect::kSeed003;
  const std::string prefix = seed003 ? "/oai3" : "/oai4";
  ContractCase c;
  c.name = seed003 ? "openai_compat_seed003" : "openai_compat_seed004";
  c.make = [dialect, prefix](const std::string& sim_base_url,
                             HttpClient* http) {
    openai_compat::OpenAiCompatOptions o;
    o.channel_name = "gateway";
    o.dialect = dialect;
    o.base_urls = {absl::StrCat(sim_base_url, prefix)};
    o.api_key = "sim-key";
    o.response_format = "url";
    o.request_timeout = absl::Seconds(10);
    return openai_compat::NewOpenAiCompatProvider(std::move(o), http);
  };
  c.record = [](int n) {
    TaskRecord r;
    r.set_owner("contract");
    r.set_attempts(1);
    r.mutable_task()->set_workflow("gateway");
    auto* req = r.mutable_request();
    req->set_prompt("a cat in a tree");
    req->set_workflow("gateway");
    req->set_width(1280);
    req->set_height(720);
    req->set_n(n);
    req->set_seed(1);
    return r;
  };
  c.max_n = 3;
  c.fault_prefix = absl::StrCat(prefix, "/");
  return c;
}

const bool kRegistered =
    (RegisterContractCase(GatewayCase(openai_compat::Dialect::kSeed003)),
     RegisterContractCase(GatewayCase(openai_compat::Dialect::kSeed004)), true);

}  // namespace
}  // namespace mediagw::contract
