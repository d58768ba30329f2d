#include "ir/device.h"

#include <charconv>

#include "ir/error.h"

namespace thunder {

Device Device::parse(std::string_view s) {
  std::string_view type = s.substr(0, s.find(':'));
  Device d;
  if (type == "cpu") d.type = DeviceType::CPU;
  else if (type == "cuda") d.type = DeviceType::CUDA;
  else if (type == "meta") d.type = DeviceType::Meta;
  else throw UserError(ErrorKind::Value, cat("unsupported device '", s, "': expected cpu, cuda, cuda:N or meta"));
  if (type.size() < s.size()) {
    std::string_view idx = s.substr(type.size() + 1);
    auto [end, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), d.index);
    THUNDER_CHECK(ec == std::errc() && end == idx.data() + idx.size() && d.index >= 0, Value,
                  "invalid device '", s, "': expected a non-negative index after ':'");
  }
  return d;
}

std::string Device::str() const {
  std::string s = type == DeviceType::CPU ? "cpu" : type == DeviceType::CUDA ? "cuda" : "meta";
  if (index >= 0) {
    s += ':';
    s += std::to_string(index);
  }
  return s;
}

}  // namespace thunder
