// Shared vocabulary of the elementwise family's files (elementwise*.cpp): torch's dtype spellings
// in error messages, scalar-argument conversion, and small decomposition helpers.
#pragma once

#include <string_view>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {


/// Raises torch's NotImplementedError for a dtype an op has no kernel for:
/// `"abs" not implemented for 'Bool'`. torch names the kernel (`abs_cpu`, `floor_vml_cpu`), which
/// varies with the device; the op's name stands for it here.
[[noreturn]] void not_implemented_for(std::string_view op, DType t);

/// Raises torch's TypeError for a Python number where a signature has only Tensor:
/// "maximum(): argument 'other' (position 2) must be Tensor, not int".
void require_tensor_arg(const Args& a, size_t i);

/// A Python number cast to `dt` the way torch casts a scalar argument (c10's checked_convert): the
/// result is a constant of the Python type that matches dt's category; values that do not fit
/// raise torch's "value cannot be converted to type T without overflow".
Value checked_number(const Value& number, DType dt);

/// A tensor of t's shape and dtype holding `number` (cast as torch casts scalars), for prims whose
/// ATen callable needs a tensor where the op has a number. There is no fill prim: a where whose
/// predicate is always false selects the number everywhere. t must be real (lt is undefined on
/// complex).
Value fill_like(const Value& t, const Value& number);

/// Registers a torch-level elementwise op printed as torch.<name>.
void add_elementwise(Registry& r, std::string schema, std::vector<std::string> torch_names, ImplFn impl);

/// Raises the generic type error when neither operand of a binary op is a tensor.
void require_operand_tensor(const Args& a);

/// torch.div(x, y, rounding_mode='trunc') and rounding_mode='floor' (also floor_divide), as prims:
/// c10's div_trunc and div_floor algorithms, step by step. `op` names the op in errors.
Value divide_trunc(const Value& x, const Value& y, std::string_view op);
Value divide_floor(const Value& x, const Value& y, std::string_view op);

/// Whether a value is a tensor of, or a Python number of, the bool type.
bool is_boolean(const Value& v);

}  // namespace thunder::ops
