// thunder._C: the only file that includes Python headers. It exposes the IR for inspection, the
// trace builder the Python frontend records into, the op table, and the pass pipeline.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings/cpu_fusion.h"
#include "bindings/executors.h"
#include "bindings/prologue.h"
#include <memory>
#include <unordered_map>

#include "ir/error.h"
#include "ir/trace.h"
#include "ops/ops.h"
#include "transforms/passes.h"

namespace nb = nanobind;
using namespace thunder;

namespace {

// torch objects the converter recognizes, handed over by the Python package at import.
nb::handle g_dtype_map;     // dict: torch.dtype -> DType
nb::handle g_device_type;   // torch.device
nb::handle g_dtype_type;    // torch.dtype

Value from_py(nb::handle h);

Value sequence_from_py(nb::handle h, bool is_list) {
  std::vector<Value> items;
  for (nb::handle item : h) items.push_back(from_py(item));
  return Value::sequence(std::move(items), is_list);
}

Value from_py(nb::handle h) {
  if (nb::isinstance<Value>(h)) return nb::cast<Value>(h);
  if (h.is_none()) return Value::none();
  if (PyBool_Check(h.ptr())) return Value::constant(h.ptr() == Py_True);
  if (PyLong_Check(h.ptr())) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
    THUNDER_CHECK(!overflow, Value, "integer ", nb::str(h).c_str(), " does not fit in 64 bits");
    return Value::constant(static_cast<int64_t>(v));
  }
  if (PyFloat_Check(h.ptr())) return Value::constant(PyFloat_AsDouble(h.ptr()));
  if (PyComplex_Check(h.ptr()))
    return Value::constant(Complex(PyComplex_RealAsDouble(h.ptr()), PyComplex_ImagAsDouble(h.ptr())));
  if (PyUnicode_Check(h.ptr())) return Value::constant(nb::cast<std::string>(h));
  if (PySlice_Check(h.ptr())) {
    auto bound = [&](const char* name) -> std::optional<int64_t> {
      nb::object b = h.attr(name);
      if (b.is_none()) return std::nullopt;
      Value v = from_py(b);
      THUNDER_CHECK(v.is_int(), Type, "slice indices must be integers or None, got ", type_name(v));
      return v.as_int();
    };
    return Value::constant(Slice{bound("start"), bound("stop"), bound("step")});
  }
  if (h.ptr() == Py_Ellipsis) return Value::constant(EllipsisType{});
  if (PyTuple_Check(h.ptr())) return sequence_from_py(h, false);
  if (PyList_Check(h.ptr())) return sequence_from_py(h, true);
  if (g_dtype_type && nb::isinstance(h, g_dtype_type))
    return Value::constant(nb::cast<DType>(nb::borrow<nb::dict>(g_dtype_map)[h]));
  if (g_device_type && nb::isinstance(h, g_device_type))
    return Value::constant(Device::parse(nb::cast<std::string>(nb::str(h))));
  if (nb::hasattr(h, "_thunder_value")) return nb::cast<Value>(h.attr("_thunder_value"));
  throw UserError(ErrorKind::Type, cat("cannot use a value of type ", nb::type_name(h.type()).c_str(),
                                       " in a traced call: expected a tensor, a number, a string, None, a dtype, "
                                       "a device, a slice, Ellipsis, or a tuple or list of these"));
}

nb::object to_py(const Value& v) {
  if (!v) return nb::none();
  switch (v.kind()) {
    case ValueKind::Tensor:
    case ValueKind::Number: return nb::cast(v);
    case ValueKind::Sequence: {
      nb::list items;
      for (const auto& item : v.items()) items.append(to_py(item));
      if (v.is_list()) return items;
      return nb::tuple(items);
    }
    case ValueKind::Constant: break;
  }
  return std::visit(
      [](const auto& c) -> nb::object {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, NoneType>) return nb::none();
        else if constexpr (std::is_same_v<T, Complex>)
          return nb::steal(PyComplex_FromDoubles(c.real(), c.imag()));
        else if constexpr (std::is_same_v<T, Device>) return nb::cast(c.str());
        else if constexpr (std::is_same_v<T, Slice>) {
          auto bound = [](const std::optional<int64_t>& b) { return b ? nb::cast(*b) : nb::none(); };
          return nb::steal(PySlice_New(bound(c.start).ptr(), bound(c.stop).ptr(), bound(c.step).ptr()));
        } else if constexpr (std::is_same_v<T, EllipsisType>) return nb::borrow(Py_Ellipsis);
        else return nb::cast(c);
      },
      v.constant_value());
}

nb::list to_py_list(const std::vector<Value>& vs) {
  nb::list out;
  for (const auto& v : vs) out.append(to_py(v));
  return out;
}

// Fallback symbols, made at run time: one per torch callable and set of keyword names. They
// live as long as the process (traces point at them).
std::unordered_map<std::string, std::unique_ptr<Symbol>>& fallback_symbols() {
  static std::unordered_map<std::string, std::unique_ptr<Symbol>> symbols;
  return symbols;
}

// A torch call outside the op table, run as one opaque ATen call. Its arguments are the call's
// positionals (one sequence), a description of its outputs that the Python side got from torch's
// meta device (`_meta`: (is_tuple, [(shape, dtype, device), ...])), and its keyword arguments.
// Custom operators (thunder.extend.register_operator) are made the same way under "custom.".
const Symbol& fallback_symbol(const std::string& print_name, const std::vector<std::string>& keywords,
                              const std::string& prefix = "fallback") {
  std::string name = prefix + "." + print_name;
  for (const auto& k : keywords) name += "." + k;
  auto& table = fallback_symbols();
  auto it = table.find(name);
  if (it != table.end()) return *it->second;
  std::string schema = name + "(args, _meta";
  if (!keywords.empty()) schema += ", *";
  for (const auto& k : keywords) schema += ", " + k + "='<unset>'";  // never equal to a real value
  schema += ")";
  auto sym = std::make_unique<Symbol>(OpSpec{
      .schema = schema,
      .print_name = print_name,
      .fusion = FusionClass::Opaque,
      .print =
          [print_name, keywords](const std::vector<Value>& args) {
            std::string s = print_name + "(";
            const auto& pos = args.at(0).items();
            for (size_t i = 0; i < pos.size(); ++i) s += (i ? ", " : "") + python_repr(pos[i]);
            for (size_t i = 0; i < keywords.size(); ++i)
              s += (pos.empty() && i == 0 ? "" : ", ") + keywords[i] + "=" + python_repr(args.at(2 + i));
            return s + ")";
          },
      .impl =
          [](const Args& a) {
            const auto& meta = a[1].items();
            std::vector<Value> outs;
            for (const auto& m : meta.at(1).items()) {
              const auto& f = m.items();
              Shape shape;
              for (const auto& d : f.at(0).items()) shape.push_back(d.as_int());
              outs.push_back(new_tensor(shape, std::get<DType>(f.at(1).constant_value()),
                                        std::get<Device>(f.at(2).constant_value())));
            }
            if (meta.at(0).as_bool()) return Value::sequence(outs);
            THUNDER_ASSERT(outs.size() == 1, "fallback: one output expected");
            return outs[0];
          },
  });
  return *table.emplace(name, std::move(sym)).first->second;
}

Kwargs kwargs_from_py(nb::dict kwargs) {
  Kwargs out;
  for (auto [k, v] : kwargs) out.emplace_back(nb::cast<std::string>(k), from_py(v));
  return out;
}

}  // namespace

NB_MODULE(_C, m) {
  m.doc() = "thunder's C++ core";
  // Compiled functions (and the CpuKernels their execution traces bind) live in module globals
  // and caches until interpreter shutdown, after this module's teardown: not leaks, so nanobind's
  // exit report would only be noise on every run.
  nb::set_leak_warnings(false);

  static nb::object internal_error = nb::exception<InternalError>(m, "InternalError", PyExc_RuntimeError);
  (void)internal_error;
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const UserError& e) {
      PyObject* type = PyExc_RuntimeError;
      switch (e.kind()) {
        case ErrorKind::Type: type = PyExc_TypeError; break;
        case ErrorKind::Value: type = PyExc_ValueError; break;
        case ErrorKind::Index: type = PyExc_IndexError; break;
        case ErrorKind::NotImplemented: type = PyExc_NotImplementedError; break;
        case ErrorKind::Runtime: break;
      }
      PyErr_SetString(type, e.what());
    }
  });

  nb::enum_<DType> dtype(m, "DType");
  for (int i = 0; i < kNumDTypes; ++i) {
    auto t = static_cast<DType>(i);
    dtype.value(std::string(dtype_name(t)).c_str(), t);
  }

  m.def(
      "c10_name", [](DType t) { return std::string(dtype_c10_name(t)); },
      "torch's ScalarType name of a dtype, as its messages spell it (\"Float\", \"Long\").");
  m.def(
      "_register_torch_types",
      [](nb::dict dtype_map, nb::handle dtype_type, nb::handle device_type) {
        g_dtype_map = dtype_map.inc_ref();
        g_dtype_type = dtype_type.inc_ref();
        g_device_type = device_type.inc_ref();
      },
      "Hands the converter torch's dtype and device types (called once by thunder at import).");

  nb::class_<Value>(m, "Value", "A proxy, constant or sequence in a trace.")
      .def_static("from_python", &from_py, "Converts a Python value (number, str, None, dtype, device, sequence).")
      .def_prop_ro("kind",
                   [](const Value& v) {
                     static const char* kNames[] = {"tensor", "number", "constant", "sequence"};
                     return kNames[static_cast<int>(v.kind())];
                   })
      .def_prop_ro("name", &Value::name)
      .def_prop_ro("shape",
                   [](const Value& v) {
                     nb::list l;
                     for (int64_t d : v.shape()) l.append(d);
                     return nb::tuple(l);
                   })
      .def_prop_ro("dtype", &Value::dtype)
      .def_prop_ro("device", [](const Value& v) { return v.meta().device.str(); })
      .def_prop_ro("requires_grad", [](const Value& v) { return v.meta().requires_grad; })
      .def_prop_ro("is_tensor", &Value::is_tensor)
      .def_prop_ro("value", [](const Value& v) { return to_py(v); })
      .def("__repr__", [](const Value& v) {
        if (v.is_tensor()) return "<TensorProxy " + v.name() + ": " + v.meta().str() + ">";
        return "<Value " + python_repr(v) + ">";
      });

  nb::class_<Symbol>(m, "Symbol", "An op of the table.")
      .def_prop_ro("name", &Symbol::name)
      .def_prop_ro("print_name", &Symbol::print_name)
      .def_prop_ro("schema", &Symbol::schema)
      .def_prop_ro("torch_names", &Symbol::torch_names)
      .def_prop_ro("param_names",
                   [](const Symbol& s) {
                     std::vector<std::string> names;
                     for (const auto& p : s.params()) names.push_back(p.name);
                     return names;
                   })
      .def_prop_ro("reflected_names", &Symbol::reflected_names)
      .def_prop_ro("inplace_names", &Symbol::inplace_names)
      .def_prop_ro("is_prim", &Symbol::is_prim)
      .def_prop_ro("fusion", [](const Symbol& s) { return std::string(fusion_class_name(s.fusion())); })
      .def_prop_ro("aten", &Symbol::aten)
      .def_prop_ro("view", &Symbol::view)
      .def_prop_ro("side_effect", &Symbol::side_effect)
      .def_prop_ro("updates", &Symbol::updates)
      .def_prop_ro("decompose_only", &Symbol::decompose_only)
      .def("__repr__", [](const Symbol& s) { return "<Symbol " + s.name() + ">"; });

  nb::class_<BoundSymbol>(m, "BoundSymbol", "One call in a trace.")
      .def_prop_ro("sym", [](const BoundSymbol& b) { return b.sym; }, nb::rv_policy::reference)
      .def_prop_ro("args", [](const BoundSymbol& b) { return to_py_list(b.args); })
      .def_prop_ro("output", [](const BoundSymbol& b) { return to_py(b.output); })
      .def_prop_ro("subsymbols", [](const BoundSymbol& b) { return b.subsymbols; })
      .def_prop_ro("source", [](const BoundSymbol& b) { return nb::make_tuple(b.loc.file, b.loc.line); })
      .def("__repr__", [](const BoundSymbol& b) { return "<BoundSymbol " + b.sym->name() + ">"; });

  nb::class_<Trace>(m, "Trace", "A program of bound symbols; str() gives its Python source.")
      .def_prop_ro("header", [](const Trace& t) { return t.header; })
      .def_prop_ro("fn_name", [](const Trace& t) { return t.fn_name; })
      .def_prop_ro("bound_symbols", [](const Trace& t) { return t.bound_symbols; })
      .def_prop_ro("inputs", [](const Trace& t) { return to_py_list(t.inputs); })
      .def_prop_ro("output", [](const Trace& t) { return to_py(t.output); })
      .def_prop_ro("seconds", [](const Trace& t) { return t.seconds; })
      .def_prop_rw(
          "grad_enabled", [](const Trace& t) { return t.grad_enabled; },
          [](Trace& t, bool on) { t.grad_enabled = on; })
      .def("__str__", &Trace::str)
      .def("python", &Trace::str, "The trace as Python source.")
      .def("__repr__", [](const Trace& t) { return "<Trace constructed by " + t.header + ">"; });

  nb::class_<TraceBuilder>(m, "TraceBuilder", "Records the calls of one traced program.")
      .def(nb::init<>())
      .def(
          "add_input",
          [](TraceBuilder& b, const std::string& name, std::vector<int64_t> shape, DType dtype,
             const std::string& device, bool requires_grad) {
            return b.add_input(name, TensorMeta{std::move(shape), dtype, Device::parse(device), requires_grad});
          },
          nb::arg("name"), nb::arg("shape"), nb::arg("dtype"), nb::arg("device"), nb::arg("requires_grad") = false)
      .def(
          "add_number_input",
          [](TraceBuilder& b, const std::string& name, const std::string& type) {
            THUNDER_CHECK(type == "int" || type == "float", Value, "add_number_input: type must be 'int' or 'float'");
            return b.add_number_input(name, type == "int" ? NumberType::Int : NumberType::Float);
          },
          nb::arg("name"), nb::arg("type"), "Adds a symbolic number input ('int' or 'float').")
      .def(
          "record",
          [](TraceBuilder& b, const Symbol& sym, nb::tuple args, nb::dict kwargs, std::string file, int line) {
            std::vector<Value> pos;
            for (nb::handle a : args) pos.push_back(from_py(a));
            TraceBuilder::Scope scope(b);
            b.set_location({std::move(file), line});
            return to_py(b.record(sym, std::move(pos), kwargs_from_py(kwargs)));
          },
          nb::arg("sym"), nb::arg("args"), nb::arg("kwargs"), nb::arg("file") = "", nb::arg("line") = 0)
      .def(
          "record_fallback",
          [](TraceBuilder& b, const std::string& print_name, nb::tuple args, nb::dict kwargs, bool is_tuple,
             nb::list outputs, std::string file, int line, const std::string& prefix) {
            std::vector<std::string> keywords;
            Kwargs kw;
            for (auto [k, v] : kwargs) {
              keywords.push_back(nb::cast<std::string>(k));
              kw.emplace_back(keywords.back(), from_py(v));
            }
            std::vector<Value> pos;
            for (nb::handle a : args) pos.push_back(from_py(a));
            std::vector<Value> metas;
            for (nb::handle o : outputs) {
              nb::tuple t = nb::borrow<nb::tuple>(o);
              std::vector<Value> dims;
              for (nb::handle d : t[0]) dims.push_back(Value::constant(nb::cast<int64_t>(d)));
              metas.push_back(Value::sequence({Value::sequence(dims), Value::constant(nb::cast<DType>(t[1])),
                                               Value::constant(Device::parse(nb::cast<std::string>(t[2])))}));
            }
            Value meta = Value::sequence({Value::constant(is_tuple), Value::sequence(metas)});
            TraceBuilder::Scope scope(b);
            b.set_location({std::move(file), line});
            THUNDER_CHECK(prefix == "fallback" || prefix == "custom", Value, "record_fallback: unknown prefix ", prefix);
            const Symbol& sym = fallback_symbol(print_name, keywords, prefix);
            return to_py(b.record(sym, {Value::sequence(pos), meta}, kw));
          },
          nb::arg("print_name"), nb::arg("args"), nb::arg("kwargs"), nb::arg("is_tuple"), nb::arg("outputs"),
          nb::arg("file") = "", nb::arg("line") = 0, nb::arg("prefix") = "fallback",
          "Records a torch call outside the op table (or, with prefix 'custom', a custom operator's call) as one\n"
          "opaque call with the given output metadata.")
      .def("set_output", [](TraceBuilder& b, nb::handle out) { b.set_output(from_py(out)); })
      .def("finish", &TraceBuilder::finish, nb::arg("header") = "Tracing");

  m.def(
      "op_table",
      [] {
        std::vector<const Symbol*> out(ops::op_table().all().begin(), ops::op_table().all().end());
        return out;
      },
      nb::rv_policy::reference, "Every op, in registration order.");
  thunder::bindings::register_prologue(m);
  thunder::bindings::register_executors(m);
  thunder::bindings::register_cpu_fusion(m);
  m.def("verify", &verify, "Checks a trace's invariants; raises InternalError naming the first violation.");
}
