// Devices: cpu, cuda:N and meta.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace thunder {

enum class DeviceType : uint8_t { CPU, CUDA, Meta };

/// A torch device. `index` is -1 where torch leaves it unset ("cuda" without an ordinal).
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = -1;

  /// Parses torch's spelling: "cpu", "cuda", "cuda:1", "meta".
  static Device parse(std::string_view s);
  /// torch's spelling, as str(torch.device(...)) prints it.
  std::string str() const;
  bool operator==(const Device&) const = default;
};

}  // namespace thunder
