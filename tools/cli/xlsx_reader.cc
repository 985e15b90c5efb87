#include "tools/cli/xlsx_reader.h"

#include <expat.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace peixun::cli {

namespace {

constexpr size_t kMaxFileBytes = size_t{100} << 20;
constexpr uint64_t kMaxPartBytes = uint64_t{2} << 30;
constexpr uint64_t kMaxInflation = 1000;
constexpr size_t kMaxCellBytes = 32767;
constexpr int kMaxRows = 1048576;
constexpr int kMaxColumns = 16384;

uint16_t U16(const std::string& b, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[at]) |
                               (static_cast<unsigned char>(b[at + 1]) << 8));
}
uint32_t U32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(U16(b, at)) | (static_cast<uint32_t>(U16(b, at + 2)) << 16);
}

// A chunk of a part's bytes; returns false to stop reading.
using Sink = std::function<bool(const char* data, size_t size, bool last)>;

// The parts of a ZIP file held in memory (.xlsx files are small next to what they inflate to).
class Zip {
 public:
  static absl::StatusOr<Zip> Open(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0 || static_cast<uint64_t>(size) > kMaxFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is larger than ", kMaxFileBytes >> 20, " MB"));
    }
    in.seekg(0);
    Zip zip;
    zip.path_ = path;
    zip.bytes_.resize(static_cast<size_t>(size));
    in.read(zip.bytes_.data(), size);
    if (!in) return absl::DataLossError(absl::StrCat("cannot read ", path));
    if (absl::Status s = zip.ReadDirectory(); !s.ok()) return s;
    return zip;
  }

  bool Has(const std::string& name) const { return entries_.count(name) > 0; }

  // Streams the inflated bytes of part `name` to `sink`.
  absl::Status Read(const std::string& name, const Sink& sink) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) return Bad(absl::StrCat("it has no part ", name));
    const Entry& e = it->second;
    const std::string& b = bytes_;
    if (uint64_t{e.local} + 30 > b.size() || U32(b, e.local) != 0x04034b50)
      return Bad(absl::StrCat("the local header of ", name, " is damaged"));
    const uint64_t data = uint64_t{e.local} + 30 + U16(b, e.local + 26) + U16(b, e.local + 28);
    if (data + e.compressed > b.size()) return Bad(absl::StrCat(name, " runs past the file's end"));
    const char* in = b.data() + data;
    if (e.method == 0) {
      sink(in, e.compressed, true);
      return absl::OkStatus();
    }
    if (e.method != 8) return Bad(absl::StrCat(name, " uses compression method ", e.method));
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return absl::InternalError("zlib does not start");
    std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    z.avail_in = e.compressed;
    const uint64_t limit =
        std::min(kMaxPartBytes, kMaxInflation * std::max<uint64_t>(e.compressed, 1));
    uint64_t total = 0;
    std::string out(size_t{1} << 16, '\0');
    for (;;) {
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      const int r = inflate(&z, Z_NO_FLUSH);
      if (r != Z_OK && r != Z_STREAM_END)
        return Bad(absl::StrCat(name, " does not inflate (zlib ", r, ")"));
      const size_t got = out.size() - z.avail_out;
      total += got;
      if (total > limit) {
        return Bad(absl::StrCat(name, " inflates past ", limit,
                                " bytes (at most 1,000 times its compressed size)"));
      }
      if (!sink(out.data(), got, r == Z_STREAM_END)) return absl::OkStatus();
      if (r == Z_STREAM_END) return absl::OkStatus();
      if (got == 0 && z.avail_in == 0) return Bad(absl::StrCat(name, " ends early"));
    }
  }

  absl::Status Bad(const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(path_, " is not a readable .xlsx file: ", what));
  }

 private:
  struct Entry {
    uint16_t method = 0;
    uint32_t compressed = 0;
    uint32_t local = 0;
  };

  absl::Status ReadDirectory() {
    const std::string& b = bytes_;
    if (b.size() < 22) return Bad("it is not a ZIP file");
    // The end-of-central-directory record: within the last 22 + 65,535 bytes.
    size_t eocd = std::string::npos;
    const size_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (size_t at = b.size() - 22 + 1; at-- > lowest;) {
      if (U32(b, at) == 0x06054b50) {
        eocd = at;
        break;
      }
    }
    if (eocd == std::string::npos) return Bad("it is not a ZIP file");
    const uint16_t count = U16(b, eocd + 10);
    size_t at = U32(b, eocd + 16);
    for (uint16_t i = 0; i < count; ++i) {
      if (at + 46 > b.size() || U32(b, at) != 0x02014b50) return Bad("its directory is damaged");
      Entry e;
      e.method = U16(b, at + 10);
      e.compressed = U32(b, at + 20);
      e.local = U32(b, at + 42);
      const size_t name_len = U16(b, at + 28);
      const size_t next = at + 46 + name_len + U16(b, at + 30) + U16(b, at + 32);
      if (next > b.size()) return Bad("its directory is damaged");
      if (e.compressed == 0xFFFFFFFF || e.local == 0xFFFFFFFF) return Bad("ZIP64 is not read");
      entries_[b.substr(at + 46, name_len)] = e;
      at = next;
    }
    return absl::OkStatus();
  }

  std::string path_;
  std::string bytes_;
  std::map<std::string, Entry> entries_;
};

// An element's or attribute's name without its namespace prefix.
std::string Local(const char* name) {
  std::string n(name);
  const size_t colon = n.find(':');
  return colon == std::string::npos ? n : n.substr(colon + 1);
}

const char* Attribute(const char** attributes, const std::string& local) {
  for (int i = 0; attributes[i] != nullptr; i += 2) {
    if (Local(attributes[i]) == local) return attributes[i + 1];
  }
  return nullptr;
}

// Parses part `name` of `zip` with expat, the handlers on `state` (which has `status`, set by a
// handler that stops the parse).
template <typename State>
absl::Status ParsePart(const Zip& zip, const std::string& name, State& state,
                       XML_StartElementHandler start, XML_EndElementHandler end,
                       XML_CharacterDataHandler text) {
  std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> parser(XML_ParserCreate("UTF-8"),
                                                                 XML_ParserFree);
  XML_SetUserData(parser.get(), &state);
  XML_SetElementHandler(parser.get(), start, end);
  if (text != nullptr) XML_SetCharacterDataHandler(parser.get(), text);
  state.parser = parser.get();
  state.stopped = false;
  absl::Status xml;
  absl::Status read = zip.Read(name, [&](const char* data, size_t size, bool last) {
    if (XML_Parse(parser.get(), data, static_cast<int>(size), last ? 1 : 0) == XML_STATUS_ERROR) {
      if (state.status.ok() && !state.stopped) {
        xml = zip.Bad(absl::StrCat(name, " line ", XML_GetCurrentLineNumber(parser.get()), ": ",
                                   XML_ErrorString(XML_GetErrorCode(parser.get()))));
      }
      return false;
    }
    return true;
  });
  if (!read.ok()) return read;
  if (!state.status.ok()) return state.status;
  return xml;
}

struct Base {
  XML_Parser parser = nullptr;
  absl::Status status;
  bool stopped = false;  // stopped on purpose (the caller has what it wants)
  void Fail(absl::Status s) {
    status = std::move(s);
    XML_StopParser(parser, XML_FALSE);
  }
  void Stop() {
    stopped = true;
    XML_StopParser(parser, XML_FALSE);
  }
};

// xl/sharedStrings.xml: <si> items, each the text of its <t> elements (phonetic runs left out).
struct SharedStrings : Base {
  std::vector<std::string> strings;
  std::string current;
  int in_t = 0;
  int in_phonetic = 0;
  static void Start(void* data, const char* name, const char**) {
    auto& s = *static_cast<SharedStrings*>(data);
    const std::string n = Local(name);
    if (n == "si") s.current.clear();
    if (n == "t") ++s.in_t;
    if (n == "rPh") ++s.in_phonetic;
  }
  static void End(void* data, const char* name) {
    auto& s = *static_cast<SharedStrings*>(data);
    const std::string n = Local(name);
    if (n == "si") s.strings.push_back(std::move(s.current));
    if (n == "t") --s.in_t;
    if (n == "rPh") --s.in_phonetic;
  }
  static void Text(void* data, const char* text, int len) {
    auto& s = *static_cast<SharedStrings*>(data);
    if (s.in_t == 0 || s.in_phonetic > 0) return;
    if (s.current.size() + static_cast<size_t>(len) > kMaxCellBytes) {
      s.Fail(absl::InvalidArgumentError(
          absl::StrCat("a text of the workbook is longer than ", kMaxCellBytes, " bytes")));
      return;
    }
    s.current.append(text, static_cast<size_t>(len));
  }
};

// xl/workbook.xml's first <sheet r:id>, then the relationship's target in its .rels.
struct FirstSheet : Base {
  std::string id;
  std::string target;
  static void Start(void* data, const char* name, const char** attributes) {
    auto& s = *static_cast<FirstSheet*>(data);
    const std::string n = Local(name);
    if (n == "sheet" && s.id.empty()) {
      if (const char* id = Attribute(attributes, "id")) {
        s.id = id;
        s.Stop();
      }
    }
    if (n == "Relationship" && s.target.empty()) {
      const char* id = Attribute(attributes, "Id");
      const char* target = Attribute(attributes, "Target");
      if (id != nullptr && target != nullptr && s.id == id) {
        s.target = target;
        s.Stop();
      }
    }
  }
  static void End(void*, const char*) {}
};

// A worksheet's rows.
struct Sheet : Base {
  const std::vector<std::string>* shared = nullptr;
  const std::function<bool(int, std::vector<std::string>&)>* row_fn = nullptr;
  std::vector<std::string> cells;
  int row = 0;
  int column = -1;
  std::string type;
  std::string value;
  bool in_value = false;
  bool in_row = false;

  static int ColumnOf(const char* reference) {
    int column = 0;
    bool any = false;
    for (const char* p = reference; *p >= 'A' && *p <= 'Z'; ++p) {
      column = column * 26 + (*p - 'A' + 1);
      any = true;
      if (column > kMaxColumns) return kMaxColumns;
    }
    return any ? column - 1 : -1;
  }
  static void Start(void* data, const char* name, const char** attributes) {
    auto& s = *static_cast<Sheet*>(data);
    const std::string n = Local(name);
    if (n == "row") {
      int number = 0;
      const char* r = Attribute(attributes, "r");
      s.row = r != nullptr && absl::SimpleAtoi(r, &number) ? number : s.row + 1;
      if (s.row < 1 || s.row > kMaxRows) {
        s.Fail(
            absl::InvalidArgumentError(absl::StrCat("row ", s.row, " is outside 1 to ", kMaxRows)));
        return;
      }
      s.cells.clear();
      s.column = -1;
      s.in_row = true;
    } else if (n == "c") {
      const char* r = Attribute(attributes, "r");
      const int column = r != nullptr ? ColumnOf(r) : -1;
      s.column = column >= 0 ? column : s.column + 1;
      if (s.column >= kMaxColumns) {
        s.Fail(absl::InvalidArgumentError(
            absl::StrCat("row ", s.row, " has a cell past column ", kMaxColumns)));
        return;
      }
      const char* t = Attribute(attributes, "t");
      s.type = t == nullptr ? "n" : t;
      s.value.clear();
    } else if (n == "v" || n == "t") {
      s.in_value = true;
    }
  }
  static void End(void* data, const char* name) {
    auto& s = *static_cast<Sheet*>(data);
    const std::string n = Local(name);
    if (n == "v" || n == "t") {
      s.in_value = false;
    } else if (n == "c") {
      std::string text = std::move(s.value);
      if (s.type == "s") {
        size_t index = 0;
        if (!absl::SimpleAtoi(text, &index) || index >= s.shared->size()) {
          s.Fail(absl::InvalidArgumentError(
              absl::StrCat("row ", s.row, " names shared string ", text, ", which is not there")));
          return;
        }
        text = (*s.shared)[index];
      }
      if (s.cells.size() <= static_cast<size_t>(s.column))
        s.cells.resize(static_cast<size_t>(s.column) + 1);
      s.cells[static_cast<size_t>(s.column)] = std::move(text);
    } else if (n == "row") {
      s.in_row = false;
      bool any = false;
      for (const auto& cell : s.cells) any = any || !cell.empty();
      if (any && !(*s.row_fn)(s.row, s.cells)) s.Stop();
    }
  }
  static void Text(void* data, const char* text, int len) {
    auto& s = *static_cast<Sheet*>(data);
    if (!s.in_value) return;
    if (s.value.size() + static_cast<size_t>(len) > kMaxCellBytes) {
      s.Fail(absl::InvalidArgumentError(
          absl::StrCat("row ", s.row, " has a cell longer than ", kMaxCellBytes, " bytes")));
      return;
    }
    s.value.append(text, static_cast<size_t>(len));
  }
};

}  // namespace

absl::Status ForEachXlsxRow(const std::string& path,
                            const std::function<bool(int, std::vector<std::string>&)>& row) {
  absl::StatusOr<Zip> zip = Zip::Open(path);
  if (!zip.ok()) return zip.status();
  // The first sheet: workbook.xml names it, its relationships say which part it is.
  FirstSheet first;
  if (absl::Status s =
          ParsePart(*zip, "xl/workbook.xml", first, &FirstSheet::Start, &FirstSheet::End, nullptr);
      !s.ok()) {
    return s;
  }
  if (first.id.empty()) return zip->Bad("its workbook names no sheet");
  if (absl::Status s = ParsePart(*zip, "xl/_rels/workbook.xml.rels", first, &FirstSheet::Start,
                                 &FirstSheet::End, nullptr);
      !s.ok()) {
    return s;
  }
  if (first.target.empty()) return zip->Bad(absl::StrCat("sheet ", first.id, " has no part"));
  const std::string part = first.target[0] == '/' ? first.target.substr(1) : "xl/" + first.target;
  SharedStrings shared;
  if (zip->Has("xl/sharedStrings.xml")) {
    if (absl::Status s = ParsePart(*zip, "xl/sharedStrings.xml", shared, &SharedStrings::Start,
                                   &SharedStrings::End, &SharedStrings::Text);
        !s.ok()) {
      return s;
    }
  }
  Sheet sheet;
  sheet.shared = &shared.strings;
  sheet.row_fn = &row;
  absl::Status s = ParsePart(*zip, part, sheet, &Sheet::Start, &Sheet::End, &Sheet::Text);
  if (!s.ok() && s.code() == absl::StatusCode::kInvalidArgument &&
      s.message().find(path) == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  return s;
}

std::string ExcelDateText(const std::string& cell) {
  double serial = 0;
  if (!absl::SimpleAtod(cell, &serial) || serial < 1 || serial >= 2958466) return cell;
  const auto days = static_cast<int64_t>(std::floor(serial));
  // Excel counts 1900-02-29, which never was: serials from 61 on are a day ahead.
  const absl::CivilDay day =
      days >= 61 ? absl::CivilDay(1899, 12, 30) + days : absl::CivilDay(1899, 12, 31) + days;
  return absl::FormatCivilTime(day);
}

}  // namespace peixun::cli
