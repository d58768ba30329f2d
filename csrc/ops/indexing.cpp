// Indexing: the gather/scatter prims, prims.tensor (constant index tensors from Python lists), and
// the torch-level ops on them: index_select, gather, scatter, scatter_add, index_add, index_copy,
// take_along_dim and Tensor.__getitem__ (basic and advanced indexing).
#include <algorithm>
#include <functional>
#include <numeric>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

bool is_index_dtype(DType t) { return t == DType::Int64 || t == DType::Int32; }

// torch checks gather and scatter ranks as if zero-dim tensors had one dim
int64_t rank1(const Value& t) { return std::max<int64_t>(t.rank(), 1); }
int64_t size1(const Value& t, int64_t d) { return t.rank() ? t.shape()[d] : 1; }

// torch's rule for gather and scatter: index has input's rank and is no larger than `src` (for
// scatter) in every dim, and no larger than input apart from `dim`.
void check_index_shape(const Value& x, int64_t dim, const Value& index, const Value* src) {
  THUNDER_CHECK(rank1(index) == rank1(x), Runtime, "Index tensor must have the same number of dimensions as ",
                src ? "self" : "input", " tensor");
  if (src)
    THUNDER_CHECK(rank1(*src) == rank1(x), Runtime, "Index tensor must have the same number of dimensions as src tensor");
  std::vector<int64_t> is, xs, ss;
  for (int64_t d = 0; d < rank1(x); ++d) {
    is.push_back(size1(index, d));
    xs.push_back(size1(x, d));
    if (src) ss.push_back(size1(*src, d));
  }
  for (int64_t d = 0; d < rank1(x); ++d) {
    if (src)
      THUNDER_CHECK((d == dim || is[d] <= xs[d]) && is[d] <= ss[d], Runtime, "Expected index ", shape_str(is),
                    " to be no larger than self ", shape_str(xs), " apart from dimension ", dim,
                    " and to be no larger size than src ", shape_str(ss));
    else
      THUNDER_CHECK(d == dim || is[d] <= xs[d], Runtime, "Size does not match at dimension ", d, " expected index ",
                    shape_str(is), " to be no larger than self ", shape_str(xs), " apart from dimension ", dim);
  }
}

Value gather_meta(const Args& a) {
  const Value& x = a.tensor(0);
  int64_t dim = a.int_(1);
  const Value& index = a.tensor(2);
  THUNDER_ASSERT(dim >= 0 && dim < rank1(x) && is_index_dtype(index.dtype()), "prims.gather: bad dim or index dtype");
  check_index_shape(x, dim, index, nullptr);
  return new_tensor(index.shape(), x.dtype(), x.meta().device);
}

Value scatter_meta(const Args& a) {
  const Value& x = a.tensor(0);
  int64_t dim = a.int_(1);
  const Value& index = a.tensor(2);
  const Value& src = a.tensor_or_number(3);
  THUNDER_ASSERT(dim >= 0 && dim < rank1(x) && is_index_dtype(index.dtype()), "prims.scatter: bad dim or index dtype");
  if (src.is_tensor()) THUNDER_ASSERT(src.dtype() == x.dtype(), "prims.scatter: src and input dtypes differ");
  check_index_shape(x, dim, index, src.is_tensor() ? &src : nullptr);
  return new_tensor(x.shape(), x.dtype(), x.meta().device);
}

// A 1-D (or zero-dim) index along `dim`, made an int64 index of `shape` for gather and scatter:
// the index's values run along `dim`, repeated over the other dims.
Value spread_index(const Value& index, int64_t dim, const Shape& shape) {
  Value i = convert(index, DType::Int64);
  if (shape.empty()) return reshape_to(i, {});
  Shape s(shape.size(), 1);
  s[dim] = numel(index.shape());
  return broadcast_to(reshape_to(i, s), shape);
}

// index_add / index_copy: source has input's shape, except len(index) along dim.
void check_source(std::string_view op, const Value& x, int64_t dim, const Value& index, const Value& source) {
  int64_t n = numel(index.shape());
  auto sliced = [dim](const Value& t) {
    Shape s = t.shape();
    if (!s.empty()) s.erase(s.begin() + dim);
    return s;
  };
  if (op == "index_copy") {
    THUNDER_CHECK(index.rank() <= 1, Index, "index_copy_(): Index should have dimension 1 or 0 (got ", index.rank(), ")");
    THUNDER_CHECK(x.rank() == 0 || source.rank() == 0 || x.rank() == source.rank(), Index,
                  "index_copy_(): When source and destination are not scalars, their dimensionality must match. "
                  "Source dimensionality (", source.rank(), "), destination dimensionality (", x.rank(), ")");
    if (sliced(x) != sliced(source)) {
      auto words = [](const Shape& s) {
        std::string w;
        for (int64_t v : s) w += (w.empty() ? "" : " ") + std::to_string(v);
        return w;
      };
      throw UserError(ErrorKind::Runtime,
                      cat("index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                          "shape: ", words(sliced(x)), " at dimension ", dim, " and source slice shape: ",
                          words(sliced(source)), " at dimension 0."));
    }
    THUNDER_CHECK(size1(source, dim) == n, Index, "index_copy_(): Number of indices (", n,
                  ") should be equal to source.size(dim) (", size1(source, dim), ")");
    return;
  }
  THUNDER_CHECK(index.rank() <= 1, Index, "index_add_(): Index is supposed to be a vector, but got dim: ", index.rank(),
                " with type: ", dtype_c10_name(index.dtype()), " and size: ", shape_str(index.shape()));
  bool same = rank1(source) == rank1(x);
  for (int64_t d = 0; same && d < rank1(x); ++d) same = d == dim || size1(source, d) == size1(x, d);
  THUNDER_CHECK(same, Runtime, "source tensor shape must match self tensor shape, excluding the specified dimension. "
                "Got self.shape = ", shape_str(x.shape()), " source.shape = ", shape_str(source.shape()));
  THUNDER_CHECK(size1(source, dim) == n, Runtime, "index_add_(): Number of indices (", n,
                ") should be equal to source.size(dim): (", size1(source, dim), "), for dim: ", dim);
}

// ---- Tensor.__getitem__ --------------------------------------------------------------------------

[[noreturn]] void invalid_index(const Value& v) {
  throw UserError(ErrorKind::Index, cat("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                                        "Variables are valid indices (got ", type_name(v), ")"));
}

// torch (after NumPy) reads a list as a tuple of indices when it holds a tensor, a sequence, a
// slice, None or Ellipsis, and has fewer than 32 items; otherwise it is one index tensor.
bool list_is_tuple(const Value& v) {
  if (v.items().size() >= 32) return false;
  return std::any_of(v.items().begin(), v.items().end(), [](const Value& i) {
    return i.is_tensor() || i.is_sequence() || i.is_slice() || i.is_none() || i.is_ellipsis();
  });
}

bool is_bool_const(const Value& v) { return v.is_constant() && std::holds_alternative<bool>(v.constant_value()); }

bool all_bools(const Value& v) {
  if (v.is_sequence()) return std::all_of(v.items().begin(), v.items().end(), all_bools);
  return is_bool_const(v);
}

// The shape of a nested list of numbers; raises the index error for anything else.
Shape nested_shape(const Value& v) {
  if (!v.is_sequence()) {
    if (!v.is_int() && !is_bool_const(v)) invalid_index(v);
    return {};
  }
  Shape s{static_cast<int64_t>(v.items().size())};
  if (v.items().empty()) return s;
  Shape inner = nested_shape(v.items()[0]);
  for (const auto& item : v.items())
    THUNDER_CHECK(nested_shape(item) == inner, Value, "expected sequence of length ", inner.empty() ? 0 : inner[0],
                  " at dim 1 (got ", item.is_sequence() ? item.items().size() : 0, ")");
  s.insert(s.end(), inner.begin(), inner.end());
  return s;
}

// The shape of nested sequences of numbers (any Python numbers: prims.tensor serves torch.tensor too).
Shape data_shape(const Value& v) {
  if (!v.is_sequence()) return {};
  Shape s{static_cast<int64_t>(v.items().size())};
  if (v.items().empty()) return s;
  Shape inner = data_shape(v.items()[0]);
  s.insert(s.end(), inner.begin(), inner.end());
  return s;
}

// A constant index list with its values wrapped into [0, n). Out-of-range values raise torch's
// error where `check` (torch checks only when the result has elements), and become 0 otherwise.
Value wrap_list(const Value& v, int64_t ordinal, int64_t n, bool check) {
  if (v.is_sequence()) {
    std::vector<Value> items;
    for (const auto& i : v.items()) items.push_back(wrap_list(i, ordinal, n, check));
    return Value::sequence(std::move(items), true);
  }
  int64_t i = v.as_int();
  bool in_range = i >= -n && i < n;
  THUNDER_CHECK(in_range || !check, Index, "index ", i, " is out of bounds for dimension ", ordinal, " with size ", n);
  return num(!in_range ? 0 : i < 0 ? i + n : i);
}

// One advanced index of the tensor left by basic indexing: an index tensor, or a constant list
// (Python bools become [0] or []). A zero-dim integer tensor selects, as an int would: torch
// reads its value, so it neither broadcasts with the others nor counts for where they go.
struct Advanced {
  int64_t pos;  // the dim it indexes
  Value index;
  bool select = false;
};

// The index tensor of one advanced index, int64, with negative values wrapped.
Value index_tensor(const Advanced& a, int64_t n, const Device& dev) {
  if (!a.index.is_tensor()) return call("prims.tensor", {a.index, Value::constant(DType::Int64), Value::constant(dev)});
  using namespace pm;
  Value t = convert(a.index, DType::Int64);
  return where(call("prims.lt", {t, num(0)}), t + n, t);
}

// Advanced indexing after the basic part. The indexed dims go first and become one dim, read
// through one linear index (row-major over them) with prims.gather; the index tensors'
// broadcast shape `b` then replaces the indexed dims where they were adjacent, and goes first
// otherwise (torch's and NumPy's rule).
Value advanced_index(const Value& y, const std::vector<Advanced>& adv, const Shape& b) {
  const Device& dev = y.meta().device;
  if (adv.size() == 1) {
    // one index: gather along its dim, whose place its dims then take
    int64_t pos = adv[0].pos;
    Value index = index_tensor(adv[0], y.shape()[pos], dev);
    Shape gathered = y.shape();
    gathered[pos] = numel(b);
    Shape out(y.shape().begin(), y.shape().begin() + pos);
    out.insert(out.end(), b.begin(), b.end());
    out.insert(out.end(), y.shape().begin() + pos + 1, y.shape().end());
    return reshape_to(call("prims.gather", {y, num(pos), spread_index(index, pos, gathered)}), out);
  }
  std::vector<int64_t> perm, rest;
  for (const auto& a : adv) perm.push_back(a.pos);
  for (int64_t d = 0; d < y.rank(); ++d)
    if (std::find(perm.begin(), perm.end(), d) == perm.end()) rest.push_back(d);
  perm.insert(perm.end(), rest.begin(), rest.end());
  int64_t count = 1;
  for (const auto& a : adv) count *= y.shape()[a.pos];
  Shape rest_shape, flat{count};
  for (int64_t d : rest) rest_shape.push_back(y.shape()[d]);
  flat.insert(flat.end(), rest_shape.begin(), rest_shape.end());
  Value z = reshape_to(permute(y, perm), flat);

  using namespace pm;
  Value linear;
  int64_t stride = 1;
  for (size_t j = adv.size(); j-- > 0;) {
    int64_t n = y.shape()[adv[j].pos];
    Value term = broadcast_to(index_tensor(adv[j], n, dev), b);
    if (stride != 1) term = term * stride;
    linear = linear ? term + linear : term;
    stride *= n;
  }
  int64_t n = numel(b);
  Shape gathered = flat;
  gathered[0] = n;
  Shape column(flat.size(), 1);
  column[0] = n;
  Value index = broadcast_to(reshape_to(linear, column), gathered);
  Shape out = b;
  out.insert(out.end(), rest_shape.begin(), rest_shape.end());
  Value g = reshape_to(call("prims.gather", {z, num(0), index}), out);

  // where the broadcast dims go: selects have left, so positions count the dims before them
  std::vector<int64_t> placed;
  for (const auto& a : adv) {
    if (a.select) continue;
    int64_t before = 0;
    for (int64_t d : rest) before += d < a.pos;
    placed.push_back(before);
  }
  bool adjacent = std::adjacent_find(placed.begin(), placed.end(), std::not_equal_to<>()) == placed.end();
  if (placed.empty() || !adjacent || placed[0] == 0) return g;
  int64_t before = placed[0], nb = static_cast<int64_t>(b.size());
  std::vector<int64_t> back;
  for (int64_t d = 0; d < before; ++d) back.push_back(nb + d);
  for (int64_t d = 0; d < nb; ++d) back.push_back(d);
  for (int64_t d = nb + before; d < static_cast<int64_t>(out.size()); ++d) back.push_back(d);
  return permute(g, back);
}

Value getitem(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& index = a[1];
  std::vector<Value> items;
  if (index.is_sequence() && (!index.is_list() || list_is_tuple(index))) items = index.items();
  else items.push_back(index);

  // dims the index consumes: every item but None, Ellipsis and Python bools
  int64_t specified = 0;
  for (const auto& it : items) {
    if (it.is_none() || it.is_ellipsis() || is_bool_const(it)) continue;
    if (it.is_tensor() && !is_index_dtype(it.dtype())) {
      bool mask = it.dtype() == DType::Bool || it.dtype() == DType::UInt8;
      THUNDER_CHECK(!mask, NotImplemented,
                    "__getitem__: indexing with a bool or uint8 mask tensor gives a shape that depends on the mask's "
                    "values, which tracing does not know; use torch.where or masked_fill instead");
      throw UserError(ErrorKind::Index, "tensors used as indices must be long, int, byte or bool tensors");
    }
    ++specified;
  }
  bool int_item = std::any_of(items.begin(), items.end(), [](const Value& v) { return v.is_int(); });
  THUNDER_CHECK(x.rank() > 0 || !int_item, Index,
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                "convert a 0-dim tensor to a number");
  THUNDER_CHECK(specified <= x.rank(), Index, "too many indices for tensor of dimension ", x.rank());

  // the basic part: one slice of x, then a reshape that drops integer-indexed dims and adds None's
  std::vector<int64_t> starts(x.rank(), 0), ends = x.shape(), steps(x.rank(), 1);
  Shape shape;  // the result of the basic part
  std::vector<Advanced> adv;
  std::optional<bool> lone_bool;  // the value of a Python bool index
  int64_t d = 0;
  auto need_dim = [&] { THUNDER_CHECK(d < x.rank(), Index, "too many indices for tensor of dimension ", x.rank()); };
  auto here = [&] { return static_cast<int64_t>(shape.size()) - 1; };
  for (const auto& it : items) {
    if (it.is_none()) {
      shape.push_back(1);
    } else if (it.is_ellipsis()) {
      // as in torch, every Ellipsis spans the dims the index does not name
      for (int64_t k = 0; k < x.rank() - specified && d < x.rank(); ++k, ++d) shape.push_back(x.shape()[d]);
    } else if (is_bool_const(it)) {
      // torch adds a dim of size 1 and indexes it with [0] (True) or [] (False)
      shape.push_back(1);
      adv.push_back({here(), it.as_bool() ? Value::sequence({num(0)}, true) : Value::sequence({}, true)});
      lone_bool = it.as_bool();
    } else if (it.is_int()) {
      need_dim();
      int64_t n = x.shape()[d], i = it.as_int();
      THUNDER_CHECK(i >= -n && i < n, Index, "index ", i, " is out of bounds for dimension ", d, " with size ", n);
      starts[d] = i < 0 ? i + n : i;
      ends[d] = starts[d] + 1;
      ++d;
    } else if (it.is_slice()) {
      need_dim();
      const Slice& s = std::get<Slice>(it.constant_value());
      int64_t step = s.step.value_or(1), n = x.shape()[d];
      THUNDER_CHECK(step != 0, Value, "slice step cannot be zero");
      THUNDER_CHECK(step > 0, Value, "step must be greater than zero");
      auto clamp = [n](std::optional<int64_t> v, int64_t dflt) {
        if (!v) return dflt;
        return std::clamp<int64_t>(*v < 0 ? *v + n : *v, 0, n);
      };
      starts[d] = clamp(s.start, 0);
      ends[d] = std::max(starts[d], clamp(s.stop, n));
      steps[d] = step;
      shape.push_back((ends[d] - starts[d] + step - 1) / step);
      ++d;
    } else if (it.is_tensor() || it.is_sequence()) {
      need_dim();
      Value idx = it;
      if (it.is_sequence()) {
        nested_shape(it);
        if (all_bools(it) && !it.items().empty()) {
          // a constant mask: its true positions
          THUNDER_CHECK(static_cast<int64_t>(it.items().size()) == x.shape()[d] && !it.items()[0].is_sequence(),
                        Index, "The shape of the mask ", shape_str(nested_shape(it)), " at index ", d,
                        " does not match the shape of the indexed tensor ", shape_str(x.shape()), " at index ", d);
          std::vector<Value> pos;
          for (int64_t i = 0; i < x.shape()[d]; ++i)
            if (it.items()[i].as_bool()) pos.push_back(num(i));
          idx = Value::sequence(std::move(pos), true);
        }
      }
      shape.push_back(x.shape()[d]);
      adv.push_back({here(), idx, it.is_tensor() && it.rank() == 0});
      ++d;
    } else {
      invalid_index(it);
    }
  }
  for (; d < x.rank(); ++d) shape.push_back(x.shape()[d]);
  Value y = x;
  if (starts != std::vector<int64_t>(x.rank(), 0) || ends != x.shape() || steps != std::vector<int64_t>(x.rank(), 1))
    y = call("prims.slice", {x, int_list(starts), int_list(ends), int_list(steps)});
  y = reshape_to(y, shape);
  if (adv.empty()) return y;
  // a lone Python bool only sizes its new dim: 1 for True, 0 for False
  if (adv.size() == 1 && lone_bool) return *lone_bool ? y : slice_dim(y, adv[0].pos, 0, 0);

  // the index tensors broadcast together (selects are scalars)
  Shape b;
  std::vector<Shape> shapes;
  for (const auto& ad : adv) shapes.push_back(ad.index.is_tensor() ? ad.index.shape() : nested_shape(ad.index));
  try {
    for (const auto& s : shapes) b = broadcast_shapes(b, s);
  } catch (const UserError&) {
    std::string list;
    for (const auto& s : shapes) list += (list.empty() ? "" : ", ") + shape_str(s);
    throw UserError(ErrorKind::Index, cat("shape mismatch: indexing tensors could not be broadcast together with shapes ",
                                          list));
  }
  // torch checks constant indices only where the result has elements
  int64_t out_numel = numel(b);
  for (int64_t k = 0; k < y.rank(); ++k)
    if (std::none_of(adv.begin(), adv.end(), [k](const Advanced& ad) { return ad.pos == k; })) out_numel *= shape[k];
  for (size_t j = 0; j < adv.size(); ++j)
    if (!adv[j].index.is_tensor())
      adv[j].index = wrap_list(adv[j].index, static_cast<int64_t>(j), shape[adv[j].pos], out_numel > 0);
  return advanced_index(y, adv, b);
}

}  // namespace

// x[index] = value, as a function: the updated copy of x. A boolean mask of x's shape with a scalar
// value is a where; everything else runs as one opaque call (clone, then torch's own setitem) whose
// meta rule checks value against the indexed region that x[index] would read.
Value setitem(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& index = a[1];
  const Value& value = a.tensor_or_number(2);
  if (index.is_tensor() && index.dtype() == DType::Bool && index.shape() == x.shape() &&
      (value.is_number() || value.rank() == 0)) {
    Device dev = common_device_with_cpu_scalars("setitem", {x, index, value});
    Value v = value.is_number() ? value : convert(to_device(value, dev), x.dtype());
    if (v.is_tensor()) v = broadcast_to(v, x.shape());
    return call("prims.where", {index, v, x});
  }
  Shape region;
  {
    TraceBuilder scratch;  // only the shape of x[index]: nothing of it is recorded
    TraceBuilder::Scope scope(scratch);
    region = call("__getitem__", {x, index}).shape();
  }
  if (value.is_tensor()) {
    Shape s = value.shape();
    bool ok = true;
    try {
      ok = broadcast_shapes(s, region) == region;
    } catch (const UserError&) {
      ok = false;
    }
    THUNDER_CHECK(ok, Runtime, "shape mismatch: value tensor of shape ", shape_str(s),
                  " cannot be broadcast to indexing result of shape ", shape_str(region));
    common_device_with_cpu_scalars("setitem", {x, value});
  }
  return call("prims.setitem", {x, index, value});
}

void register_indexing(Registry& r) {
  r.add({.schema = "prims.setitem(a, index, value)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, index, value: (lambda b: (b.__setitem__(index, value), b)[1])(a.clone())",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           return new_tensor(t.shape(), t.dtype(), t.meta().device);
         },
         // the input keeps the cotangent where it was not overwritten; the value gets what it
         // wrote, summed over its broadcast
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           Value ga = call("prims.setitem", {g, a[1], fill_value(num(0), g.dtype())});
           const Value& v = a[2];
           if (!v.is_tensor() || !is_inexact(v.dtype())) return {ga};
           Value gv = sum_to_shape(call("__getitem__", {g, a[1]}), v.shape());
           return {ga, Value(), convert(gv, v.dtype())};
         }});
  // `x[index] = value`; the frontend writes the result back into x (an in-place update)
  r.add({.schema = "setitem(input, index, value)",
         .print_name = "prims.setitem",
         .inplace_names = {"torch.Tensor.__setitem__"},
         .fusion = FusionClass::Opaque,
         .impl = setitem});

  // gather's cotangent adds back into the places it read; scatter's source reads the cotangent
  // where it wrote, and the overwritten places of the input get none
  r.add({.schema = "prims.gather(a, dim, index)",
         .aten = "torch.gather",
         .impl = gather_meta,
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {gather_vjp(a[0], a.int_(1), a[2], g), Value(), Value()};
         }});
  r.add({.schema = "prims.scatter(a, dim, index, src)",
         .aten = "torch.scatter",
         .impl = scatter_meta,
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           Value src = a[3];
           Value ga = call("prims.scatter", {g, a[1], a[2], src.is_tensor() ? zeros_like(src) : fill_value(num(0), g.dtype())});
           return {ga, Value(), Value(), src.is_tensor() ? call("prims.gather", {g, a[1], a[2]}) : Value()};
         }});
  r.add({.schema = "prims.scatter_add(a, dim, index, src)",
         .aten = "torch.scatter_add",
         .impl = [](const Args& a) {
           a.tensor(3);
           return scatter_meta(a);
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {g, Value(), Value(), call("prims.gather", {g, a[1], a[2]})};
         }});
  // a constant tensor from a nested list of ints, such as the list in x[[0, 2]]
  r.add({.schema = "prims.tensor(data, dtype, device)",
         .aten = "lambda data, dtype, device: torch.tensor(data, dtype=dtype, device=device)",
         .impl = [](const Args& a) {
           const Value& dev = a[2];
           THUNDER_ASSERT(dev.is_constant() && std::holds_alternative<Device>(dev.constant_value()),
                          "prims.tensor: expected a device");
           return new_tensor(data_shape(a[0]), *a.opt_dtype(1), std::get<Device>(dev.constant_value()));
         }});

  r.add({.schema = "__getitem__(input, index)",
         .print_name = "torch.Tensor.__getitem__",
         .torch_names = {"torch.Tensor.__getitem__"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = getitem});

  r.add({.schema = "gather(input, dim, index, *, sparse_grad=False)",
         .print_name = "torch.gather",
         .torch_names = {"torch.gather", "torch.Tensor.gather"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& index = a.tensor(2);
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           THUNDER_CHECK(is_index_dtype(index.dtype()), Runtime, "gather(): Expected dtype int32/int64 for index");
           THUNDER_CHECK(!a.bool_(3), NotImplemented, "gather: sparse_grad=True is not supported");
           common_device("gather", {x, index});
           check_index_shape(x, dim, index, nullptr);
           return call("prims.gather", {x, num(dim), index});
         }});

  r.add({.schema = "take_along_dim(input, indices, dim=None)",
         .print_name = "torch.take_along_dim",
         .torch_names = {"torch.take_along_dim", "torch.Tensor.take_along_dim"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& index = a.tensor(1);
           THUNDER_CHECK(index.dtype() == DType::Int64, Runtime,
                         "torch.take_along_dim(): dtype of indices should be Long but got ", dtype_c10_name(index.dtype()));
           common_device("take_along_dim", {x, index});
           if (a[2].is_none())
             return call("prims.gather", {reshape_to(x, {numel(x.shape())}), num(0),
                                          reshape_to(index, {numel(index.shape())})});
           THUNDER_CHECK(x.rank() > 0, Index, "Dimension specified as 0 but tensor has no dimensions");
           int64_t dim = wrap_dim(a.int_(2), x.rank());
           THUNDER_CHECK(x.rank() == index.rank(), Runtime,
                         "torch.take_along_dim(): input and indices should have the same number of dimensions, but got ",
                         x.rank(), " dimensions for input, and ", index.rank(), " dimensions for indices");
           // both broadcast, except along dim
           Shape xs = x.shape();
           xs[dim] = index.shape()[dim];
           Shape is = broadcast_shapes(xs, index.shape());
           xs = is;
           xs[dim] = x.shape()[dim];
           return call("prims.gather", {broadcast_to(x, xs), num(dim), broadcast_to(index, is)});
         }});

  r.add({.schema = "index_select(input, dim, index)",
         .print_name = "torch.index_select",
         .torch_names = {"torch.index_select", "torch.Tensor.index_select"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& index = a.tensor(2);
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           THUNDER_CHECK(index.rank() <= 1, Index, "index_select(): Index is supposed to be a vector");
           THUNDER_CHECK(is_index_dtype(index.dtype()), Runtime, "index_select(): Expected dtype int32 or int64 for index");
           common_device("index_select", {x, index});
           int64_t n = numel(index.shape());
           THUNDER_CHECK(x.rank() > 0 || n == 1, Runtime, "index_select(): Index to scalar can have only 1 value, got ", n,
                         " value(s)");
           Shape s = x.shape();
           if (x.rank()) s[dim] = n;
           return call("prims.gather", {x, num(dim), spread_index(index, dim, s)});
         }});

  // scatter writes src (a tensor, or a number given as src or value) at index along dim
  r.add({.schema = "scatter(input, dim, index, src=None, *, value=None)",
         .print_name = "torch.scatter",
         .torch_names = {"torch.scatter", "torch.Tensor.scatter"},
         .inplace_names = {"torch.Tensor.scatter_"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& index = a.tensor(2);
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           THUNDER_CHECK(a[3].is_none() != a[4].is_none(), Type, "scatter: expected exactly one of 'src' and 'value'");
           Value src = a[3].is_none() ? a[4] : a[3];
           if (!src.is_tensor() && (!src.is_number() || src.is_number_proxy()))
             a.type_error(a[3].is_none() ? 4 : 3, "a tensor or a number");
           THUNDER_CHECK(is_index_dtype(index.dtype()), Runtime, "scatter(): Expected dtype int32/int64 for index");
           if (src.is_tensor()) {
             THUNDER_CHECK(src.dtype() == x.dtype(), Runtime, "scatter(): Expected self.dtype to be equal to src.dtype");
             common_device("scatter", {x, index, src});
           } else {
             common_device("scatter", {x, index});
             src = fill_value(src, x.dtype());
           }
           check_index_shape(x, dim, index, src.is_tensor() ? &src : nullptr);
           return call("prims.scatter", {x, num(dim), index, src});
         }});

  r.add({.schema = "scatter_add(input, dim, index, src)",
         .print_name = "torch.scatter_add",
         .torch_names = {"torch.scatter_add", "torch.Tensor.scatter_add"},
         .inplace_names = {"torch.Tensor.scatter_add_"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& index = a.tensor(2);
           const Value& src = a.tensor(3);
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           THUNDER_CHECK(is_index_dtype(index.dtype()), Runtime, "scatter(): Expected dtype int32/int64 for index");
           THUNDER_CHECK(src.dtype() == x.dtype(), Runtime, "scatter(): Expected self.dtype to be equal to src.dtype");
           common_device("scatter_add", {x, index, src});
           check_index_shape(x, dim, index, &src);
           return call("prims.scatter_add", {x, num(dim), index, src});
         }});

  // index_add and index_copy scatter whole slices: the 1-D index spreads over source's shape
  r.add({.schema = "index_add(input, dim, index, source, *, alpha=1)",
         .print_name = "torch.index_add",
         .torch_names = {"torch.index_add", "torch.Tensor.index_add"},
         .inplace_names = {"torch.Tensor.index_add_"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& index = a.tensor(2);
           const Value& source = a.tensor(3);
           const Value& alpha = a[4];
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           THUNDER_CHECK(is_index_dtype(index.dtype()), Runtime, "index_add_(): Expected dtype int32/int64 for index but got: ",
                         dtype_c10_name(index.dtype()));
           THUNDER_CHECK(source.dtype() == x.dtype(), Runtime, "index_add_(): self (", dtype_c10_name(x.dtype()), ") and source (",
                         dtype_c10_name(source.dtype()), ") must have the same scalar type");
           if (!alpha.is_number() || alpha.is_number_proxy()) a.type_error(4, "a number");
           THUNDER_CHECK(is_inexact(x.dtype()) || alpha.python_number_type() <= NumberType::Int, Runtime,
                         "For integral input tensors, argument alpha must not be a floating point number.");
           common_device("index_add", {x, index, source});
           check_source("index_add", x, dim, index, source);
           Value src = source;
           bool one = alpha.is_int() ? alpha.as_int() == 1 : alpha.as_double() == 1.0;
           if (!one) src = is_bool(x.dtype()) ? src : call("prims.mul", {src, fill_value(alpha, x.dtype())});
           return call("prims.scatter_add", {x, num(dim), spread_index(index, dim, source.shape()), src});
         }});

  r.add({.schema = "index_copy(input, dim, index, source)",
         .print_name = "torch.index_copy",
         .torch_names = {"torch.index_copy", "torch.Tensor.index_copy"},
         .inplace_names = {"torch.Tensor.index_copy_"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& index = a.tensor(2);
           const Value& source = a.tensor(3);
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           THUNDER_CHECK(index.dtype() == DType::Int64, Runtime, "index_copy_(): Expected a long tensor for index, but got ",
                         dtype_c10_name(index.dtype()));
           THUNDER_CHECK(source.dtype() == x.dtype(), Runtime,
                         "index_copy_(): self and source expected to have the same dtype, but got (self) ",
                         dtype_c10_name(x.dtype()), " and (source) ", dtype_c10_name(source.dtype()));
           common_device("index_copy", {x, index, source});
           check_source("index_copy", x, dim, index, source);
           return call("prims.scatter", {x, num(dim), spread_index(index, dim, source.shape()), source});
         }});

  // index_fill sets whole slices along dim to a number or a zero-dim tensor
  r.add({.schema = "index_fill(input, dim, index, value)",
         .print_name = "torch.index_fill",
         .torch_names = {"torch.index_fill", "torch.Tensor.index_fill"},
         .inplace_names = {"torch.Tensor.index_fill_"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& index = a.tensor(2);
           const Value& value = a.tensor_or_number(3);
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           THUNDER_CHECK(index.dtype() == DType::Int64, Runtime, "index_fill_(): Expected dtype int64 for index.");
           THUNDER_CHECK(index.rank() <= 1, Index, "index_fill_(): Index is supposed to be a vector");
           Shape s = x.shape();
           if (x.rank()) s[dim] = numel(index.shape());
           Value src;
           if (value.is_number()) {
             src = fill_value(value, x.dtype());
           } else {
             THUNDER_CHECK(value.rank() == 0, Runtime,
                           "index_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
                           value.rank(), " dimension(s).");
             src = broadcast_to(convert(to_device(value, x.meta().device), x.dtype()), s);
           }
           common_device("index_fill", {x, index});
           return call("prims.scatter", {x, num(dim), spread_index(index, dim, s), src});
         },
         // torch's rule: the filled slices get no gradient, and the value gets the sum over them,
         // each slice once however often the index names it (a scatter's gather would repeat it)
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           const Value& x = a[0];
           const Value& index = a[2];
           const Value& value = a[3];
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           Shape s = x.shape();
           if (x.rank()) s[dim] = numel(index.shape());
           Value filled = call("prims.scatter", {zeros_like(g), num(dim), spread_index(index, dim, s),
                                                 fill_value(num(1), g.dtype())});
           Value mask = pm::ne(filled, num(0));
           Value gv;
           if (value.is_tensor() && is_inexact(value.dtype())) {
             std::vector<int64_t> all(static_cast<size_t>(x.rank()));
             for (int64_t i = 0; i < x.rank(); ++i) all[static_cast<size_t>(i)] = i;
             gv = convert(reduce("prims.sum", pm::where(mask, g, zeros_like(g)), all, false), value.dtype());
           }
           return {pm::where(mask, zeros_like(g), g), Value(), Value(), gv};
         }});

  // index_put writes values at a tuple of index tensors, as x[indices] = values does
  r.add({.schema = "index_put(input, indices, values, accumulate=False)",
         .print_name = "torch.index_put",
         .torch_names = {"torch.index_put", "torch.Tensor.index_put"},
         .inplace_names = {"torch.Tensor.index_put_", "torch.index_put_"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::vector<Value> indices = a.tensor_list(1);
           THUNDER_CHECK(!a.bool_(3), NotImplemented,
                         "index_put: accumulate=True is not supported yet; use index_add or scatter_add");
           return call("setitem", {x, Value::sequence(indices), a.tensor_or_number(2)});
         }});
}

}  // namespace thunder::ops
