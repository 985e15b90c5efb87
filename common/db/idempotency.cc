#include "common/db/idempotency.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <openssl/sha.h>

#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/db/rows.h"
#include "common/util/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace peixun::db {

std::string RequestHash(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* field = copy->GetDescriptor()->FindFieldByName("request_id");
  if (field != nullptr) copy->GetReflection()->ClearField(copy.get(), field);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.size() > 128) return FieldError("request_id", "must be at most 128 characters");
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) return FieldError("request_id", "must be printable ASCII");
  }
  return absl::OkStatus();
}

absl::Status Replay(const RememberedResponse& stored, absl::string_view request_hash,
                    google::protobuf::Message* response) {
  if (stored.request_hash != request_hash)
    return FieldError("request_id", "was already used for a different request");
  if (!response->ParseFromString(stored.response))
    return absl::InternalError("stored response of request_id cannot be read");
  return absl::OkStatus();
}

absl::Status RunIdempotent(ConnectionPool& pool, absl::string_view caller, absl::string_view method,
                           const google::protobuf::Message& request, absl::string_view request_id,
                           google::protobuf::Message* response,
                           const std::function<absl::Status(Connection&)>& mutate) {
  PEIXUN_RETURN_IF_ERROR(ValidateRequestId(request_id));
  if (request_id.empty()) return pool.RunInTransaction(mutate);
  const std::string hash = RequestHash(request);
  const std::string method_key(method);
  const std::string id(request_id);
  const std::string caller_key(caller);
  // Two first attempts with one id may race (READ COMMITTED takes no gap locks): the loser's
  // insert of the key fails as a duplicate, its transaction rolls back, and the next attempt
  // finds the winner's stored response.
  bool raced = false;
  auto attempt = [&](Connection& connection) -> absl::Status {
    raced = false;
    auto& find = connection.Prepare(
        "SELECT request_hash, response FROM idempotency_keys WHERE caller = ? AND method = ? "
        "AND request_id = ? FOR UPDATE");
    std::istringstream caller_stream(caller_key);
    find.setBlob(1, &caller_stream);
    find.setString(2, method_key);
    find.setString(3, id);
    std::unique_ptr<sql::ResultSet> seen(find.executeQuery());
    if (seen->next()) {
      return Replay({std::string(seen->getString(1)), ReadBlob(*seen, 2)}, hash, response);
    }
    PEIXUN_RETURN_IF_ERROR(mutate(connection));
    std::string serialized = response->SerializeAsString();
    std::istringstream hash_stream(hash);
    std::istringstream response_stream(serialized);
    auto& remember = connection.Prepare(
        "INSERT INTO idempotency_keys (caller, method, request_id, request_hash, response) "
        "VALUES (?, ?, ?, ?, ?)");
    std::istringstream owner_stream(caller_key);
    remember.setBlob(1, &owner_stream);
    remember.setString(2, method_key);
    remember.setString(3, id);
    remember.setBlob(4, &hash_stream);
    remember.setBlob(5, &response_stream);
    try {
      remember.executeUpdate();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() != kErrDuplicateKey) throw;
      raced = true;
      return absl::AbortedError("request_id: a concurrent request with this id is in flight");
    }
    return absl::OkStatus();
  };
  absl::Status status;
  for (int i = 0; i < 3; ++i) {
    status = pool.RunInTransaction(attempt);
    if (!raced) break;
  }
  return status;
}

void AddLockRemembered(Script& script, absl::string_view method,
                       const std::vector<CallerRequest>& keys,
                       std::map<CallerRequest, RememberedResponse>* found) {
  if (keys.empty()) return;
  std::string sql = absl::StrCat(
      "SELECT caller, request_id, request_hash, response FROM idempotency_keys WHERE method = ",
      script.Quote(method), " AND (");
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::StrAppend(&sql, i == 0 ? "" : " OR ", "(caller = ", Script::Hex(keys[i].caller),
                    " AND request_id = ", script.Quote(keys[i].request_id), ")");
  }
  absl::StrAppend(&sql, ") FOR UPDATE");
  script.Add(std::move(sql), [found](sql::ResultSet& rows) {
    while (rows.next()) {
      (*found)[CallerRequest{ReadBlob(rows, 1), rows.getString(2)}] =
          RememberedResponse{rows.getString(3), ReadBlob(rows, 4)};
    }
  });
}

void AddRemember(Script& script, absl::string_view method,
                 const std::vector<std::pair<CallerRequest, RememberedResponse>>& responses) {
  if (responses.empty()) return;
  std::string sql =
      "INSERT INTO idempotency_keys (caller, method, request_id, request_hash, response) VALUES ";
  for (size_t i = 0; i < responses.size(); ++i) {
    const auto& [key, stored] = responses[i];
    absl::StrAppend(&sql, i == 0 ? "" : ", ", "(", Script::Hex(key.caller), ", ",
                    script.Quote(method), ", ", script.Quote(key.request_id), ", ",
                    Script::Hex(stored.request_hash), ", ", Script::Hex(stored.response), ")");
  }
  script.Add(std::move(sql));
}

}  // namespace peixun::db
