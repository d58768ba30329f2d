// Shared fixtures for the C++ tests.
#pragma once

#include <gtest/gtest.h>

#include "ir/error.h"
#include "ir/trace.h"
#include "ops/ops.h"

namespace thunder::testing {

/// A trace being recorded, current for the fixture's lifetime.
class TraceTest : public ::testing::Test {
 protected:
  TraceBuilder builder;
  TraceBuilder::Scope scope{builder};

  Value input(const std::string& name, Shape shape, DType dtype = DType::Float32, const char* device = "cpu") {
    return builder.add_input(name, TensorMeta{std::move(shape), dtype, Device::parse(device), false});
  }
  Value op(std::string_view name, std::vector<Value> args, const Kwargs& kw = {}) {
    return ops::call(name, std::move(args), kw);
  }
};

/// The message of the UserError `f` raises (fails the test when it raises none).
template <typename F>
std::string user_error(F&& f, ErrorKind expected_kind = ErrorKind::Runtime) {
  try {
    f();
  } catch (const UserError& e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(expected_kind)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a user error";
  return "";
}

inline Value i(int64_t v) { return Value::constant(v); }
inline Value f(double v) { return Value::constant(v); }

}  // namespace thunder::testing
