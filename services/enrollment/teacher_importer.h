// The teacher import: rows streamed in, taken in batches of whatever has
// arrived, each batch applied in one transaction with set-based statements, one result per row
// in order; rows naming a county the copy of the catalog does not know yet wait for it.
#pragma once

#include <vector>

#include "common/auth/access.h"
#include "common/server/audit.h"
#include "common/server/platform.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "prometheus/counter.h"
#include "services/enrollment/catalog_mirror.h"

namespace peixun::enrollment {

class TeacherImporter {
 public:
  TeacherImporter(server::Platform& platform, CatalogMirror& catalog);

  // Serves one ImportTeachers stream for `caller`, read as bytes: a row that cannot be parsed
  // ends the call with INVALID_ARGUMENT naming it, where a typed reader would end the stream as
  // if the client were done. Rows are read on their own thread.
  grpc::Status Serve(grpc::ServerContext* context,
                     grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream,
                     const auth::Access& caller);

 private:
  // Imports rows with set-based statements in one transaction: one result per row, in order.
  // A row repeating an earlier row's ID number is applied after it; if the transaction fails
  // for a reason no check foresaw, the rows are tried one per transaction so that only the
  // row at fault is rejected. Each row it creates or changes is recorded in the audit record
  // as `row_entry` (who, from where) names it, in the same transaction.
  std::vector<v1::ImportTeacherResult> ImportBatch(
      const auth::Access& caller, const std::vector<v1::ImportTeachersRequest>& rows,
      const server::AuditEntry& row_entry);
  // The transaction of ImportBatch for the valid rows `apply` (distinct ID numbers).
  absl::Status ApplyTeachers(const auth::Access& caller, const std::vector<v1::Teacher>& teachers,
                             const std::vector<size_t>& apply,
                             std::vector<v1::ImportTeacherResult>& results,
                             const server::AuditEntry& row_entry, bool regions_confirmed = false);

  server::Platform& platform_;
  CatalogMirror& catalog_;
  prometheus::Family<prometheus::Counter>& imported_rows_;
};

}  // namespace peixun::enrollment
