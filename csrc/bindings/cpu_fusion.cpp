// thunder._C.CpuKernel: a compiled region called with torch tensors. The extension does not link
// libtorch: it reads each input's data pointer, shape, strides and dtype through Python attributes
// and allocates outputs with the torch.empty the Python package hands over at import. Large
// outputs come from the buffer pool (codegen/cpu/buffers.h) and reach torch as DLPack capsules,
// whose deleter hands the buffer back when torch frees the tensor.
#include "bindings/cpu_fusion.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <vector>

#include "codegen/cpu/attention.h"
#include "codegen/cpu/buffers.h"
#include "codegen/cpu/compiler.h"
#include "codegen/cpu/internal.h"
#include "ir/error.h"

namespace nb = nanobind;
using namespace thunder;
namespace cpu = thunder::codegen::cpu;

namespace {

// held for the process's life (never released: they must outlive interpreter shutdown)
nb::handle g_empty;  // torch.empty
std::vector<nb::handle> g_dtypes;  // torch dtypes by DType
nb::handle g_from_dlpack;  // torch.utils.dlpack.from_dlpack

// DLPack's DLManagedTensor (the ABI torch.from_dlpack reads from a "dltensor" capsule), with the
// shape and strides it points to and the pooled buffer's size.
struct PooledTensor {
  nb::dlpack::dltensor tensor;
  void* manager_ctx;
  void (*deleter)(PooledTensor*);
  std::vector<int64_t> shape, strides;
  size_t bytes;
};

void release_pooled(PooledTensor* t) {
  cpu::pool_release(t->tensor.data, t->bytes);
  delete t;
}

nb::dlpack::dtype dlpack_dtype(DType t) {
  using C = nb::dlpack::dtype_code;
  auto d = [](C c, int bits) { return nb::dlpack::dtype{static_cast<uint8_t>(c), static_cast<uint8_t>(bits), 1}; };
  switch (t) {
    case DType::Bool: return d(C::Bool, 8);
    case DType::UInt8: return d(C::UInt, 8);
    case DType::Int8: return d(C::Int, 8);
    case DType::Int16: return d(C::Int, 16);
    case DType::Int32: return d(C::Int, 32);
    case DType::Int64: return d(C::Int, 64);
    case DType::Float16: return d(C::Float, 16);
    case DType::BFloat16: return d(C::Bfloat, 16);
    case DType::Float32: return d(C::Float, 32);
    case DType::Float64: return d(C::Float, 64);
    default: throw InternalError(cat("cpu kernel: no pooled output of dtype ", dtype_name(t)));
  }
}

// A new contiguous CPU tensor on a pooled buffer; its data pointer goes to *data.
nb::object pooled_tensor(const TensorMeta& m, void** data) {
  auto* t = new PooledTensor{};
  t->bytes = static_cast<size_t>(numel(m.shape)) * static_cast<size_t>(itemsize(m.dtype));
  t->shape = m.shape;
  t->strides = cpu::contiguous_strides(m.shape);
  try {
    t->tensor.data = cpu::pool_acquire(t->bytes);
  } catch (...) {
    delete t;
    throw;
  }
  t->tensor.device = {1, 0};  // kDLCPU
  t->tensor.ndim = static_cast<int32_t>(m.shape.size());
  t->tensor.dtype = dlpack_dtype(m.dtype);
  t->tensor.shape = t->shape.data();
  t->tensor.strides = t->strides.data();
  t->deleter = release_pooled;
  *data = t->tensor.data;
  // the capsule frees the tensor only if torch did not take it (torch renames taken capsules)
  PyObject* cap = PyCapsule_New(t, "dltensor", [](PyObject* c) {
    if (PyCapsule_IsValid(c, "dltensor")) {
      auto* p = static_cast<PooledTensor*>(PyCapsule_GetPointer(c, "dltensor"));
      p->deleter(p);
    }
  });
  if (!cap) {
    release_pooled(t);
    throw nb::python_error();
  }
  nb::object capsule = nb::steal(cap);
  nb::object out = nb::steal(PyObject_CallOneArg(g_from_dlpack.ptr(), capsule.ptr()));
  if (!out.is_valid()) throw nb::python_error();
  return out;
}

// A loaded kernel with the Python objects its calls need, made once.
struct PyKernel {
  std::shared_ptr<const cpu::Kernel> kernel;
  std::vector<nb::object> in_dtypes;
  std::vector<nb::tuple> out_shapes;  // torch.empty's positional arguments
  std::vector<nb::dict> out_kwargs;
  size_t stride_count = 0;
};

PyKernel make_kernel(std::shared_ptr<const cpu::Kernel> k) {
  THUNDER_CHECK(g_empty.is_valid(), Runtime, "cpu fusion: import thunder.runtime.cpu_fusion first");
  PyKernel p;
  p.kernel = std::move(k);
  const auto& src = p.kernel->source();
  for (const auto& m : src.inputs) {
    p.in_dtypes.push_back(nb::borrow(g_dtypes.at(static_cast<size_t>(m.dtype))));
    p.stride_count += m.shape.size();
  }
  for (const auto& m : src.outputs) {
    nb::list shape;
    for (int64_t d : m.shape) shape.append(d);
    p.out_shapes.push_back(nb::make_tuple(nb::tuple(shape)));  // torch.empty(shape, dtype=...)
    nb::dict kw;
    kw["dtype"] = g_dtypes.at(static_cast<size_t>(m.dtype));
    p.out_kwargs.push_back(kw);
  }
  return p;
}

[[noreturn]] void bad_input(const PyKernel& k, size_t i, nb::handle t) {
  std::string got = nb::hasattr(t, "shape") ? nb::str(nb::make_tuple(t.attr("device"), t.attr("dtype"), t.attr("shape"))).c_str()
                                            : nb::type_name(t.type()).c_str();
  throw UserError(ErrorKind::Value, cat("cpu kernel: expected input ", i, " to be a tensor ",
                                        k.kernel->source().inputs[i].str(), ", got ", got));
}

nb::object call(const PyKernel& k, nb::args args) {
  // interned once and never released (a static nb::str would be released after the interpreter)
  static PyObject* const s_dtype = PyUnicode_InternFromString("dtype");
  static PyObject* const s_shape = PyUnicode_InternFromString("shape");
  static PyObject* const s_stride = PyUnicode_InternFromString("stride");
  static PyObject* const s_data_ptr = PyUnicode_InternFromString("data_ptr");
  static PyObject* const s_is_cpu = PyUnicode_InternFromString("is_cpu");
  const auto& src = k.kernel->source();
  size_t n_in = src.inputs.size(), n_out = src.outputs.size();
  THUNDER_CHECK(args.size() == n_in, Type, "cpu kernel: expected ", n_in, " tensors, got ", args.size());
  std::vector<void*> data(n_in + n_out);
  std::vector<int64_t> strides(k.stride_count);
  size_t s = 0;
  for (size_t i = 0; i < n_in; ++i) {
    nb::handle t = args[i];
    PyObject* dt = PyObject_GetAttr(t.ptr(), s_dtype);
    if (!dt) throw nb::python_error();
    bool ok = dt == k.in_dtypes[i].ptr();
    Py_DECREF(dt);
    if (!ok) bad_input(k, i, t);
    nb::object is_cpu = nb::steal(PyObject_GetAttr(t.ptr(), s_is_cpu));
    if (is_cpu.ptr() != Py_True) bad_input(k, i, t);
    nb::object shape = nb::steal(PyObject_GetAttr(t.ptr(), s_shape));
    const Shape& want = src.inputs[i].shape;
    if (!shape.is_valid() || !PyTuple_Check(shape.ptr()) || static_cast<size_t>(PyTuple_GET_SIZE(shape.ptr())) != want.size())
      bad_input(k, i, t);
    for (size_t d = 0; d < want.size(); ++d)
      if (PyLong_AsLongLong(PyTuple_GET_ITEM(shape.ptr(), d)) != want[d]) bad_input(k, i, t);
    nb::object st = nb::steal(PyObject_CallMethodNoArgs(t.ptr(), s_stride));
    if (!st.is_valid()) throw nb::python_error();
    for (size_t d = 0; d < want.size(); ++d) strides[s++] = PyLong_AsLongLong(PyTuple_GET_ITEM(st.ptr(), d));
    nb::object ptr = nb::steal(PyObject_CallMethodNoArgs(t.ptr(), s_data_ptr));
    if (!ptr.is_valid()) throw nb::python_error();
    data[i] = PyLong_AsVoidPtr(ptr.ptr());
  }
  nb::list outs;
  for (size_t j = 0; j < n_out; ++j) {
    const TensorMeta& m = src.outputs[j];
    if (g_from_dlpack.is_valid() && cpu::pool_limit() > 0 &&
        static_cast<size_t>(numel(m.shape)) * static_cast<size_t>(itemsize(m.dtype)) >= cpu::kPooledBytes) {
      outs.append(pooled_tensor(m, &data[n_in + j]));
      continue;
    }
    nb::object o = nb::steal(PyObject_Call(g_empty.ptr(), k.out_shapes[j].ptr(), k.out_kwargs[j].ptr()));
    if (!o.is_valid()) throw nb::python_error();
    nb::object ptr = nb::steal(PyObject_CallMethodNoArgs(o.ptr(), s_data_ptr));
    if (!ptr.is_valid()) throw nb::python_error();
    data[n_in + j] = PyLong_AsVoidPtr(ptr.ptr());
    outs.append(o);
  }
  if (src.work >= cpu::kParallelThreshold) {
    nb::gil_scoped_release release;
    k.kernel->launch(data.data(), strides.data());
  } else {
    k.kernel->launch(data.data(), strides.data());
  }
  return nb::tuple(outs);
}

}  // namespace

namespace thunder::bindings {

void register_cpu_fusion(nb::module_& m) {
  m.def(
      "_register_cpu_fusion",
      [](nb::object empty, nb::list dtypes) {
        g_empty = empty.inc_ref();
        g_dtypes.clear();
        for (nb::handle d : dtypes) g_dtypes.push_back(d.inc_ref());
      },
      "Hands the CPU fusion executor torch.empty and torch's dtypes in DType order (done at import).");
  m.def(
      "_register_cpu_fusion_dlpack", [](nb::object from_dlpack) { g_from_dlpack = from_dlpack.inc_ref(); },
      "Hands the CPU fusion executor torch.utils.dlpack.from_dlpack, for outputs on pooled buffers.");
  m.def(
      "cpu_fusion_pool_stats",
      [] {
        cpu::PoolStats s = cpu::pool_stats();
        nb::dict d;
        d["reused"] = s.reused, d["allocated"] = s.allocated, d["held_bytes"] = s.held_bytes;
        d["limit_bytes"] = cpu::pool_limit();
        return d;
      },
      "Counters of the pool of large output buffers.");
  m.def(
      "cpu_fusion_set_pool_limit", [](size_t bytes) { cpu::set_pool_limit(bytes); }, nb::arg("bytes"),
      "Bytes of freed output buffers kept for reuse (0: none; buffers are freed with their tensors).");
  m.def("cpu_fusion_clear_pool", &cpu::pool_clear, "Frees the output buffers kept for reuse.");
  m.attr("cpu_fusion_pooled_bytes") = cpu::kPooledBytes;
  m.def(
      "cpu_fusion_pooled_empty",
      [](std::vector<int64_t> shape, nb::handle dtype) -> nb::object {
        // torch's types are handed over when thunder.runtime.cpu_fusion is imported
        if (!g_from_dlpack.is_valid() || cpu::pool_limit() == 0) return nb::none();
        DType t = DType::Bool;
        bool found = false;
        for (size_t k = 0; k < g_dtypes.size() && !found; ++k)
          if (g_dtypes[k].is(dtype)) t = static_cast<DType>(k), found = true;
        if (!found || (t != DType::Float32 && t != DType::Float64))
          throw nb::value_error("cpu_fusion_pooled_empty: dtype must be torch.float32 or torch.float64");
        for (int64_t d : shape)
          if (d < 0) throw nb::value_error("cpu_fusion_pooled_empty: negative size");
        TensorMeta m{Shape(shape.begin(), shape.end()), t, Device{}, false};
        if (static_cast<size_t>(numel(m.shape)) * static_cast<size_t>(itemsize(m.dtype)) < cpu::kPooledBytes)
          return nb::none();
        void* data = nullptr;
        return pooled_tensor(m, &data);
      },
      nb::arg("shape"), nb::arg("dtype"),
      "A new contiguous float32 or float64 CPU tensor on a pooled buffer, or None where it is below "
      "cpu_fusion_pooled_bytes or the pool is off: for large outputs ATen writes (matmul's), which then "
      "reuse freed buffers instead of faulting in new pages.");

  nb::class_<PyKernel>(m, "CpuKernel", "A compiled CPU kernel of a fused region; call it with the region's input tensors.")
      .def("__call__", &call, "Runs the kernel; returns a tuple of new output tensors.")
      .def_prop_ro("source", [](const PyKernel& k) { return k.kernel->source().source; })
      .def_prop_ro("cache_path", [](const PyKernel& k) { return cpu::cache_path(k.kernel->source().source); })
      .def_prop_ro("num_inputs", [](const PyKernel& k) { return k.kernel->source().inputs.size(); })
      .def_prop_ro("num_outputs", [](const PyKernel& k) { return k.kernel->source().outputs.size(); });

  m.def(
      "cpu_fusion_compile",
      [](const BoundSymbol& region) {
        std::shared_ptr<const cpu::Kernel> k;
        cpu::KernelSource src = cpu::generate(region);
        {
          nb::gil_scoped_release release;
          k = cpu::load_kernel(src);
        }
        return make_kernel(std::move(k));
      },
      nb::arg("region"), "Generates, compiles (or finds in the caches) and loads a region's kernel.");
  m.def(
      "cpu_fusion_source", [](const BoundSymbol& region) { return cpu::generate(region).source; }, nb::arg("region"),
      "The C source of a region's kernel.");
  m.def("cpu_fusion_worth_fusing", &cpu::worth_fusing, nb::arg("bsym"),
        "Whether the cpu_fusion executor claims the call: what can_fuse accepts, less what ATen runs faster.");
  m.def("cpu_fusion_can_fuse", &cpu::can_fuse, nb::arg("bsym"),
        "Whether the CPU code generator supports this prim call for its dtypes, shapes and device.");
  m.def("cpu_fusion_unsupported", &cpu::region_unsupported, nb::arg("region"),
        "Why a region cannot become one CPU kernel, or None.");
  m.def("cpu_fusion_region", &cpu::region_from_trace, nb::arg("trace"),
        "A region of all the prims of a trace (for tests and benchmarks).");
  m.def("cpu_fusion_cache_dir", &cpu::cache_dir, "The kernel cache folder.");
  m.def(
      "cpu_fusion_cache_stats",
      [] {
        cpu::CacheStats s = cpu::cache_stats();
        nb::dict d;
        d["memory_hits"] = s.memory_hits, d["disk_hits"] = s.disk_hits, d["compiles"] = s.compiles,
        d["corrupt"] = s.corrupt;
        return d;
      },
      "Counters of the kernel caches in this process.");
  m.def("cpu_fusion_clear_memory_cache", &cpu::clear_memory_cache,
        "Forgets the kernels loaded in this process (the disk cache stays).");
  m.def(
      "cpu_attention_kernel",
      [](bool backward, int64_t B, int64_t H, int64_t L, int64_t S, int64_t E, bool causal, std::optional<double> scale,
         bool float64) {
        cpu::AttentionSpec a{B, H, L, S, E, causal, scale, float64 ? DType::Float64 : DType::Float32};
        cpu::KernelSource src = backward ? cpu::attention_backward(a) : cpu::attention_forward(a);
        std::shared_ptr<const cpu::Kernel> k;
        {
          nb::gil_scoped_release release;
          k = cpu::load_kernel(src);
        }
        return make_kernel(std::move(k));
      },
      nb::arg("backward"), nb::arg("B"), nb::arg("H"), nb::arg("L"), nb::arg("S"), nb::arg("E"), nb::arg("causal"),
      nb::arg("scale").none(), nb::arg("float64"),
      "The CPU attention kernel (forward: q, k, v -> out [B, L, H, E], logsumexp; backward: grad, q, k, v, out, "
      "logsumexp -> dq, dk, dv [B, L or S, H, E]) for these shapes.");
  m.def("cpu_fusion_set_threads", &cpu::set_num_threads, nb::arg("n"), "Threads fused CPU kernels use.");
  m.def("cpu_fusion_threads", &cpu::num_threads, "Threads fused CPU kernels use.");
}

}  // namespace thunder::bindings
