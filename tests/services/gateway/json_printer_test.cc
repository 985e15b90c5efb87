// The gateway's JSON printer against protobuf's own: every message of the four contracts and
// the well-known types, filled at random through reflection, print byte for byte alike.
#include "services/gateway/json_printer.h"

#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "google/protobuf/any.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/gateway/routes.h"

namespace peixun::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string ProtobufJson(const Message& message) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &json).ok())
      << message.GetTypeName();
  return json;
}

std::string OurJson(const Message& message) {
  std::string json;
  EXPECT_TRUE(AppendProto3Json(message, &json)) << message.DebugString();
  return json;
}

std::unique_ptr<Message> New(const Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

// Fills messages at random through reflection with the values that print differently: text
// protobuf escapes, Chinese, integers at their limits, non-finite numbers, enum numbers no
// contract names, timestamps and durations at each precision, Any of contract messages.
class RandomFiller {
 public:
  explicit RandomFiller(uint64_t seed) : random_(seed) {}

  void Fill(Message* message, int depth) {
    const Descriptor* type = message->GetDescriptor();
    if (FillWellKnown(message, depth)) return;
    const Reflection& r = *message->GetReflection();
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* field = type->field(i);
      if (Chance(0.35)) continue;
      if (field->is_map()) {
        // One entry at most: protobuf prints a map in its serialization's order, which is the
        // map's hash order; more entries are compared as parsed JSON (MapsMeanTheSame).
        if (Chance(0.5)) FillMapEntry(r.AddMessage(message, field), depth);
        continue;
      }
      if (field->is_repeated()) {
        for (int n = Below(4); n > 0; --n) Put(message, field, depth);
        continue;
      }
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth >= 4) continue;
      Put(message, field, depth);
    }
  }

  std::string Text() {
    static const char* const kPieces[] = {
        "",
        "years/2022/projects/rural-chief",
        "中原名师",
        "\"",
        "\\",
        "<b>",
        "a>b",
        "\n\t\r",
        "\x01\x1f\x7f",
        "\u2028\u2029",
        "\u00ad\u200b",
        "\ufeff",
        "\U0001F600",
        "\U000E0001",
        "\U0001D173",
        "\u0600",
        "é",
        " ",
        "/",
        "&'",
    };
    std::string text;
    for (int n = Below(4); n > 0; --n) text += kPieces[Below(std::size(kPieces))];
    return text;
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }
  int Below(size_t n) {
    return static_cast<int>(std::uniform_int_distribution<size_t>(0, n - 1)(random_));
  }
  template <typename T>
  T Integer() {
    switch (Below(5)) {
      case 0:
        return 0;
      case 1:
        return std::numeric_limits<T>::min();
      case 2:
        return std::numeric_limits<T>::max();
      case 3:
        return static_cast<T>(-1);
      default:
        return static_cast<T>(random_());
    }
  }
  double Double() {
    static const double kValues[] = {0.1,
                                     1e21,
                                     -0.0,
                                     1.0 / 3,
                                     5e-324,
                                     std::numeric_limits<double>::max(),
                                     std::nan(""),
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     2.5,
                                     1e-7};
    if (Chance(0.5)) return kValues[Below(std::size(kValues))];
    return std::uniform_real_distribution<double>(-1e6, 1e6)(random_);
  }
  std::string Bytes() {
    std::string bytes;
    for (int n = Below(8); n > 0; --n) bytes.push_back(static_cast<char>(random_()));
    return bytes;
  }

  int EnumNumber(const FieldDescriptor* field) {
    const auto* type = field->enum_type();
    if (Chance(0.15)) return 4242;  // a value of a newer contract
    return type->value(Below(static_cast<size_t>(type->value_count())))->number();
  }

  // A random value into a singular field, or added to a repeated one.
  void Put(Message* message, const FieldDescriptor* field, int depth) {
    const Reflection& r = *message->GetReflection();
    const bool add = field->is_repeated();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        const auto v = Integer<int32_t>();
        add ? r.AddInt32(message, field, v) : r.SetInt32(message, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        const auto v = Integer<uint32_t>();
        add ? r.AddUInt32(message, field, v) : r.SetUInt32(message, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        const auto v = Integer<int64_t>();
        add ? r.AddInt64(message, field, v) : r.SetInt64(message, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        const auto v = Integer<uint64_t>();
        add ? r.AddUInt64(message, field, v) : r.SetUInt64(message, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        const double v = Double();
        add ? r.AddDouble(message, field, v) : r.SetDouble(message, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        const auto v = static_cast<float>(Double());
        add ? r.AddFloat(message, field, v) : r.SetFloat(message, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        const bool v = Chance(0.5);
        add ? r.AddBool(message, field, v) : r.SetBool(message, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int v = EnumNumber(field);
        add ? r.AddEnumValue(message, field, v) : r.SetEnumValue(message, field, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string v = field->type() == FieldDescriptor::TYPE_BYTES ? Bytes() : Text();
        add ? r.AddString(message, field, std::move(v)) : r.SetString(message, field, std::move(v));
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* inner = add ? r.AddMessage(message, field) : r.MutableMessage(message, field);
        if (depth < 4) {
          Fill(inner, depth + 1);
        } else {
          FillWellKnown(inner, depth + 1);  // a Value gets a kind
        }
        break;
      }
    }
  }

  void FillMapEntry(Message* entry, int depth) {
    const Descriptor* type = entry->GetDescriptor();
    Put(entry, type->map_key(), depth);
    Put(entry, type->map_value(), depth);
  }

  // The well-known types with values in their valid ranges (out of range is tested apart).
  bool FillWellKnown(Message* message, int depth) {
    const Descriptor* type = message->GetDescriptor();
    const Reflection& r = *message->GetReflection();
    static const int32_t kNanos[] = {0, 1000000, 120000000, 1000, 999999999, 1};
    switch (type->well_known_type()) {
      case Descriptor::WELLKNOWNTYPE_TIMESTAMP:
        r.SetInt64(message, type->field(0),
                   std::uniform_int_distribution<int64_t>(-62135596800, 253402300799)(random_));
        r.SetInt32(message, type->field(1), kNanos[Below(std::size(kNanos))]);
        return true;
      case Descriptor::WELLKNOWNTYPE_DURATION: {
        const int64_t seconds = std::uniform_int_distribution<int64_t>(-100000, 100000)(random_);
        int32_t nanos = kNanos[Below(std::size(kNanos))];
        if (seconds < 0 || (seconds == 0 && Chance(0.5))) nanos = -nanos;
        r.SetInt64(message, type->field(0), seconds);
        r.SetInt32(message, type->field(1), nanos);
        return true;
      }
      case Descriptor::WELLKNOWNTYPE_FIELDMASK: {
        static const char* const kPaths[] = {"display_name", "quota.seat_count", "a1_b", "x",
                                             "plan_year.nomination_deadline"};
        for (int n = Below(3); n > 0; --n)
          r.AddString(message, type->field(0), kPaths[Below(std::size(kPaths))]);
        return true;
      }
      case Descriptor::WELLKNOWNTYPE_ANY: {
        if (Chance(0.2)) return true;  // an empty Any
        static const Descriptor* const kPacked[] = {
            catalog::v1::Project::descriptor(), enrollment::v1::Enrollment::descriptor(),
            google::protobuf::Timestamp::descriptor(), google::protobuf::Empty::descriptor(),
            google::protobuf::Int64Value::descriptor()};
        const Descriptor* packed_type = kPacked[Below(std::size(kPacked))];
        auto packed = New(packed_type);
        if (depth < 4) Fill(packed.get(), depth + 1);
        static_cast<google::protobuf::Any*>(message)->PackFrom(*packed);
        return true;
      }
      case Descriptor::WELLKNOWNTYPE_VALUE: {
        auto* value = static_cast<google::protobuf::Value*>(message);
        switch (depth < 4 ? Below(6) : Below(4)) {
          case 0:
            value->set_null_value(google::protobuf::NULL_VALUE);
            break;
          case 1:
            value->set_number_value(std::uniform_real_distribution<double>(-1e9, 1e9)(random_));
            break;
          case 2:
            value->set_string_value(Text());
            break;
          case 3:
            value->set_bool_value(Chance(0.5));
            break;
          case 4:
            Fill(value->mutable_struct_value(), depth + 1);
            break;
          default:
            Fill(value->mutable_list_value(), depth + 1);
            break;
        }
        return true;
      }
      default:
        return false;
    }
  }

  std::mt19937_64 random_;
};

// Every message type of the four contracts' files, nested ones included.
std::vector<const Descriptor*> ContractMessages() {
  std::vector<const Descriptor*> types;
  std::set<const google::protobuf::FileDescriptor*> files;
  for (const auto* service : PeixunServices()) files.insert(service->file());
  std::vector<const Descriptor*> pending;
  for (const auto* file : files) {
    for (int i = 0; i < file->message_type_count(); ++i) pending.push_back(file->message_type(i));
  }
  while (!pending.empty()) {
    const Descriptor* type = pending.back();
    pending.pop_back();
    if (type->options().map_entry()) continue;
    types.push_back(type);
    for (int i = 0; i < type->nested_type_count(); ++i) pending.push_back(type->nested_type(i));
  }
  return types;
}

TEST(JsonPrinter, PrintsEveryContractMessageAsProtobufDoes) {
  const auto types = ContractMessages();
  ASSERT_GT(types.size(), 150u) << "the contracts' messages were not all found";
  RandomFiller filler(20261207);
  int compared = 0;
  for (const Descriptor* type : types) {
    for (int round = 0; round < 40; ++round) {
      auto message = New(type);
      filler.Fill(message.get(), 0);
      ASSERT_EQ(OurJson(*message), ProtobufJson(*message)) << message->DebugString();
      ++compared;
    }
  }
  EXPECT_EQ(compared, static_cast<int>(types.size()) * 40);
}

TEST(JsonPrinter, PrintsTheWellKnownTypesInTheirOwnForms) {
  RandomFiller filler(7);
  const Descriptor* kTypes[] = {
      google::protobuf::Timestamp::descriptor(),   google::protobuf::Duration::descriptor(),
      google::protobuf::FieldMask::descriptor(),   google::protobuf::Any::descriptor(),
      google::protobuf::Value::descriptor(),       google::protobuf::ListValue::descriptor(),
      google::protobuf::Empty::descriptor(),       google::protobuf::DoubleValue::descriptor(),
      google::protobuf::FloatValue::descriptor(),  google::protobuf::Int64Value::descriptor(),
      google::protobuf::UInt64Value::descriptor(), google::protobuf::Int32Value::descriptor(),
      google::protobuf::UInt32Value::descriptor(), google::protobuf::BoolValue::descriptor(),
      google::protobuf::StringValue::descriptor(), google::protobuf::BytesValue::descriptor()};
  for (const Descriptor* type : kTypes) {
    for (int round = 0; round < 200; ++round) {
      auto message = New(type);
      filler.Fill(message.get(), 0);
      ASSERT_EQ(OurJson(*message), ProtobufJson(*message)) << message->DebugString();
    }
  }
  google::protobuf::Timestamp start;
  start.set_seconds(1656633600);  // 2022-07-01T00:00:00Z
  start.set_nanos(250000000);
  EXPECT_EQ(OurJson(start), "\"2022-07-01T00:00:00.250Z\"");
  google::protobuf::StringValue text;
  text.set_value("中原名师 <b>\n");
  EXPECT_EQ(OurJson(text), "\"中原名师 \\u003cb\\u003e\\n\"");
}

TEST(JsonPrinter, MapsMeanTheSame) {
  // A Struct of many keys: the same object, keys in whatever order the map holds them.
  RandomFiller filler(11);
  for (int round = 0; round < 50; ++round) {
    google::protobuf::Struct object;
    for (int i = 0; i < 6; ++i) filler.Fill(&(*object.mutable_fields())[filler.Text()], 1);
    google::protobuf::Struct ours, theirs;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(OurJson(object), &ours).ok());
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ProtobufJson(object), &theirs).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(ours, theirs));
  }
}

TEST(JsonPrinter, LeavesToProtobufWhatItDoesNotPrint) {
  std::string out = "kept";
  google::protobuf::Timestamp late;
  late.set_seconds(253402300800);  // year 10000
  EXPECT_FALSE(AppendProto3Json(late, &out));
  google::protobuf::Duration mixed;
  mixed.set_seconds(1);
  mixed.set_nanos(-1);
  EXPECT_FALSE(AppendProto3Json(mixed, &out));
  google::protobuf::StringValue broken;
  broken.set_value("a\xff");
  EXPECT_FALSE(AppendProto3Json(broken, &out));
  google::protobuf::Any unknown;
  unknown.set_type_url("type.googleapis.com/peixun.not.v1.Linked");
  EXPECT_FALSE(AppendProto3Json(unknown, &out));
  google::protobuf::Any elsewhere;
  elsewhere.set_type_url("example.org/peixun.catalog.v1.Project");
  EXPECT_FALSE(AppendProto3Json(elsewhere, &out)) << "protobuf resolves type.googleapis.com/ alone";
  google::protobuf::FieldMask upper;
  upper.add_paths("displayName");
  EXPECT_FALSE(AppendProto3Json(upper, &out));
  google::protobuf::Value empty_value;
  EXPECT_FALSE(AppendProto3Json(empty_value, &out));
  EXPECT_EQ(out, "kept") << "a refusal leaves the output as it was";

  // The gateway's ToJson then answers what protobuf prints.
  google::protobuf::Timestamp early;
  early.set_seconds(0);
  EXPECT_EQ(ToJson(early), "\"1970-01-01T00:00:00Z\"");
  enrollment::v1::Enrollment enrollment;
  enrollment.set_name("years/2022/projects/p/enrollments/e");
  enrollment.mutable_create_time()->set_seconds(253402300800);
  EXPECT_EQ(ToJson(enrollment), "{}") << "protobuf refuses the year 10000, and says so with {}";
}

}  // namespace
}  // namespace peixun::gateway
