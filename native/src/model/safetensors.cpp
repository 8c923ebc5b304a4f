// safetensors reader/writer: see safetensors.h.
#include "model/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>

#include "util/check.h"

namespace seqmatch {
namespace model {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the format's own limit (100 MB)

struct DTypeInfo {
  const char* name;
  torch::ScalarType type;
  int64_t bytes;
};
const DTypeInfo kDTypes[] = {
    {"F64", torch::kDouble, 8}, {"F32", torch::kFloat, 4},  {"F16", torch::kHalf, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kLong, 8}, {"I32", torch::kInt, 4},
    {"I16", torch::kShort, 2},  {"I8", torch::kChar, 1},    {"U8", torch::kByte, 1},
    {"BOOL", torch::kBool, 1},
};

const DTypeInfo* dtype_by_name(const std::string& name) {
  for (const auto& d : kDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DTypeInfo* dtype_by_type(torch::ScalarType t) {
  for (const auto& d : kDTypes)
    if (t == d.type) return &d;
  return nullptr;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// A header read from an open file: its entries and where the data section starts.
struct Header {
  std::map<std::string, TensorInfo> entries;
  uint64_t data_start = 0;
};

Header read_header(FILE* f, const std::string& path) {
  std::fseek(f, 0, SEEK_END);
  const int64_t file_size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);

  unsigned char len_bytes[8];
  SM_CHECK(file_size >= 8 && std::fread(len_bytes, 1, 8, f) == 8, "checkpoint ", path,
           ": truncated (", file_size, " bytes, not even a header length)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  SM_CHECK(header_len <= kMaxHeaderBytes && 8 + header_len <= uint64_t(file_size), "checkpoint ",
           path, ": bad header length ", header_len, " for a file of ", file_size,
           " bytes (truncated or not a safetensors file)");

  std::string text(header_len, '\0');
  SM_CHECK(std::fread(text.data(), 1, header_len, f) == header_len, "checkpoint ", path,
           ": cannot read header");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  SM_CHECK(j.is_object(), "checkpoint ", path, ": header is not a JSON object");

  Header h;
  h.data_start = 8 + header_len;
  const uint64_t data_size = uint64_t(file_size) - h.data_start;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto& e = it.value();
    const std::string& name = it.key();
    // Names are quoted in every later message: a control character would break the one-line errors.
    for (size_t k = 0; k < name.size(); ++k) {
      const auto c = static_cast<unsigned char>(name[k]);
      SM_CHECK(c >= 0x20 && c != 0x7f, "checkpoint ", path, ": a tensor name holds control character ",
               int(c), " at position ", k);
    }
    SM_CHECK(e.is_object() && e.contains("dtype") && e.contains("shape") &&
                 e.contains("data_offsets") && e["dtype"].is_string() && e["shape"].is_array() &&
                 e["data_offsets"].is_array() && e["data_offsets"].size() == 2,
             "checkpoint ", path, ": tensor '", name, "' has a malformed header entry");
    const DTypeInfo* dtype = dtype_by_name(e["dtype"].get<std::string>());
    SM_CHECK(dtype != nullptr, "checkpoint ", path, ": tensor '", name, "' has unsupported dtype ",
             e["dtype"].get<std::string>());
    TensorInfo info{dtype->type, {}, 0, 0};
    // The byte count is computed with overflow checks: a shape whose product wraps around
    // must not pass as a small tensor and then reach the allocator.
    uint64_t bytes = uint64_t(dtype->bytes);
    bool overflow = false;
    for (const auto& d : e["shape"]) {
      SM_CHECK(d.is_number_unsigned() || (d.is_number_integer() && d.get<int64_t>() >= 0),
               "checkpoint ", path, ": tensor '", name, "' has a bad shape ", e["shape"].dump());
      const uint64_t n = d.get<uint64_t>();
      SM_CHECK(n <= uint64_t(INT64_MAX), "checkpoint ", path, ": tensor '", name,
               "' has a bad shape ", e["shape"].dump());
      overflow = overflow || (n != 0 && bytes > UINT64_MAX / n);
      bytes = overflow ? 0 : bytes * n;
      info.shape.push_back(int64_t(n));
    }
    SM_CHECK(e["data_offsets"][0].is_number_unsigned() && e["data_offsets"][1].is_number_unsigned(),
             "checkpoint ", path, ": tensor '", name, "' has bad data_offsets");
    info.begin = e["data_offsets"][0].get<uint64_t>();
    info.end = e["data_offsets"][1].get<uint64_t>();
    SM_CHECK(info.begin <= info.end && info.end <= data_size, "checkpoint ", path, ": tensor '",
             name, "' lies outside the file (bytes ", info.begin, "..", info.end, " of ", data_size,
             "; file truncated?)");
    SM_CHECK(!overflow && info.end - info.begin == bytes, "checkpoint ", path, ": tensor '", name,
             "' has ", info.end - info.begin, " bytes but its shape ", e["shape"].dump(), " needs ",
             overflow ? std::string("more than 2^64") : std::to_string(bytes));
    h.entries.emplace(name, std::move(info));
  }
  return h;
}

}  // namespace

std::map<std::string, TensorInfo> read_safetensors_header(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  SM_CHECK(f != nullptr, "checkpoint ", path, ": cannot open file");
  return read_header(f.get(), path).entries;
}

std::map<std::string, torch::Tensor> read_safetensors(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  SM_CHECK(f != nullptr, "checkpoint ", path, ": cannot open file");
  const Header h = read_header(f.get(), path);
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, e] : h.entries) {
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
    const uint64_t n = e.end - e.begin;
    std::fseek(f.get(), long(h.data_start + e.begin), SEEK_SET);
    SM_CHECK(n == 0 || std::fread(t.data_ptr(), 1, n, f.get()) == n, "checkpoint ", path,
             ": cannot read tensor '", name, "'");
    out.emplace(name, t);
  }
  return out;
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> cpu;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const DTypeInfo* d = dtype_by_type(t.scalar_type());
    SM_CHECK(d != nullptr, "checkpoint ", path, ": cannot store dtype ", t.scalar_type(),
             " of tensor '", name, "'");
    auto c = t.detach().to(torch::kCPU).contiguous();
    const uint64_t n = uint64_t(c.numel()) * uint64_t(d->bytes);
    header[name] = {{"dtype", d->name}, {"shape", c.sizes().vec()}, {"data_offsets", {offset, offset + n}}};
    offset += n;
    cpu.push_back(c);
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // align the data section to 8 bytes
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = (uint64_t(h.size()) >> (8 * i)) & 0xff;

  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
  SM_CHECK(f != nullptr, "checkpoint ", path, ": cannot create file");
  bool ok = std::fwrite(len_bytes, 1, 8, f.get()) == 8 &&
            std::fwrite(h.data(), 1, h.size(), f.get()) == h.size();
  for (const auto& c : cpu) {
    const size_t n = size_t(c.numel()) * c.element_size();
    ok = ok && (n == 0 || std::fwrite(c.data_ptr(), 1, n, f.get()) == n);
  }
  ok = ok && std::fflush(f.get()) == 0;
  SM_CHECK(ok, "checkpoint ", path, ": write failed (disk full?)");
}

}  // namespace model
}  // namespace seqmatch
