// The gateway's JSON printer against protobuf's own: the bytes after the first parse as the
// message type the first byte picks (contract messages, an event with its Any, the well-known
// types); whatever AppendProto3Json prints, protobuf must print too, and the same JSON.
#include <cstdlib>
#include <iostream>
#include <memory>

#include "google/protobuf/any.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/common/v1/common.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/gateway/json_printer.h"

namespace {

using google::protobuf::Message;

std::unique_ptr<Message> NewOfKind(uint8_t kind) {
  switch (kind % 9) {
    case 0:
      return std::make_unique<peixun::catalog::v1::Project>();
    case 1:
      return std::make_unique<peixun::enrollment::v1::Enrollment>();
    case 2:
      return std::make_unique<peixun::common::v1::Event>();
    case 3:
      return std::make_unique<google::protobuf::Struct>();
    case 4:
      return std::make_unique<google::protobuf::Value>();
    case 5:
      return std::make_unique<google::protobuf::Any>();
    case 6:
      return std::make_unique<google::protobuf::Timestamp>();
    case 7:
      return std::make_unique<google::protobuf::Duration>();
    default:
      return std::make_unique<google::protobuf::FieldMask>();
  }
}

[[noreturn]] void Differ(const Message& message, const std::string& ours,
                         const std::string& theirs) {
  std::cerr << "the printers differ on " << message.GetTypeName() << "\n"
            << message.DebugString() << "\nours:     " << ours << "\nprotobuf: " << theirs << "\n";
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto message = NewOfKind(data[0]);
  if (!message->ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  std::string ours;
  if (!peixun::gateway::AppendProto3Json(*message, &ours)) {
    if (!ours.empty()) Differ(*message, ours, "(a refusal must leave the output as it was)");
    return 0;  // left to protobuf
  }
  std::string theirs;
  if (!google::protobuf::util::MessageToJsonString(*message, &theirs).ok())
    Differ(*message, ours, "(refused)");
  if (ours == theirs) return 0;
  // A map of several entries may be printed in another order: then the JSON must mean the same.
  auto ours_parsed = NewOfKind(data[0]), theirs_parsed = NewOfKind(data[0]);
  if (!google::protobuf::util::JsonStringToMessage(ours, ours_parsed.get()).ok() ||
      !google::protobuf::util::JsonStringToMessage(theirs, theirs_parsed.get()).ok() ||
      !google::protobuf::util::MessageDifferencer::Equivalent(*ours_parsed, *theirs_parsed)) {
    Differ(*message, ours, theirs);
  }
  return 0;
}
