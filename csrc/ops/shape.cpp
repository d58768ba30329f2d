// Shape ops: the movement prims (reshape, permute, expand, cat, slice, pad, flip, and iota, which
// makes the index tensors masks are built from) and the torch-level views built on them.
// Slicing ops (split, narrow, roll, tril, pad, ...) are in shape_slicing.cpp.
#include <algorithm>
#include <numeric>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

// Resolves a requested shape with at most one -1 against the input's element count.
Shape infer_shape(const std::vector<int64_t>& req, int64_t n) {
  Shape out(req.begin(), req.end());
  int64_t known = 1;
  std::optional<size_t> infer;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      THUNDER_CHECK(!infer, Runtime, "only one dimension can be inferred");
      infer = i;
    } else {
      THUNDER_CHECK(out[i] >= 0, Runtime, "invalid shape dimension ", out[i]);
      known *= out[i];
    }
  }
  if (infer) {
    THUNDER_CHECK(known != 0 && n % known == 0, Runtime, "shape '", shape_str(req), "' is invalid for input of size ", n);
    out[*infer] = n / known;
  }
  THUNDER_CHECK(numel(out) == n, Runtime, "shape '", shape_str(req), "' is invalid for input of size ", n);
  return out;
}

Value reshape_impl(const Args& a) {
  const Value& x = a.tensor(0);
  return reshape_to(x, infer_shape(a.int_list(1), numel(x.shape())));
}

Value permute_meta(const Args& a) {
  const Value& t = a.tensor(0);
  std::vector<int64_t> dims = a.int_list(1);
  THUNDER_ASSERT(static_cast<int64_t>(dims.size()) == t.rank(), "prims.permute: wrong number of dims");
  Shape out;
  std::vector<bool> seen(dims.size());
  for (int64_t d : dims) {
    THUNDER_ASSERT(d >= 0 && d < t.rank() && !seen[d], "prims.permute: dims are not a permutation");
    seen[d] = true;
    out.push_back(t.shape()[d]);
  }
  return new_tensor(out, t.dtype(), t.meta().device);
}

// torch.Tensor.expand's rule: new dims go on the left; existing dims keep their size or grow from 1.
Shape expand_shape(const Shape& in, const std::vector<int64_t>& req) {
  THUNDER_CHECK(req.size() >= in.size(), Runtime, "expand: the number of sizes provided (", req.size(),
                ") must be greater or equal to the number of dimensions in the tensor (", in.size(), ")");
  size_t lead = req.size() - in.size();
  Shape out(req.begin(), req.end());
  for (size_t i = 0; i < req.size(); ++i) {
    if (i < lead) {
      THUNDER_CHECK(req[i] >= 0, Runtime, "The expanded size of the tensor (", req[i],
                    ") isn't allowed in a leading, non-existing dimension ", i);
      continue;
    }
    int64_t have = in[i - lead];
    if (req[i] == -1) out[i] = have;
    else
      THUNDER_CHECK(have == req[i] || have == 1, Runtime, "The expanded size of the tensor (", req[i],
                    ") must match the existing size (", have, ") at non-singleton dimension ", i,
                    ".  Target sizes: ", shape_str(req), ".  Tensor sizes: ", shape_str(in));
  }
  return out;
}

Value slice_meta(const Args& a) {
  const Value& t = a.tensor(0);
  std::vector<int64_t> start = a.int_list(1), end = a.int_list(2), step = a.int_list(3);
  THUNDER_ASSERT(static_cast<int64_t>(start.size()) == t.rank() && start.size() == end.size() &&
                     start.size() == step.size(),
                 "prims.slice: expected one start, end and step per dim");
  Shape out;
  for (int64_t d = 0; d < t.rank(); ++d) {
    THUNDER_ASSERT(0 <= start[d] && start[d] <= end[d] && end[d] <= t.shape()[d] && step[d] > 0,
                   "prims.slice: bad bounds for dim ", d);
    out.push_back((end[d] - start[d] + step[d] - 1) / step[d]);
  }
  return new_tensor(out, t.dtype(), t.meta().device);
}

// movedim's rule: the listed dims go to their destinations, the others keep their order.
std::vector<int64_t> movedim_perm(const Value& x, std::vector<int64_t> src, std::vector<int64_t> dst) {
  auto list = [](const std::vector<int64_t>& v) {
    std::string s;
    for (int64_t d : v) s += (s.empty() ? "" : ", ") + std::to_string(d);
    return "[" + s + "]";
  };
  THUNDER_CHECK(src.size() == dst.size(), Runtime, "movedim: Invalid source or destination dims: source (", list(src),
                " dims) should contain the same number of dims as destination (", list(dst), " dims)");
  int64_t n = x.rank();
  std::vector<int64_t> perm(n, -1);
  std::vector<bool> src_used(n), dst_used(n);
  for (size_t i = 0; i < src.size(); ++i) {
    int64_t s = wrap_dim(src[i], n), d = wrap_dim(dst[i], n);
    if (!n) continue;
    THUNDER_CHECK(!src_used[s], Runtime, "movedim: repeated dim in `source` (", list(src), ")");
    THUNDER_CHECK(!dst_used[d], Runtime, "movedim: repeated dim in `destination` (", list(dst), ")");
    src_used[s] = dst_used[d] = true;
    perm[d] = s;
  }
  int64_t next = 0;
  for (int64_t d = 0; d < n; ++d) {
    if (perm[d] != -1) continue;
    while (src_used[next]) ++next;
    perm[d] = next++;
  }
  return perm;
}

}  // namespace

Value reshape_to(const Value& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return call("prims.reshape", {x, int_list(shape)});
}

Value permute(const Value& x, const std::vector<int64_t>& perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int64_t>(i);
  if (identity) return x;
  return call("prims.permute", {x, int_list(perm)});
}

Value slice_dim(const Value& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start == 0 && end == x.shape()[dim] && step == 1) return x;
  std::vector<int64_t> starts(x.rank(), 0), ends = x.shape(), steps(x.rank(), 1);
  starts[dim] = start, ends[dim] = end, steps[dim] = step;
  return call("prims.slice", {x, int_list(starts), int_list(ends), int_list(steps)});
}

Value iota(int64_t length, int64_t start, int64_t step, DType dtype, const Device& device) {
  return call("prims.iota", {num(length), num(start), num(step), Value::constant(dtype), Value::constant(device)});
}

void register_shape(Registry& r) {
  // A value has no layout in a trace: contiguous() names the same values, and the ATen executor
  // makes them contiguous as torch does.
  r.add({.schema = "contiguous(input, memory_format='torch.contiguous_format')",
         .print_name = "torch.Tensor.contiguous",
         .torch_names = {"torch.Tensor.contiguous"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) {
           std::string format = a.str(1);
           THUNDER_CHECK(format == "torch.contiguous_format" || format == "torch.preserve_format", NotImplemented,
                         "contiguous: memory_format=", format, " is not supported yet");
           return a.tensor(0);
         }});

  // clone is a copy of the values in new memory: the result must not alias the input (a caller
  // may update one in place), so it is a prim of its own rather than an alias
  r.add({.schema = "prims.clone(a)",
         .fusion = FusionClass::Elementwise,
         .aten = "torch.clone",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           return new_tensor(t.shape(), t.dtype(), t.meta().device);
         }});
  r.add({.schema = "clone(input, *, memory_format='torch.preserve_format')",
         .print_name = "torch.clone",
         .torch_names = {"torch.clone", "torch.Tensor.clone"},
         .fusion = FusionClass::Elementwise,
         // a value has no layout in a trace (as for contiguous): the memory format is not printed
         .print = [](const std::vector<Value>& v) { return "torch.clone(" + python_repr(v[0]) + ")"; },
         .impl = [](const Args& a) {
           std::string format = a.str(1);
           THUNDER_CHECK(format == "torch.contiguous_format" || format == "torch.preserve_format", NotImplemented,
                         "clone: memory_format=", format, " is not supported yet");
           return call("prims.clone", {a.tensor(0)});
         }});

  r.add({.schema = "prims.reshape(a, shape)",
         .fusion = FusionClass::Shape,
         .aten = "torch.reshape",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           Shape s = a.int_list(1);
           THUNDER_ASSERT(numel(s) == numel(t.shape()) && std::all_of(s.begin(), s.end(), [](int64_t d) { return d >= 0; }),
                          "prims.reshape: ", shape_str(t.shape()), " cannot become ", shape_str(s));
           return new_tensor(s, t.dtype(), t.meta().device);
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {call("prims.reshape", {g, int_list(a[0].shape())})};
         }});
  r.add({.schema = "prims.permute(a, dims)",
         .fusion = FusionClass::Shape,
         .aten = "torch.permute",
         .impl = permute_meta,
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           std::vector<int64_t> perm = a.int_list(1), inverse(perm.size());
           for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
           return {call("prims.permute", {g, int_list(inverse)})};
         }});
  r.add({.schema = "prims.expand(a, shape)",
         .fusion = FusionClass::Shape,
         .aten = "torch.Tensor.expand",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           Shape s = a.int_list(1);
           THUNDER_ASSERT(expand_shape(t.shape(), s) == s, "prims.expand: bad target shape");
           return new_tensor(s, t.dtype(), t.meta().device);
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {sum_to_shape(g, a[0].shape())};
         }});
  r.add({.schema = "prims.cat(tensors, dim)",
         .fusion = FusionClass::Shape,
         // pieces lying side by side in one buffer are that buffer (runtime/aten_forms.py)
         .aten = "__import__('thunder.runtime.aten_forms', fromlist=['cat']).cat",
         .impl = [](const Args& a) {
           std::vector<Value> ts = a.tensor_list(0);
           int64_t dim = a.int_(1);
           THUNDER_ASSERT(!ts.empty(), "prims.cat: no tensors");
           Shape out = ts[0].shape();
           THUNDER_ASSERT(dim >= 0 && dim < ts[0].rank(), "prims.cat: bad dim");
           for (size_t i = 1; i < ts.size(); ++i) {
             THUNDER_ASSERT(ts[i].dtype() == ts[0].dtype() && ts[i].rank() == ts[0].rank(), "prims.cat: operands disagree");
             out[dim] += ts[i].shape()[dim];
           }
           return new_tensor(out, ts[0].dtype(), ts[0].meta().device);
         },
         // each operand's slice of the cotangent
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           int64_t dim = a.int_(1), start = 0;
           std::vector<Value> gs;
           for (const auto& t : a[0].items()) {
             int64_t n = t.shape()[dim];
             gs.push_back(slice_dim(g, dim, start, start + n));
             start += n;
           }
           return {Value::sequence(gs), Value()};
         }});
  // a strided window of every dim: [start, end) by step, in range, step > 0
  r.add({.schema = "prims.slice(a, start_indices, end_indices, strides)",
         .fusion = FusionClass::Shape,
         // a window of one dim is narrow (runtime/aten_forms.py)
         .aten = "__import__('thunder.runtime.aten_forms', fromlist=['slice']).slice",
         .impl = slice_meta,
         // the cotangent spread back over the window: each strided dim interleaves step - 1 zeros
         // (a new trailing dim padded to the step, then merged), then every dim pads to the input
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           const Value& x = a[0];
           std::vector<int64_t> start = a.int_list(1), step = a.int_list(3);
           Value y = g;
           std::vector<int64_t> widths;
           for (int64_t d = 0; d < x.rank(); ++d) {
             int64_t n = y.shape()[d];
             if (step[d] > 1 && n > 0) {
               Shape wide = y.shape();
               wide.insert(wide.begin() + d + 1, 1);
               y = call("prims.reshape", {y, int_list(wide)});
               std::vector<int64_t> pad(2 * y.rank(), 0);
               pad[2 * (d + 1) + 1] = step[d] - 1;
               y = call("prims.pad", {y, fill_value(num(0), y.dtype()), int_list(pad)});
               Shape merged = y.shape();
               merged[d] *= step[d];
               merged.erase(merged.begin() + d + 1);
               y = call("prims.reshape", {y, int_list(merged)});
             }
             int64_t len = y.shape()[d];
             widths.push_back(start[d]);
             widths.push_back(x.shape()[d] - start[d] - len);
           }
           return {call("prims.pad", {y, fill_value(num(0), y.dtype()), int_list(widths)})};
         }});
  // pads (or, with negative widths, crops) each dim: `pad` is [low0, high0, low1, high1, ...] in
  // dim order; `value` has the tensor's Python type
  r.add({.schema = "prims.pad(a, value, pad)",
         .fusion = FusionClass::Shape,
         .aten = "lambda a, value, pad: torch.nn.functional.pad("
                 "a, [p for d in reversed(range(a.ndim)) for p in pad[2 * d:2 * d + 2]], value=value)",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           THUNDER_ASSERT(a[1].is_number() && !a[1].is_number_proxy(), "prims.pad: value must be a number");
           std::vector<int64_t> pad = a.int_list(2);
           THUNDER_ASSERT(static_cast<int64_t>(pad.size()) == 2 * t.rank(), "prims.pad: expected two widths per dim");
           Shape out = t.shape();
           for (int64_t d = 0; d < t.rank(); ++d) {
             out[d] += pad[2 * d] + pad[2 * d + 1];
             THUNDER_ASSERT(out[d] >= 0, "prims.pad: negative size");
           }
           return new_tensor(out, t.dtype(), t.meta().device);
         },
         // padding with negated widths crops what was padded and zero-fills what was cropped
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           std::vector<int64_t> pad = a.int_list(2);
           for (auto& p : pad) p = -p;
           return {call("prims.pad", {g, fill_value(num(0), g.dtype()), int_list(pad)}), Value()};
         }});
  r.add({.schema = "prims.flip(a, dims)",
         .fusion = FusionClass::Shape,
         .aten = "torch.flip",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           std::vector<int64_t> dims = a.int_list(1);
           for (size_t i = 0; i < dims.size(); ++i)
             THUNDER_ASSERT(dims[i] >= 0 && dims[i] < t.rank() && (i == 0 || dims[i] > dims[i - 1]),
                            "prims.flip: dims must be sorted, unique and in range");
           return new_tensor(t.shape(), t.dtype(), t.meta().device);
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {call("prims.flip", {g, a[1]})};
         }});
  // [start, start + step, ...), `length` elements; the index tensors masks are built from
  r.add({.schema = "prims.iota(length, start, step, dtype, device)",
         .fusion = FusionClass::Elementwise,
         .aten = "lambda length, start, step, dtype, device: "
                 "torch.arange(start, start + length * step, step, dtype=dtype, device=device)",
         .impl = [](const Args& a) {
           int64_t length = a.int_(0);
           (void)a.int_(1);
           THUNDER_ASSERT(length >= 0 && a.int_(2) != 0, "prims.iota: bad length or step");
           DType dt = *a.opt_dtype(3);
           THUNDER_ASSERT(is_integer(dt), "prims.iota: expected an integer dtype");
           const Value& dev = a[4];
           THUNDER_ASSERT(dev.is_constant() && std::holds_alternative<Device>(dev.constant_value()),
                          "prims.iota: expected a device");
           return new_tensor({length}, dt, std::get<Device>(dev.constant_value()));
         }});

  r.add({.schema = "reshape(input, *shape)",
         .print_name = "torch.reshape",
         .torch_names = {"torch.reshape", "torch.Tensor.reshape"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = reshape_impl});
  r.add({.schema = "view(input, *shape)",
         .print_name = "torch.Tensor.view",
         .torch_names = {"torch.Tensor.view"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = reshape_impl});

  r.add({.schema = "permute(input, *dims)",
         .print_name = "torch.permute",
         .torch_names = {"torch.permute", "torch.Tensor.permute"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::vector<int64_t> dims = a.int_list(1);
           THUNDER_CHECK(static_cast<int64_t>(dims.size()) == x.rank(), Runtime,
                         "permute(sparse_coo): number of dimensions in the tensor input does not match the length of "
                         "the desired ordering of dimensions i.e. input.dim() = ",
                         x.rank(), " is not equal to len(dims) = ", dims.size());
           std::vector<bool> seen(dims.size());
           for (int64_t& d : dims) {
             d = wrap_dim(d, x.rank());
             THUNDER_CHECK(x.rank() == 0 || !seen[d], Runtime, "permute(): duplicate dims are not allowed.");
             if (x.rank()) seen[d] = true;
           }
           if (x.rank() == 0) dims.clear();
           return call("prims.permute", {x, int_list(dims)});
         }});

  r.add({.schema = "transpose(input, dim0, dim1)",
         .print_name = "torch.transpose",
         .torch_names = {"torch.transpose", "torch.swapaxes", "torch.swapdims", "torch.Tensor.transpose",
                         "torch.Tensor.swapaxes", "torch.Tensor.swapdims"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           int64_t d0 = wrap_dim(a.int_(1), x.rank()), d1 = wrap_dim(a.int_(2), x.rank());
           std::vector<int64_t> perm(x.rank());
           std::iota(perm.begin(), perm.end(), 0);
           if (x.rank()) std::swap(perm[d0], perm[d1]);
           return call("prims.permute", {x, int_list(perm)});
         }});

  r.add({.schema = "unsqueeze(input, dim)",
         .print_name = "torch.unsqueeze",
         .torch_names = {"torch.unsqueeze", "torch.Tensor.unsqueeze"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           int64_t d = wrap_dim(a.int_(1), x.rank() + 1);
           Shape s = x.shape();
           s.insert(s.begin() + d, 1);
           return reshape_to(x, s);
         }});

  r.add({.schema = "squeeze(input, dim=None)",
         .print_name = "torch.squeeze",
         .torch_names = {"torch.squeeze", "torch.Tensor.squeeze"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::optional<std::vector<int64_t>> dims = a.opt_int_list(1);
           std::vector<bool> drop(x.rank(), false);
           if (!dims)
             for (int64_t i = 0; i < x.rank(); ++i) drop[i] = x.shape()[i] == 1;
           else
             for (int64_t d : *dims) {
               int64_t w = wrap_dim(d, x.rank());
               if (x.rank()) drop[w] = x.shape()[w] == 1;  // squeezing a dim that is not 1 leaves it
             }
           Shape s;
           for (int64_t i = 0; i < x.rank(); ++i)
             if (!drop[i]) s.push_back(x.shape()[i]);
           return reshape_to(x, s);
         }});

  r.add({.schema = "expand(input, *size, implicit=False)",
         .print_name = "torch.Tensor.expand",
         .torch_names = {"torch.Tensor.expand"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return call("prims.expand", {x, int_list(expand_shape(x.shape(), a.int_list(1)))});
         }});

  r.add({.schema = "cat(tensors, dim=0)",
         .print_name = "torch.cat",
         .torch_names = {"torch.cat", "torch.concat"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) {
           std::vector<Value> all = a.tensor_list(0);
           THUNDER_CHECK(!all.empty(), Value, "torch.cat(): expected a non-empty list of Tensors");
           // torch skips 1-D empty tensors (a legacy rule) when other inputs have a different rank
           std::vector<Value> ts;
           for (const auto& t : all)
             if (!(t.rank() == 1 && t.shape()[0] == 0)) ts.push_back(t);
           if (ts.empty()) ts.push_back(all[0]);
           const Value& ref = ts[0];
           THUNDER_CHECK(ref.rank() > 0, Runtime, "zero-dimensional tensor (at position 0) cannot be concatenated");
           int64_t dim = wrap_dim(a.int_(1), ref.rank());
           common_device("cat", all);
           for (size_t i = 1; i < ts.size(); ++i) {
             THUNDER_CHECK(ts[i].rank() == ref.rank(), Runtime,
                           "Tensors must have same number of dimensions: got ", ref.rank(), " and ", ts[i].rank());
             for (int64_t d = 0; d < ref.rank(); ++d)
               THUNDER_CHECK(d == dim || ts[i].shape()[d] == ref.shape()[d], Runtime,
                             "Sizes of tensors must match except in dimension ", dim, ". Expected size ",
                             ref.shape()[d], " but got size ", ts[i].shape()[d], " for tensor number ", i,
                             " in the list.");
           }
           DType dt = promote(all, Promotion::NoOpmath).result;
           std::vector<Value> conv;
           for (const auto& t : ts) conv.push_back(convert(t, dt));
           return call("prims.cat", {Value::sequence(conv, true), Value::constant(dim)});
         }});

  r.add({.schema = "stack(tensors, dim=0)",
         .print_name = "torch.stack",
         .torch_names = {"torch.stack"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) {
           std::vector<Value> ts = a.tensor_list(0);
           THUNDER_CHECK(!ts.empty(), Runtime, "stack expects a non-empty TensorList");
           for (size_t i = 1; i < ts.size(); ++i)
             THUNDER_CHECK(ts[i].shape() == ts[0].shape(), Runtime, "stack expects each tensor to be equal size, but got ",
                           shape_str(ts[0].shape()), " at entry 0 and ", shape_str(ts[i].shape()), " at entry ", i);
           int64_t dim = wrap_dim(a.int_(1), ts[0].rank() + 1);
           common_device("stack", ts);
           DType dt = promote(ts, Promotion::NoOpmath).result;
           Shape s = ts[0].shape();
           s.insert(s.begin() + dim, 1);
           std::vector<Value> parts;
           for (const auto& t : ts) parts.push_back(reshape_to(convert(t, dt), s));
           return call("prims.cat", {Value::sequence(parts, true), num(dim)});
         }});

  // hstack, vstack, dstack and column_stack lift each input to a minimum rank (atleast_1d/2d/3d
  // place a lone dim as torch does) and concatenate through cat, which promotes and checks shapes
  struct StackVariant {
    const char* name;
    std::vector<std::string> torch_names;
  };
  for (const auto& [name, torch_names] :
       {StackVariant{"hstack", {"torch.hstack"}}, StackVariant{"vstack", {"torch.vstack", "torch.row_stack"}},
        StackVariant{"dstack", {"torch.dstack"}}, StackVariant{"column_stack", {"torch.column_stack"}}}) {
    std::string op = name;
    r.add({.schema = op + "(tensors)",
           .print_name = "torch." + op,
           .torch_names = torch_names,
           .fusion = FusionClass::Shape,
           .impl = [op](const Args& a) {
             std::vector<Value> ts = a.tensor_list(0);
             THUNDER_CHECK(!ts.empty(), Runtime, op, " expects a non-empty TensorList");
             std::vector<Value> lifted;
             for (const auto& t : ts) {
               const Shape& s = t.shape();
               Shape to = s;
               if (op == "hstack") to = s.empty() ? Shape{1} : s;
               else if (op == "vstack") to = s.size() == 0 ? Shape{1, 1} : s.size() == 1 ? Shape{1, s[0]} : s;
               else if (op == "dstack")
                 to = s.size() == 0 ? Shape{1, 1, 1} : s.size() == 1 ? Shape{1, s[0], 1} : s.size() == 2 ? Shape{s[0], s[1], 1} : s;
               else if (s.size() <= 1) to = Shape{numel(s), 1};
               lifted.push_back(reshape_to(t, to));
             }
             int64_t dim = op == "hstack" ? (lifted[0].rank() == 1 ? 0 : 1) : op == "vstack" ? 0 : op == "dstack" ? 2 : 1;
             return call("cat", {Value::sequence(lifted, true), num(dim)});
           }});
  }

  r.add({.schema = "flatten(input, start_dim=0, end_dim=-1)",
         .print_name = "torch.flatten",
         .torch_names = {"torch.flatten", "torch.Tensor.flatten"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           int64_t start = wrap_dim(a.int_(1), x.rank()), end = wrap_dim(a.int_(2), x.rank());
           THUNDER_CHECK(start <= end, Runtime, "flatten() has invalid args: start_dim cannot come after end_dim");
           if (x.rank() == 0) return reshape_to(x, {1});
           Shape s(x.shape().begin(), x.shape().begin() + start);
           s.push_back(numel(Shape(x.shape().begin() + start, x.shape().begin() + end + 1)));
           s.insert(s.end(), x.shape().begin() + end + 1, x.shape().end());
           return reshape_to(x, s);
         }});

  r.add({.schema = "unflatten(input, dim, sizes)",
         .print_name = "torch.unflatten",
         .torch_names = {"torch.unflatten", "torch.Tensor.unflatten"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           int64_t dim = wrap_dim(a.int_(1), x.rank());
           std::vector<int64_t> sizes = a.int_list(2);
           THUNDER_CHECK(!sizes.empty(), Runtime, "unflatten: sizes must be non-empty");
           THUNDER_CHECK(x.rank() > 0, Runtime, "unflatten: expected a tensor of at least one dimension, got 0");
           int64_t n = x.shape()[dim];
           bool infer = std::find(sizes.begin(), sizes.end(), -1) != sizes.end();
           THUNDER_CHECK(infer || numel(sizes) == n, Runtime, "unflatten: Provided sizes ", shape_str(sizes),
                         " don't multiply up to the size of dim ", dim, " (", n, ") in the input tensor");
           Shape inner = infer_shape(sizes, n);
           Shape s(x.shape().begin(), x.shape().begin() + dim);
           s.insert(s.end(), inner.begin(), inner.end());
           s.insert(s.end(), x.shape().begin() + dim + 1, x.shape().end());
           return reshape_to(x, s);
         }});

  r.add({.schema = "movedim(input, source, destination)",
         .print_name = "torch.movedim",
         .torch_names = {"torch.movedim", "torch.moveaxis", "torch.Tensor.movedim", "torch.Tensor.moveaxis"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return call("prims.permute", {x, int_list(movedim_perm(x, a.int_list(1, true), a.int_list(2, true)))});
         }});

  r.add({.schema = "t(input)",
         .print_name = "torch.t",
         .torch_names = {"torch.t", "torch.Tensor.t"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(x.rank() <= 2, Runtime, "t() expects a tensor with <= 2 dimensions, but self is ", x.rank(), "D");
           return call("prims.permute", {x, int_list(x.rank() == 2 ? std::vector<int64_t>{1, 0} : std::vector<int64_t>(x.rank(), 0))});
         }});

  // Tensor.T reverses every dim (torch warns for ndim other than 2; the result is the same)
  r.add({.schema = "T(input)",
         .print_name = "torch.Tensor.T.__get__",
         .torch_names = {"torch.Tensor.T.__get__"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::vector<int64_t> perm(x.rank());
           std::iota(perm.rbegin(), perm.rend(), 0);
           return call("prims.permute", {x, int_list(perm)});
         }});
  r.add({.schema = "mT(input)",
         .print_name = "torch.Tensor.mT.__get__",
         .torch_names = {"torch.Tensor.mT.__get__"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(x.rank() >= 2, Runtime, "tensor.mT is only supported on matrices or batches of matrices. Got ",
                         x.rank(), "-D tensor.");
           std::vector<int64_t> perm(x.rank());
           std::iota(perm.begin(), perm.end(), 0);
           std::swap(perm[x.rank() - 1], perm[x.rank() - 2]);
           return call("prims.permute", {x, int_list(perm)});
         }});

  r.add({.schema = "expand_as(input, other)",
         .print_name = "torch.Tensor.expand_as",
         .torch_names = {"torch.Tensor.expand_as"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return call("prims.expand", {x, int_list(expand_shape(x.shape(), a.tensor(1).shape()))});
         }});
  r.add({.schema = "broadcast_to(input, size)",
         .print_name = "torch.broadcast_to",
         .torch_names = {"torch.broadcast_to", "torch.Tensor.broadcast_to"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return call("prims.expand", {x, int_list(expand_shape(x.shape(), a.int_list(1, true)))});
         }});

  // repeat tiles by expanding a new dim in front of each dim, then merging the pairs
  r.add({.schema = "repeat(input, *repeats)",
         .print_name = "torch.Tensor.repeat",
         .torch_names = {"torch.Tensor.repeat"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::vector<int64_t> reps = a.int_list(1, true);
           THUNDER_CHECK(reps.size() >= static_cast<size_t>(x.rank()), Runtime,
                         "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
           size_t lead = reps.size() - x.rank();
           Shape padded(lead, 1), pairs_in, pairs_out, out;
           padded.insert(padded.end(), x.shape().begin(), x.shape().end());
           for (size_t i = 0; i < reps.size(); ++i) {
             pairs_in.insert(pairs_in.end(), {1, padded[i]});
             pairs_out.insert(pairs_out.end(), {reps[i], padded[i]});
             out.push_back(reps[i] * padded[i]);
           }
           for (int64_t d : out)
             THUNDER_CHECK(d >= 0, Runtime, "Trying to create tensor with negative dimension ", d, ": ", shape_str(out));
           Value y = call("prims.expand", {reshape_to(x, pairs_in), int_list(pairs_out)});
           return reshape_to(y, out);
         }});

  // repeat_interleave with an int repeats every element along dim (the flattened input for
  // dim=None) by expanding a new dim after it. With a tensor of repeats the output's size depends
  // on the repeats' values: traced only with output_size, as one opaque ATen call.
  r.add({.schema = "repeat_interleave(input, repeats=None, dim=None, *, output_size=None)",
         .print_name = "torch.repeat_interleave",
         .torch_names = {"torch.repeat_interleave", "torch.Tensor.repeat_interleave"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::optional<int64_t> output_size;
           if (!a[3].is_none()) output_size = a.int_(3);
           auto check_index_dtype = [](const Value& reps) {
             if (reps.dtype() != DType::Int64 && reps.dtype() != DType::Int32)
               throw UserError(ErrorKind::NotImplemented, cat("\"repeat_interleave\" not implemented for '",
                                                              dtype_c10_name(reps.dtype()), "'"));
           };
           auto data_dependent = [&](std::string_view what) {
             THUNDER_CHECK(output_size, NotImplemented, "repeat_interleave: ", what,
                           " gives an output size that depends on the repeats' values, which tracing does not know; "
                           "pass output_size= or an int repeats");
             THUNDER_CHECK(*output_size >= 0, Runtime, "Trying to create tensor with negative dimension ",
                           *output_size, ": [", *output_size, "]");
           };
           if (a[1].is_none()) {
             // torch.repeat_interleave(repeats): each index i repeated repeats[i] times
             THUNDER_CHECK(a[2].is_none(), Type, "repeat_interleave: expected repeats, got dim without it");
             THUNDER_CHECK(x.rank() == 1, Runtime, "repeat_interleave only accept 1D vector as repeat");
             check_index_dtype(x);
             data_dependent("a tensor of repeats");
             return new_tensor({*output_size}, x.dtype(), x.meta().device);
           }
           std::optional<int64_t> dim;
           if (!a[2].is_none()) dim = a.int_(2);
           if (a[1].is_tensor()) {
             const Value& reps = a.tensor(1);
             common_device("repeat_interleave", {x, reps});
             if (dim) {
               int64_t d = wrap_dim(*dim, x.rank());
               THUNDER_CHECK(x.rank() > 0, Index, "Dimension specified as ", *dim, " but tensor has no dimensions");
               dim = d;
             }
             int64_t n = dim ? x.shape()[*dim] : numel(x.shape());
             THUNDER_CHECK(reps.rank() <= 1, Runtime, "repeats must be 0-dim or 1-dim tensor");
             check_index_dtype(reps);
             THUNDER_CHECK(reps.rank() == 0 || reps.shape()[0] == 1 || reps.shape()[0] == n, Runtime,
                           "repeats must have the same size as input along dim, but got repeats.size(0) = ",
                           reps.shape()[0], " and input.size(", dim.value_or(0), ") = ", n);
             data_dependent("a tensor of repeats");
             Shape out = dim ? x.shape() : Shape{*output_size};
             if (dim) out[*dim] = *output_size;
             return new_tensor(out, x.dtype(), x.meta().device);
           }
           int64_t reps = a.int_(1);
           THUNDER_CHECK(reps >= 0, Runtime, "Repeats must be non-negative");
           Value flat = x;
           int64_t d = 0;
           if (!dim) {
             flat = reshape_to(x, {numel(x.shape())});
           } else {
             d = wrap_dim(*dim, x.rank());
             // torch unsqueezes after dim, which a zero-dim input does not have
             THUNDER_CHECK(x.rank() > 0, Index, "Dimension out of range (expected to be in range of [-1, 0], but got ",
                           d + 1, ")");
           }
           Shape s = flat.shape(), pairs_in = s, pairs_out = s, out = s;
           pairs_in.insert(pairs_in.begin() + d + 1, 1);
           pairs_out.insert(pairs_out.begin() + d + 1, reps);
           out[d] *= reps;
           THUNDER_CHECK(!output_size || *output_size == out[d], Runtime,
                         "repeat_interleave: Invalid output_size, expected ", out[d], " but got ", *output_size);
           Value y = call("prims.expand", {reshape_to(flat, pairs_in), int_list(pairs_out)});
           return reshape_to(y, out);
         }});
}

}  // namespace thunder::ops
