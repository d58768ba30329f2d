// More nn ops built from others: unfold / fold (im2col and col2im, as a gather and a scatter_add
// through one index of the padded image), embedding_bag, instance_norm (batch_norm over one batch
// of N * C channels, as torch computes it) and local_response_norm.
#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

using namespace pm;

bool is_index_dtype(DType t) { return t == DType::Int64 || t == DType::Int32; }

// ---- unfold / fold ------------------------------------------------------------------------------

struct Window {
  std::vector<int64_t> kernel, dilation, padding, stride;
};

Window window_args(const Args& a, size_t kernel) {
  auto pair = [&](size_t i, const char* name) {
    std::vector<int64_t> v = nn::int_tuple(a, i, 2);
    THUNDER_CHECK(v.size() == 2, Runtime, a.symbol().name(), ": expected ", name, " to be an int or a pair of ints");
    return v;
  };
  Window w{pair(kernel, "kernel_size"), pair(kernel + 1, "dilation"), pair(kernel + 2, "padding"),
           pair(kernel + 3, "stride")};
  THUNDER_CHECK(w.kernel[0] > 0 && w.kernel[1] > 0, Runtime, "kernel size should be greater than zero, but got "
                "kernel_height: ", w.kernel[0], " kernel_width: ", w.kernel[1]);
  THUNDER_CHECK(w.dilation[0] > 0 && w.dilation[1] > 0, Runtime, "dilation should be greater than zero, but got "
                "dilation_height: ", w.dilation[0], " dilation_width: ", w.dilation[1]);
  THUNDER_CHECK(w.padding[0] >= 0 && w.padding[1] >= 0, Runtime, "padding should be non-negative, but got pad_height: ",
                w.padding[0], " pad_width: ", w.padding[1]);
  THUNDER_CHECK(w.stride[0] > 0 && w.stride[1] > 0, Runtime, "stride should be greater than zero, but got "
                "stride_height: ", w.stride[0], " stride_width: ", w.stride[1]);
  return w;
}

std::string pair_str(const std::vector<int64_t>& v) { return cat("(", v[0], ", ", v[1], ")"); }

// the number of window positions along each spatial dim of an image of `size`
std::vector<int64_t> blocks(const Window& w, const std::vector<int64_t>& size) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < 2; ++i)
    out.push_back((size[i] + 2 * w.padding[i] - (w.dilation[i] * (w.kernel[i] - 1) + 1)) / w.stride[i] + 1);
  return out;
}

// For window offset (i, j) and block (p, q), the position (i * dh + p * sh) * Wp + j * dw + q * sw of
// the element read in the padded image, flattened: int64 of shape [kh * kw * L]
Value window_index(const Window& w, const std::vector<int64_t>& out, int64_t padded_width, const Device& dev) {
  Shape full = {w.kernel[0], w.kernel[1], out[0], out[1]};
  auto axis = [&](int64_t len, int64_t step, size_t at) {
    Shape s(4, 1);
    s[at] = len;
    return broadcast_to(reshape_to(iota(len, 0, step, DType::Int64, dev), s), full);
  };
  Value rows = axis(w.kernel[0], w.dilation[0], 0) + axis(out[0], w.stride[0], 2);
  Value cols = axis(w.kernel[1], w.dilation[1], 1) + axis(out[1], w.stride[1], 3);
  return reshape_to(rows * padded_width + cols, {numel(full)});
}

Value unfold(const Args& a) {
  const Value& in = a.tensor(0);
  Window w = window_args(a, 1);
  bool batched = in.rank() == 4;
  bool ok = (in.rank() == 3 || batched) && std::all_of(in.shape().end() - 3, in.shape().end(), [](int64_t s) {
              return s != 0;
            });
  THUNDER_CHECK(ok, Runtime, "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                "dimensions for input, but got: ", shape_str(in.shape()));
  Value x = batched ? in : reshape_to(in, {1, in.shape()[0], in.shape()[1], in.shape()[2]});
  int64_t n = x.shape()[0], c = x.shape()[1];
  std::vector<int64_t> size = {x.shape()[2], x.shape()[3]};
  std::vector<int64_t> out = blocks(w, size);
  THUNDER_CHECK(out[0] >= 1 && out[1] >= 1, Runtime, "Given input with spatial size ", pair_str(size), ", kernel_size=",
                pair_str(w.kernel), ", dilation=", pair_str(w.dilation), ", padding=", pair_str(w.padding),
                ", calculated shape of the array of sliding blocks as ", pair_str(out),
                ", but its components must be at least one.");
  int64_t hp = size[0] + 2 * w.padding[0], wp = size[1] + 2 * w.padding[1];
  int64_t k = w.kernel[0] * w.kernel[1], l = out[0] * out[1];
  Value padded = call("pad", {x, int_list({w.padding[1], w.padding[1], w.padding[0], w.padding[0]})});
  Value flat = reshape_to(padded, {n, c, hp * wp});
  Value index = broadcast_to(reshape_to(window_index(w, out, wp, x.meta().device), {1, 1, k * l}), {n, c, k * l});
  Value cols = reshape_to(call("prims.gather", {flat, num(2), index}), {n, c * k, l});
  return batched ? cols : reshape_to(cols, {c * k, l});
}

Value fold(const Args& a) {
  const Value& in = a.tensor(0);
  std::vector<int64_t> size = nn::int_tuple(a, 1, 2);
  THUNDER_CHECK(size.size() == 2, Runtime, "fold: expected output_size to be an int or a pair of ints");
  Window w = window_args(a, 2);
  bool batched = in.rank() == 3;
  bool ok = (in.rank() == 2 || batched) && std::all_of(in.shape().end() - 2, in.shape().end(), [](int64_t s) {
              return s != 0;
            });
  THUNDER_CHECK(ok, Runtime, "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                "dimensions for input, but got: ", shape_str(in.shape()));
  Value x = batched ? in : reshape_to(in, {1, in.shape()[0], in.shape()[1]});
  int64_t n = x.shape()[0], ck = x.shape()[1], l = x.shape()[2];
  int64_t k = w.kernel[0] * w.kernel[1];
  THUNDER_CHECK(ck % k == 0, Runtime, "Expected size of input's dimension 1 to be divisible by the product of "
                "kernel_size, but got input.size(1)=", ck, " and kernel_size=", pair_str(w.kernel), ".");
  std::vector<int64_t> out = blocks(w, size);
  THUNDER_CHECK(out[0] >= 1 && out[1] >= 1 && out[0] * out[1] == l, Runtime, "Given output_size=", pair_str(size),
                ", kernel_size=", pair_str(w.kernel), ", dilation=", pair_str(w.dilation), ", padding=",
                pair_str(w.padding), ", stride=", pair_str(w.stride), ", expected size of input's dimension 2 to match "
                "the calculated number of sliding blocks ", out[0], " * ", out[1], " = ", out[0] * out[1],
                ", but got input.size(2)=", l, ".");
  int64_t c = ck / k;
  int64_t hp = size[0] + 2 * w.padding[0], wp = size[1] + 2 * w.padding[1];
  Value src = reshape_to(x, {n, c, k * l});
  Value index = broadcast_to(reshape_to(window_index(w, out, wp, x.meta().device), {1, 1, k * l}), {n, c, k * l});
  Value zeros = call("prims.full", {int_list({n, c, hp * wp}), fill_value(num(0), x.dtype()), Value::constant(x.dtype()),
                                    Value::constant(x.meta().device)});
  Value image = reshape_to(call("prims.scatter_add", {zeros, num(2), index, src}), {n, c, hp, wp});
  image = slice_dim(slice_dim(image, 2, w.padding[0], w.padding[0] + size[0]), 3, w.padding[1], w.padding[1] + size[1]);
  return batched ? image : reshape_to(image, {c, size[0], size[1]});
}

// ---- embedding_bag ------------------------------------------------------------------------------

// The rows of each bag reduced by `mode`: `rows` [n, D] and `bag` [n] (the bag of each row, int64),
// entries with `keep` false left out; a bag without rows gives 0, as in torch.
Value reduce_bags(const Value& rows, const Value& bag, const std::optional<Value>& keep, int64_t bags,
                  const std::string& mode) {
  int64_t n = rows.shape()[0], d = rows.shape()[1];
  const Device& dev = rows.meta().device;
  DType dt = rows.dtype();
  auto zeros = [&](const Shape& s) {
    return call("prims.full", {int_list(s), fill_value(num(0), dt), Value::constant(dt), Value::constant(dev)});
  };
  if (mode == "max") {
    // every bag against every row: the rows outside it (or left out) count as -inf
    Value member = eq(broadcast_to(reshape_to(bag, {1, n}), {bags, n}),
                      broadcast_to(reshape_to(iota(bags, 0, 1, DType::Int64, dev), {bags, 1}), {bags, n}));
    if (keep) member = bitwise_and(member, broadcast_to(reshape_to(*keep, {1, n}), {bags, n}));
    Value m3 = broadcast_to(reshape_to(member, {bags, n, 1}), {bags, n, d});
    Value spread = broadcast_to(reshape_to(rows, {1, n, d}), {bags, n, d});
    Value best = call("prims.amax", {where(m3, spread, num(-INFINITY)), int_list({1})});
    Value any = call("prims.gt", {call("prims.sum", {convert(member, DType::Int64), int_list({1})}), num(0)});
    return where(broadcast_to(reshape_to(any, {bags, 1}), {bags, d}), best, zeros({bags, d}));
  }
  Value kept = keep ? where(broadcast_to(reshape_to(*keep, {n, 1}), {n, d}), rows, zeros({n, d})) : rows;
  Value index = broadcast_to(reshape_to(bag, {n, 1}), {n, d});
  Value sums = call("prims.scatter_add", {zeros({bags, d}), num(0), index, kept});
  if (mode == "sum") return sums;
  Value ones = keep ? convert(*keep, dt) : call("prims.full", {int_list({n}), fill_value(num(1), dt),
                                                               Value::constant(dt), Value::constant(dev)});
  Value counts = call("prims.scatter_add", {zeros({bags}), num(0), bag, ones});
  Value wide = broadcast_to(reshape_to(counts, {bags, 1}), {bags, d});
  return where(eq(wide, num(0)), zeros({bags, d}), sums / wide);
}

Value embedding_bag(const Args& a) {
  const Value& idx = a.tensor(0);
  const Value& weight = a.tensor(1);
  std::optional<Value> offsets = a.opt_tensor(2), psw = a.opt_tensor(8);
  std::string mode = a.str(6);
  bool include_last = a.bool_(9);
  if (psw)
    THUNDER_CHECK(psw->shape() == idx.shape(), Value, "embedding_bag: If per_sample_weights (",
                  "torch.Size(", shape_str(psw->shape()), ")) is not None, then it must have the same shape as the input "
                  "(torch.Size(", shape_str(idx.shape()), "))");
  THUNDER_CHECK(weight.rank() == 2, Value, "weight has to be a 2D Tensor, but got Tensor of dimension ", weight.rank());
  if (idx.rank() == 2) {
    THUNDER_CHECK(!offsets, Value, "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                  "fixed length sequences. However, found offsets of type <class 'torch.Tensor'>");
  } else {
    THUNDER_CHECK(idx.rank() == 1, Value, "input has to be 1D or 2D Tensor, but got Tensor of dimension ", idx.rank());
    THUNDER_CHECK(offsets, Value, "offsets has to be a 1D Tensor but got None");
    THUNDER_CHECK(offsets->rank() == 1, Value, "offsets has to be a 1D Tensor");
  }
  THUNDER_CHECK(mode == "sum" || mode == "mean" || mode == "max", Value, "mode has to be one of sum, mean or max");
  if (mode == "max") {
    THUNDER_CHECK(!a.bool_(5), Value, "max mode does not support scaling the gradient by the frequency");
    THUNDER_CHECK(!a.bool_(7), Value, "max mode does not support sparse weights");
  }
  THUNDER_CHECK(a[3].is_none(), NotImplemented,
                "embedding_bag: max_norm renormalizes the weight in place, which is not supported yet");
  THUNDER_CHECK(!psw || mode == "sum", NotImplemented, "embedding_bag: per_sample_weights was not None. "
                "per_sample_weights is only supported for mode='sum' (got mode='", mode, "'). Please open a feature "
                "request on GitHub.");
  THUNDER_CHECK(is_index_dtype(idx.dtype()), Runtime, "Expected tensor for argument #1 'indices' to have one of the "
                "following scalar types: Long, Int; but got torch.", dtype_c10_name(idx.dtype()),
                "Tensor instead (while checking arguments for embedding_bag)");
  int64_t entries = weight.shape()[0], d = weight.shape()[1];
  common_device("embedding_bag", {idx, weight, offsets.value_or(idx), psw.value_or(idx)});
  int64_t n = numel(idx.shape());
  Value flat = reshape_to(idx, {n});
  // the rows through embedding, which carries their gradient (and refuses scale_grad_by_freq and
  // sparse there); padding_idx's entries are left out of their bags
  Value rows = call("embedding", {flat, weight, Value::none(), Value::none(), num(2.0), a[5], a[7]});
  if (psw) rows = rows * broadcast_to(reshape_to(convert(*psw, weight.dtype()), {n, 1}), {n, d});
  std::optional<Value> keep;
  if (!a[10].is_none()) {
    int64_t p = a.int_(10);
    THUNDER_CHECK(p >= -entries && p < entries, Runtime, "padding_idx must be within the number of embeddings, ",
                  -entries, " through ", entries - 1, ", but got ", p);
    keep = ne(flat, num(p < 0 ? p + entries : p));
  }
  if (idx.rank() == 2 && mode != "max") {
    // fixed-size bags: a reduction over each row of the index
    int64_t bags = idx.shape()[0], len = idx.shape()[1];
    Value kept = keep ? where(broadcast_to(reshape_to(*keep, {n, 1}), {n, d}), rows, zeros_like(rows)) : rows;
    Value sums = nn::sum(reshape_to(kept, {bags, len, d}), {1});
    if (mode == "sum") return sums;
    Value counts = keep ? nn::sum(reshape_to(convert(*keep, weight.dtype()), {bags, len}), {1})
                        : call("prims.full", {int_list({bags}), fill_value(num(len), weight.dtype()),
                                              Value::constant(weight.dtype()), Value::constant(weight.meta().device)});
    Value wide = broadcast_to(reshape_to(counts, {bags, 1}), {bags, d});
    return where(eq(wide, num(0)), zeros_like(sums), sums / wide);
  }
  Value bag;
  int64_t bags;
  if (idx.rank() == 2) {
    bags = idx.shape()[0];
    int64_t len = idx.shape()[1];
    bag = reshape_to(broadcast_to(reshape_to(iota(bags, 0, 1, DType::Int64, idx.meta().device), {bags, 1}),
                                  {bags, len}),
                     {n});
  } else {
    // the bag of entry i is the number of offsets <= i, less one (offsets' values are not known
    // while tracing, so they are searched)
    bags = offsets->shape()[0] - (include_last ? 1 : 0);
    THUNDER_CHECK(bags >= 0, Runtime, "embedding_bag: include_last_offset=True needs at least one offset");
    Value starts = slice_dim(*offsets, 0, 0, bags);
    Value positions = iota(n, 0, 1, DType::Int64, idx.meta().device);
    Value found = call("prims.searchsorted", {starts, positions, Value::constant(false), Value::constant(true),
                                              Value::none()});
    bag = found - 1;
  }
  return reduce_bags(rows, bag, keep, bags, mode);
}

// ---- instance_norm, local_response_norm -----------------------------------------------------------

// batch_norm over the input viewed as one batch of N * C channels, with weight, bias and running
// stats repeated N times; in training with running stats, the new stats are the mean over N of the
// per-instance ones (torch's instance_norm, which writes them back into the buffers)
Value instance_norm(const Args& a) {
  const Value& in = a.tensor(0);
  std::optional<Value> mean = a.opt_tensor(1), var = a.opt_tensor(2), w = a.opt_tensor(3), b = a.opt_tensor(4);
  bool use_input_stats = a.bool_(5);
  THUNDER_CHECK(in.rank() >= 2, Runtime, "instance_norm: expected input with at least 2 dims, got ",
                shape_str(in.shape()));
  const Shape& s = in.shape();
  if (use_input_stats) {
    int64_t spatial = numel(Shape(s.begin() + 2, s.end()));
    THUNDER_CHECK(spatial != 1, Value, "Expected more than 1 spatial element when training, got input size torch.Size(",
                  shape_str(s), ")");
  }
  THUNDER_CHECK(use_input_stats || (mean && var), Runtime,
                "Expected running_mean and running_var to be defined when use_input_stats is false");
  int64_t n = s[0], c = s[1];
  auto repeated = [&](const std::optional<Value>& p) {
    return p ? call("repeat", {*p, int_list({n})}) : Value::none();
  };
  Shape flat = s;
  flat[0] = 1, flat[1] = n * c;
  Value x = call("reshape", {in, int_list(flat)});
  Value out = call("batch_norm", {x, repeated(mean), repeated(var), repeated(w), repeated(b),
                                  Value::constant(use_input_stats), a[6], a[7]});
  if (!out.is_sequence()) return call("reshape", {out, int_list(s)});
  auto averaged = [&](const Value& stat) {
    return call("mean", {call("reshape", {stat, int_list({n, c})}), num(0)});
  };
  return Value::sequence({call("reshape", {out.items()[0], int_list(s)}), averaged(out.items()[1]),
                          averaged(out.items()[2])});
}

// x / (k + alpha * mean of x^2 over `size` neighbouring channels, zero-padded)^beta
Value local_response_norm(const Args& a) {
  const Value& x = a.tensor(0);
  int64_t size = a.int_(1);
  THUNDER_CHECK(x.rank() >= 3, Value, "Expected 3D or higher dimensionality                          input (got ",
                x.rank(), " dimensions)");
  THUNDER_CHECK(is_floating(x.dtype()), NotImplemented, "local_response_norm: expected a floating-point tensor, got ",
                dtype_name(x.dtype()));
  THUNDER_CHECK(size > 0, Runtime, "local_response_norm: expected size to be positive, got ", size);
  if (numel(x.shape()) == 0) return call("clone", {x});
  // torch pools 4-D and larger inputs with avg_pool3d, which has no CPU kernel for half types
  bool half = x.dtype() == DType::Float16 || x.dtype() == DType::BFloat16;
  THUNDER_CHECK(x.rank() == 3 || !half || x.meta().device.type != DeviceType::CPU, NotImplemented,
                "\"avg_pool3d_out_frame\" not implemented for '", dtype_c10_name(x.dtype()), "'");
  std::vector<int64_t> pads(2 * (x.rank() - 2), 0);
  pads.push_back(size / 2);
  pads.push_back((size - 1) / 2);
  Value sq = call("pad", {call("mul", {x, x}), int_list(pads)});
  int64_t c = x.shape()[1];
  Value total = slice_dim(sq, 1, 0, c);
  for (int64_t i = 1; i < size; ++i) total = call("add", {total, slice_dim(sq, 1, i, i + c)});
  Value div = call("pow", {call("add", {call("mul", {call("div", {total, num(size)}), a[2]}), a[4]}), a[3]});
  return call("div", {x, div});
}

}  // namespace

void register_nn_extra(Registry& r) {
  r.add({.schema = "unfold(input, kernel_size, dilation=1, padding=0, stride=1)",
         .print_name = "torch.nn.functional.unfold",
         .torch_names = {"torch.nn.functional.unfold"},
         .impl = unfold});
  r.add({.schema = "fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1)",
         .print_name = "torch.nn.functional.fold",
         .torch_names = {"torch.nn.functional.fold"},
         .impl = fold});
  r.add({.schema = "embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, "
                   "mode='mean', sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None)",
         .print_name = "torch.nn.functional.embedding_bag",
         .torch_names = {"torch.nn.functional.embedding_bag"},
         .impl = embedding_bag});
  r.add({.schema = "instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, "
                   "use_input_stats=True, momentum=0.1, eps=1e-05)",
         .print_name = "torch.nn.functional.instance_norm",
         .torch_names = {"torch.nn.functional.instance_norm"},
         .fusion = FusionClass::Reduction,
         .updates = {"running_mean", "running_var"},
         // the updating form returns the new stats: it prints as the functional prim it calls
         .print = [](const std::vector<Value>& v) -> std::string {
           bool updating = python_repr(v[5]) == "True" && v[1].is_tensor();
           if (!updating) return "";
           std::string s = "prims.instance_norm_update(";
           for (size_t i : {0, 1, 2, 3, 4, 6, 7}) s += (i ? ", " : "") + python_repr(v[i]);
           return s + ")";
         },
         .impl = instance_norm});
  r.add({.schema = "prims.instance_norm_update(a, running_mean, running_var, weight, bias, momentum, eps)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, running_mean, running_var, weight, bias, momentum, eps: (lambda m, v: "
                 "(torch.nn.functional.instance_norm(a, m, v, weight, bias, True, float(momentum), eps), m, v))("
                 "running_mean.clone(), running_var.clone())",
         .updates = {"running_mean", "running_var"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& mean = a.tensor(1);
           const Value& var = a.tensor(2);
           THUNDER_ASSERT(x.rank() >= 2 && mean.shape() == Shape{x.shape()[1]} && var.shape() == mean.shape(),
                          "prims.instance_norm_update: expected per-channel running stats");
           const Device& d = x.meta().device;
           return Value::sequence({new_tensor(x.shape(), x.dtype(), d), new_tensor(mean.shape(), mean.dtype(), d),
                                   new_tensor(var.shape(), var.dtype(), d)});
         }});
  r.add({.schema = "local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0)",
         .print_name = "torch.nn.functional.local_response_norm",
         .torch_names = {"torch.nn.functional.local_response_norm"},
         .fusion = FusionClass::Reduction,
         .impl = local_response_norm});
}

}  // namespace thunder::ops
