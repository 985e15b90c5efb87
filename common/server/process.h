// What every peixun process does alike, services and gateway: signals, the runtime log,
// dependency addresses, and the credentials it dials other processes with.
#pragma once

#include <memory>
#include <string>

#include "grpcpp/security/credentials.h"

namespace peixun::server {

// Whether `listen` ("127.0.0.1:50051", "[::1]:0", "localhost:1") names a loopback address.
bool IsLoopback(const std::string& listen);

// TLS presenting `cert_pem`/`key_pem` and trusting only `ca_pem` when a CA is given (mutual
// TLS, as the services dial each other); plaintext otherwise.
std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const std::string& cert_pem,
                                                            const std::string& key_pem,
                                                            const std::string& ca_pem);

// Turns off Abseil's per-acquisition deadlock detection (costly in Debian's build).
void DisableMutexDeadlockDetection();

// Blocks SIGTERM and SIGINT in this thread and every thread started after; call first in main.
void BlockTerminationSignals();
// Waits for SIGTERM or SIGINT (blocked by BlockTerminationSignals); returns which.
int WaitForTerminationSignal();

// A dependency's address: the flag's value if set, else the environment variable's, else
// `fallback` (the dependency's default port on loopback).
std::string DependencyTarget(const std::string& flag, const char* env_name, const char* fallback);

// The runtime log: one line per event, never secrets.
void Log(const std::string& service, const std::string& message);

}  // namespace peixun::server
