// Slicing ops: the torch-level ops built on prims.slice, prims.pad, prims.flip and iota masks
// (split, chunk, unbind, narrow, flip, roll, tril, triu, constant pad, diagonal).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

// Pieces of `x` along `dim`, of the given sizes (which add up to the dim's size).
Value split_sizes(const Value& x, int64_t dim, const std::vector<int64_t>& sizes) {
  std::vector<Value> parts;
  int64_t start = 0;
  for (int64_t n : sizes) {
    parts.push_back(slice_dim(x, dim, start, start + n));
    start += n;
  }
  return Value::sequence(std::move(parts));
}

// Equal pieces of `size` along `dim`, the last one smaller; one empty piece for an empty dim.
std::vector<int64_t> even_sizes(int64_t total, int64_t size) {
  if (total == 0) return {0};
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < total; start += size) sizes.push_back(std::min(size, total - start));
  return sizes;
}

// Keeps the elements on one side of a diagonal of the last two dims: where col - row <= k (tril)
// or col - row >= k (triu), zeros elsewhere.
Value triangle(const Args& a, bool lower) {
  const Value& x = a.tensor(0);
  int64_t k = a.int_(1);
  THUNDER_CHECK(x.rank() >= 2, Runtime, lower ? "tril" : "triu", ": input tensor must have at least 2 dimensions");
  int64_t rows = x.shape()[x.rank() - 2], cols = x.shape()[x.rank() - 1];
  const Device& dev = x.meta().device;
  using namespace pm;
  Value row = call("prims.expand", {reshape_to(iota(rows, 0, 1, DType::Int64, dev), {rows, 1}), int_list({rows, cols})});
  Value col = call("prims.expand", {reshape_to(iota(cols, 0, 1, DType::Int64, dev), {1, cols}), int_list({rows, cols})});
  Value diff = col - row;
  Value keep = lower ? call("prims.le", {diff, num(k)}) : call("prims.ge", {diff, num(k)});
  keep = broadcast_to(keep, x.shape());
  return where(keep, x, fill_value(num(0), x.dtype()));
}

}  // namespace

Value fill_value(const Value& v, DType dt, bool strict_unsigned) {
  if (v.python_number_type() == NumberType::Complex) {
    THUNDER_CHECK(is_complex(dt), Runtime, "value cannot be converted to type ", dtype_c10_name(dt), " without overflow");
    return v;
  }
  if (is_bool(dt)) return Value::constant(v.as_double() != 0);
  if (is_complex(dt)) return num(v.as_double());
  // c10's checked conversion: numbers must fit the type's range (a float is compared before it is
  // truncated, so -0.5 does not fit uint8); a float type also takes inf and nan. uint8 takes the
  // ints down to -255 as well, wrapping them (two's complement: -2 is 254), as c10 lets `a - b`
  // mean `a + 255 * b` (unless strict)
  if (!strict_unsigned && dt == DType::UInt8 && v.is_int() && v.as_int() < 0 && v.as_int() >= -255)
    return num(v.as_int() + 256);
  struct Range {
    DType t;
    const char* name;
    double lo, hi;
  };
  static const Range kRanges[] = {
      {DType::UInt8, "uint8_t", 0, 255},
      {DType::Int8, "int8_t", -128, 127},
      {DType::Int16, "int16_t", -32768, 32767},
      {DType::Int32, "int", -2147483648.0, 2147483647.0},
      {DType::Int64, "int64_t", -9.223372036854775808e18, 9.223372036854775807e18},
      {DType::Float16, "c10::Half", -65504, 65504},
      {DType::BFloat16, "c10::BFloat16", -3.3895313892515355e38, 3.3895313892515355e38},
      {DType::Float32, "float", -3.4028234663852886e38, 3.4028234663852886e38},
      {DType::Float64, "double", -INFINITY, INFINITY},
  };
  double d = v.as_double();
  for (const Range& r : kRanges) {
    if (r.t != dt) continue;
    bool fits = is_floating(dt) ? std::isinf(d) || std::isnan(d) || (d >= r.lo && d <= r.hi)
                                : d >= r.lo && d <= r.hi;
    THUNDER_CHECK(fits || (v.is_int() && dt == DType::Int64), Runtime, "value cannot be converted to type ", r.name,
                  " without overflow");
  }
  if (is_integer(dt)) return v.is_int() ? v : num(static_cast<int64_t>(std::trunc(d)));
  return num(d);
}

void register_shape_slicing(Registry& r) {
  r.add({.schema = "split(tensor, split_size_or_sections, dim=0)",
         .print_name = "torch.split",
         .torch_names = {"torch.split", "torch.Tensor.split"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(x.rank() > 0, Runtime, "split expects at least a 1-dimensional tensor");
           int64_t dim = wrap_dim(a.int_(2), x.rank());
           int64_t total = x.shape()[dim];
           if (a[1].is_int()) {
             int64_t size = a.int_(1);
             THUNDER_CHECK(size >= 0, Runtime, "split expects split_size be non-negative, but got split_size=", size);
             THUNDER_CHECK(size > 0 || total == 0, Runtime,
                           "split_size can only be 0 if dimension size is 0, but got dimension size of ", total);
             return split_sizes(x, dim, even_sizes(total, std::max<int64_t>(size, 1)));
           }
           std::vector<int64_t> sizes = a.int_list(1);
           for (int64_t n : sizes)
             THUNDER_CHECK(n >= 0, Runtime,
                           "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=",
                           shape_str(sizes));
           THUNDER_CHECK(std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) == total, Runtime,
                         "split_with_sizes expects split_sizes to sum exactly to ", total,
                         " (input tensor's size at dimension ", dim, "), but got split_sizes=", shape_str(sizes));
           return split_sizes(x, dim, sizes);
         }});

  r.add({.schema = "chunk(input, chunks, dim=0)",
         .print_name = "torch.chunk",
         .torch_names = {"torch.chunk", "torch.Tensor.chunk"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(x.rank() > 0, Runtime, "chunk expects at least a 1-dimensional tensor");
           int64_t chunks = a.int_(1);
           THUNDER_CHECK(chunks > 0, Runtime, "chunk expects `chunks` to be greater than 0, got: ", chunks);
           int64_t dim = wrap_dim(a.int_(2), x.rank());
           int64_t total = x.shape()[dim];
           // an empty dim gives `chunks` empty pieces
           if (total == 0) return split_sizes(x, dim, std::vector<int64_t>(chunks, 0));
           return split_sizes(x, dim, even_sizes(total, (total + chunks - 1) / chunks));
         }});

  r.add({.schema = "unbind(input, dim=0)",
         .print_name = "torch.unbind",
         .torch_names = {"torch.unbind", "torch.Tensor.unbind"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(x.rank() > 0, Index, "Dimension specified as 0 but tensor has no dimensions");
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           Shape s = x.shape();
           s.erase(s.begin() + dim);
           std::vector<Value> parts;
           for (int64_t i = 0; i < x.shape()[dim]; ++i) parts.push_back(reshape_to(slice_dim(x, dim, i, i + 1), s));
           return Value::sequence(std::move(parts));
         }});

  r.add({.schema = "narrow(input, dim, start, length)",
         .print_name = "torch.narrow",
         .torch_names = {"torch.narrow", "torch.Tensor.narrow"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(x.rank() > 0, Runtime, "narrow() cannot be applied to a 0-dim tensor.");
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           int64_t start = a.int_(2), length = a.int_(3), n = x.shape()[dim];
           THUNDER_CHECK(length >= 0, Runtime, "narrow(): length must be non-negative.");
           THUNDER_CHECK(start >= -n && start <= n, Index, "start out of range (expected to be in range of [", -n, ", ", n,
                         "], but got ", start, ")");
           if (start < 0) start += n;
           THUNDER_CHECK(start + length <= n, Runtime, "start (", start, ") + length (", length,
                         ") exceeds dimension size (", n, ").");
           return slice_dim(x, dim, start, start + length);
         }});

  r.add({.schema = "flip(input, dims)",
         .print_name = "torch.flip",
         .torch_names = {"torch.flip", "torch.Tensor.flip"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::vector<int64_t> dims;
           for (int64_t d : a.int_list(1, /*allow_single=*/true)) {
             int64_t w = wrap_dim(d, x.rank());
             THUNDER_CHECK(std::find(dims.begin(), dims.end(), w) == dims.end(), Runtime, "dim ", w,
                           " appears multiple times in the list of dims");
             dims.push_back(w);
           }
           std::sort(dims.begin(), dims.end());
           if (x.rank() == 0) dims.clear();
           return call("prims.flip", {x, int_list(dims)});
         }});

  // roll: the last `shift` elements move to the front, one dim at a time
  r.add({.schema = "roll(input, shifts, dims=None)",
         .print_name = "torch.roll",
         .torch_names = {"torch.roll", "torch.Tensor.roll"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::vector<int64_t> shifts = a.int_list(1, true);
           // dims=None (or empty) rolls the flattened tensor
           std::vector<int64_t> dims = a[2].is_none() ? std::vector<int64_t>{} : a.int_list(2, true);
           THUNDER_CHECK(!shifts.empty(), Runtime, "`shifts` required");
           if (dims.empty()) {
             THUNDER_CHECK(shifts.size() == 1, Runtime, "shifts and dimensions must align. shifts: ", shifts.size(),
                           ", dims:0");
             if (x.rank() == 0 || numel(x.shape()) == 0) return x;
             Value flat = reshape_to(x, {numel(x.shape())});
             return reshape_to(call("roll", {flat, int_list(shifts), int_list({0})}), x.shape());
           }
           THUNDER_CHECK(shifts.size() == dims.size(), Runtime, "shifts and dimensions must align. shifts: ",
                         shifts.size(), ", dims:", dims.size());
           Value y = x;
           for (size_t i = 0; i < dims.size(); ++i) {
             int64_t d = wrap_dim(dims[i], x.rank());
             if (x.rank() == 0) continue;
             int64_t n = x.shape()[d];
             if (n == 0) continue;
             int64_t s = ((shifts[i] % n) + n) % n;
             if (s == 0) continue;
             Value tail = slice_dim(y, d, n - s, n), head = slice_dim(y, d, 0, n - s);
             y = call("prims.cat", {Value::sequence({tail, head}, true), num(d)});
           }
           return y;
         }});

  r.add({.schema = "tril(input, diagonal=0)",
         .print_name = "torch.tril",
         .torch_names = {"torch.tril", "torch.Tensor.tril"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) { return triangle(a, true); }});
  r.add({.schema = "triu(input, diagonal=0)",
         .print_name = "torch.triu",
         .torch_names = {"torch.triu", "torch.Tensor.triu"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) { return triangle(a, false); }});

  r.add({.schema = "pad(input, pad, mode='constant', value=None)",
         .print_name = "torch.nn.functional.pad",
         .torch_names = {"torch.nn.functional.pad", "torch._C._nn.pad"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::vector<int64_t> pad = a.int_list(1);
           std::string mode = a.str(2);
           THUNDER_CHECK(mode == "constant" || mode == "reflect" || mode == "replicate" || mode == "circular",
                         NotImplemented, "Unrecognised padding mode ", mode);
           THUNDER_CHECK(mode == "constant", NotImplemented, "pad: mode='", mode, "' is not supported yet");
           THUNDER_CHECK(pad.size() % 2 == 0, Runtime, "Padding length must be divisible by 2");
           THUNDER_CHECK(static_cast<int64_t>(pad.size()) <= 2 * x.rank(), Runtime,
                         "Padding length should be less than or equal to two times the input dimension but got "
                         "padding length ",
                         pad.size(), " and input of dimension ", x.rank());
           Value value = a[3].is_none() ? num(0) : a[3];
           if (!value.is_number() || value.is_number_proxy() || value.python_number_type() == NumberType::Complex)
             a.type_error(3, "a real number");
           // torch lists the last dim's widths first
           std::vector<int64_t> widths(2 * x.rank(), 0);
           for (size_t i = 0; i < pad.size() / 2; ++i) {
             int64_t d = x.rank() - 1 - static_cast<int64_t>(i);
             widths[2 * d] = pad[2 * i];
             widths[2 * d + 1] = pad[2 * i + 1];
             int64_t n = x.shape()[d];
             THUNDER_CHECK(n + pad[2 * i] + pad[2 * i + 1] >= 0, Runtime, "The input size ", n,
                           ", plus negative padding ", pad[2 * i], " and ", pad[2 * i + 1],
                           " resulted in a negative output size, which is invalid. Check dimension ", d,
                           " of your input.");
           }
           // torch's constant_pad_nd converts the value strictly: -1 does not fill uint8
           return call("prims.pad", {x, fill_value(value, x.dtype(), /*strict_unsigned=*/true), int_list(widths)});
         }});

  // The diagonal of dims (dim1, dim2) goes last: move them to the end, crop the square the
  // diagonal lies in, flatten it and take every (n + 1)-th element.
  r.add({.schema = "diagonal(input, offset=0, dim1=0, dim2=1)",
         .print_name = "torch.diagonal",
         .torch_names = {"torch.diagonal", "torch.Tensor.diagonal"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           int64_t offset = a.int_(1);
           int64_t d1 = wrap_dim(a.int_(2), x.rank()), d2 = wrap_dim(a.int_(3), x.rank());
           THUNDER_CHECK(d1 != d2, Runtime, "diagonal dimensions cannot be identical ", a.int_(2), ", ", a.int_(3));
           std::vector<int64_t> perm;
           for (int64_t d = 0; d < x.rank(); ++d)
             if (d != d1 && d != d2) perm.push_back(d);
           perm.push_back(d1);
           perm.push_back(d2);
           Value y = permute(x, perm);
           int64_t r = x.rank(), rows = x.shape()[d1], cols = x.shape()[d2];
           int64_t row0 = offset < 0 ? std::min(-offset, rows) : 0, col0 = offset > 0 ? std::min(offset, cols) : 0;
           int64_t n = std::max<int64_t>(0, std::min(rows - row0, cols - col0));
           y = slice_dim(slice_dim(y, r - 2, row0, row0 + n), r - 1, col0, col0 + n);
           Shape batch(y.shape().begin(), y.shape().end() - 2), flat = batch;
           flat.push_back(n * n);
           y = reshape_to(y, flat);
           if (n > 0) y = slice_dim(y, r - 2, 0, n * n, n + 1);
           return y;
         }});
}

}  // namespace thunder::ops
