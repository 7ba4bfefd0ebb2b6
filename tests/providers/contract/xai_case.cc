// Registers the xai provider with the contract suite: it talks to the
// simulator's xAI API under "/xai" and returns URL results (so a vanished
// job shows as a result URL that is gone).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "providers/xai/xai_provider.h"
#include "tests/providers/contract/contract.h"

namespace mediagw::contract {
namespace {

ContractCase XaiCase() {
  ContractCase c;
  c.name = "xai";
  c.make = [](const std::string& sim_base_url, HttpClient* http) {
    xai::XaiOptions o;
    o.channel_name = "grok";
    o.base_urls = {absl::StrCat(sim_base_url, "/xai")};
    o.api_key = "sim-key";
    o.response_format = "url";
    o.request_timeout = absl::Seconds(10);
    return xai::NewXaiProvider(std::move(o), http);
  };
  c.record = [](int n) {
    TaskRecord r;
    r.set_owner("contract");
    r.set_attempts(1);
    r.mutable_task()->set_workflow("grok");
    auto* req = r.mutable_request();
    req->set_prompt("a futuristic city, cyberpunk style");
    req->set_workflow("grok");
    req->set_width(1024);
    req->set_height(1024);
    req->set_n(n);
    req->set_seed(1);
    return r;
  };
  c.max_n = 3;
  c.fault_prefix = "/xai/";
  return c;
}

const bool kRegistered = (RegisterContractCase(XaiCase()), true);

}  // namespace
}  // namespace mediagw::contract
