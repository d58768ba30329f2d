// Errors raised by the core. Two channels, as the design asks: user errors (bad input or an
// unsupported construct, reported with what was expected and what was got) and internal
// invariant failures (a bug in thunder). Messages are lowercase, without a trailing period, and
// are built only on failure.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace thunder {

/// The Python exception type a user error surfaces as (mirrors what torch raises for the same
/// mistake, so user code that catches torch's errors keeps working).
enum class ErrorKind { Type, Value, Index, Runtime, NotImplemented };

/// A mistake in the user's program or inputs.
class UserError : public std::runtime_error {
 public:
  UserError(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

/// A broken invariant inside thunder; the message asks for a bug report.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& msg)
      : std::logic_error("internal error: " + msg + " (this is a bug in thunder, please report it)") {}
};

/// Concatenates anything streamable into a string.
template <typename... Args>
std::string cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

}  // namespace thunder

/// Raises a UserError of `kind` when `cond` is false; the message parts are only evaluated then.
#define THUNDER_CHECK(cond, kind, ...)                                               \
  do {                                                                               \
    if (!(cond)) throw ::thunder::UserError(::thunder::ErrorKind::kind, ::thunder::cat(__VA_ARGS__)); \
  } while (0)

/// Raises an InternalError when `cond` is false.
#define THUNDER_ASSERT(cond, ...)                                                    \
  do {                                                                               \
    if (!(cond)) throw ::thunder::InternalError(::thunder::cat(__VA_ARGS__));        \
  } while (0)
