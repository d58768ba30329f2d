// Shape ops: the movement prims (reshape, permute, expand, cat) and the torch-level views built on
// them.
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

// prims.reshape, skipped when the shape does not change
Value reshape_to(const Value& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return call("prims.reshape", {x, int_list(shape)});
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

}  // namespace

void register_shape(Registry& r) {
  r.add({.schema = "prims.reshape(a, shape)",
         .fusion = FusionClass::Shape,
         .aten = "torch.reshape",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           Shape s = a.int_list(1);
           THUNDER_ASSERT(numel(s) == numel(t.shape()) && std::all_of(s.begin(), s.end(), [](int64_t d) { return d >= 0; }),
                          "prims.reshape: ", shape_str(t.shape()), " cannot become ", shape_str(s));
           return new_tensor(s, t.dtype(), t.meta().device);
         }});
  r.add({.schema = "prims.permute(a, dims)", .fusion = FusionClass::Shape, .aten = "torch.permute", .impl = permute_meta});
  r.add({.schema = "prims.expand(a, shape)",
         .fusion = FusionClass::Shape,
         .aten = "torch.Tensor.expand",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           Shape s = a.int_list(1);
           THUNDER_ASSERT(expand_shape(t.shape(), s) == s, "prims.expand: bad target shape");
           return new_tensor(s, t.dtype(), t.meta().device);
         }});
  r.add({.schema = "prims.cat(tensors, dim)",
         .fusion = FusionClass::Shape,
         .aten = "torch.cat",
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
}

}  // namespace thunder::ops
