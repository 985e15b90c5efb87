#include "common/server/process.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace peixun::server {

bool IsLoopback(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const std::string& cert_pem,
                                                            const std::string& key_pem,
                                                            const std::string& ca_pem) {
  if (ca_pem.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  ssl.pem_private_key = key_pem;
  ssl.pem_cert_chain = cert_pem;
  return grpc::SslCredentials(ssl);
}

void DisableMutexDeadlockDetection() {
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles under one global lock;
  // that serializes the server's threads. Tests keep it on (see tests/support).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

namespace {
sigset_t TerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}
}  // namespace

void BlockTerminationSignals() {
  sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t signals = TerminationSignals();
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

std::string DependencyTarget(const std::string& flag, const char* env_name, const char* fallback) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv(env_name);
  return env != nullptr && *env != '\0' ? env : fallback;
}

void Log(const std::string& service, const std::string& message) {
  std::cerr << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()) << " "
            << service << ": " << message << std::endl;
}

}  // namespace peixun::server
