// Calls from one peixun service to another: a context carrying a short-lived service token,
// and one reading of a failed call's status.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/identity.h"
#include "common/util/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/status.h"

namespace peixun::server {

// A context for a call as service `subject` ("services/{name}", role service), its token signed
// by `signer`, with a deadline `deadline` from now.
std::unique_ptr<grpc::ClientContext> ServiceCallContext(
    const std::string& subject, const auth::TokenSigner& signer, const Clock& clock,
    absl::Duration deadline = absl::Seconds(30));

// A dependency's failure as this service's, keeping its meaning: UNAVAILABLE when it is down,
// slow or busy (retry later); INTERNAL when it refused this service's own credential or failed
// itself; INVALID_ARGUMENT when the input passed along is bad; FAILED_PRECONDITION otherwise
// (what it holds does not allow the request). The message is `what` (e.g. "enrollment
// (127.0.0.1:50052) did not report the county rates of 2022") and the dependency's; the rule or
// field it named travels on as details.
absl::Status DependencyError(const grpc::Status& status, const std::string& what);

// Another peixun service this one calls: its stub, contexts for calls as this service, and its
// failures read as this service's. One per dependency, shared by the threads that call it.
template <typename Service>
class Dependency {
 public:
  // `caller` is this service ("funding"), `callee` the other ("catalog") at `target`; calls
  // carry a service token of subject "services/{caller}" signed by `signer`.
  // `credentials` are TLS ones when the suite runs with certificates (DependencyCredentials).
  Dependency(const std::string& caller, std::string callee, std::string target,
             auth::TokenSigner signer, const Clock& clock,
             std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr)
      : caller_("services/" + caller),
        callee_(std::move(callee)),
        target_(std::move(target)),
        stub_(Service::NewStub(grpc::CreateChannel(
            target_, credentials != nullptr ? credentials : grpc::InsecureChannelCredentials()))),
        signer_(std::move(signer)),
        clock_(clock) {}

  typename Service::Stub& stub() const { return *stub_; }
  std::unique_ptr<grpc::ClientContext> Context() const {
    return ServiceCallContext(caller_, signer_, clock_);
  }
  // DependencyError naming the callee and its address: "catalog (127.0.0.1:50051) {what}: …".
  absl::Status Failed(const grpc::Status& status, const std::string& what) const {
    return DependencyError(status, absl::StrCat(callee_, " (", target_, ") ", what));
  }
  const std::string& target() const { return target_; }

  // Every page of an AIP-158 List call: `request` with page size 1000 and each next page's
  // token, `each(page)` (an absl::Status; an error ends the listing with it) for every page,
  // until one comes without a next page token. Failed(status, what) when a call fails; INTERNAL
  // past kMaxPages (a callee that never ends).
  static constexpr int kMaxPages = 10000;
  template <typename Request, typename Response, typename Each>
  absl::Status ListAll(grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                       Request request, const std::string& what, Each&& each) const {
    request.set_page_size(1000);
    for (int pages = 0; pages < kMaxPages; ++pages) {
      Response page;
      grpc::Status status = ((*stub_).*method)(Context().get(), request, &page);
      if (!status.ok()) return Failed(status, what);
      absl::Status handled = each(page);
      if (!handled.ok()) return handled;
      if (page.next_page_token().empty()) return absl::OkStatus();
      request.set_page_token(page.next_page_token());
    }
    return absl::InternalError(
        absl::StrCat(callee_, " (", target_, ") ", what, ": more than ", kMaxPages, " pages"));
  }

 private:
  const std::string caller_;
  const std::string callee_;
  const std::string target_;
  const std::unique_ptr<typename Service::Stub> stub_;
  const auth::TokenSigner signer_;
  const Clock& clock_;
};

}  // namespace peixun::server
