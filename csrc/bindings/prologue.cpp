#include "bindings/prologue.h"

#include <nanobind/stl/vector.h>

#include <cstdint>
#include <vector>

namespace nb = nanobind;

namespace thunder::bindings {

namespace {

// Attribute names, interned once.
PyObject* s_shape = nullptr;
PyObject* s_dtype = nullptr;
PyObject* s_device = nullptr;
PyObject* s_requires_grad = nullptr;
PyObject* s_is_cpu = nullptr;

/// What one positional argument must be for a specialization to apply.
struct InputCheck {
  bool is_tensor = false;
  // tensors: the accepted types (torch.Tensor, nn.Parameter) and the metadata
  std::vector<PyTypeObject*> types;
  std::vector<int64_t> shape;
  nb::object dtype, device;
  bool requires_grad = false;
  bool cpu = false;  // checked through is_cpu, which allocates nothing
  // anything else: the exact type and a value compared with == (a symbolic number: the type only)
  PyTypeObject* type = nullptr;
  nb::object value;
  bool type_only = false;
};

bool tensor_matches(const InputCheck& c, PyObject* obj) {
  bool type_ok = false;
  for (PyTypeObject* t : c.types) type_ok = type_ok || Py_TYPE(obj) == t;
  if (!type_ok) return false;
  PyObject* dtype = PyObject_GetAttr(obj, s_dtype);
  if (!dtype) return PyErr_Clear(), false;
  bool ok = dtype == c.dtype.ptr();
  Py_DECREF(dtype);
  if (!ok) return false;
  PyObject* rg = PyObject_GetAttr(obj, s_requires_grad);
  if (!rg) return PyErr_Clear(), false;
  ok = (rg == Py_True) == c.requires_grad;
  Py_DECREF(rg);
  if (!ok) return false;
  PyObject* shape = PyObject_GetAttr(obj, s_shape);  // a torch.Size, which is a tuple
  if (!shape) return PyErr_Clear(), false;
  ok = PyTuple_Check(shape) && static_cast<size_t>(PyTuple_GET_SIZE(shape)) == c.shape.size();
  for (size_t i = 0; ok && i < c.shape.size(); ++i)
    ok = PyLong_AsLongLong(PyTuple_GET_ITEM(shape, i)) == c.shape[i];
  Py_DECREF(shape);
  if (!ok) return false;
  if (c.cpu) {
    PyObject* is_cpu = PyObject_GetAttr(obj, s_is_cpu);
    if (!is_cpu) return PyErr_Clear(), false;
    ok = is_cpu == Py_True;
    Py_DECREF(is_cpu);
    return ok;
  }
  PyObject* device = PyObject_GetAttr(obj, s_device);
  if (!device) return PyErr_Clear(), false;
  int eq = PyObject_RichCompareBool(device, c.device.ptr(), Py_EQ);
  Py_DECREF(device);
  if (eq < 0) PyErr_Clear();
  return eq == 1;
}

bool matches(const InputCheck& c, PyObject* obj) {
  if (c.is_tensor) return tensor_matches(c, obj);
  if (Py_TYPE(obj) != c.type) return false;
  if (c.type_only || obj == c.value.ptr()) return true;
  int eq = PyObject_RichCompareBool(obj, c.value.ptr(), Py_EQ);
  if (eq < 0) PyErr_Clear();
  return eq == 1;
}

/// A tensor input that is not an argument (a parameter, a buffer, a global): where to read it on
/// every call, and what it must be.
struct ExtraInput {
  enum class Source { DictItem, Cell, Object } source;
  nb::object holder;  // the dict, the cell, or the tensor itself
  nb::object key;     // DictItem: the key
  InputCheck check;

  /// A borrowed reference to the current tensor, or nullptr when it is gone.
  PyObject* read() const {
    switch (source) {
      case Source::DictItem: {
        PyObject* v = PyDict_GetItemWithError(holder.ptr(), key.ptr());
        if (!v) PyErr_Clear();
        return v;
      }
      case Source::Cell: return PyCell_GET(holder.ptr());
      case Source::Object: return holder.ptr();
    }
    return nullptr;
  }
};

struct Specialization {
  std::vector<InputCheck> checks;
  bool grad_enabled;
  nb::object entry;   // the Python specialization object
  nb::object target;  // what a matching call runs, with the arguments then the extra inputs
  uint64_t last_used = 0;
  std::vector<ExtraInput> extras;
};

InputCheck tensor_check(nb::handle types, nb::handle shape, nb::handle dtype, nb::handle device, nb::handle rg) {
  InputCheck c;
  c.is_tensor = true;
  for (nb::handle ty : types) c.types.push_back(reinterpret_cast<PyTypeObject*>(ty.ptr()));
  for (nb::handle d : shape) c.shape.push_back(nb::cast<int64_t>(d));
  c.dtype = nb::borrow(dtype);
  c.device = nb::borrow(device);
  c.requires_grad = nb::cast<bool>(rg);
  c.cpu = nb::cast<std::string>(nb::str(c.device)) == "cpu";
  return c;
}

/// The specializations of one compiled function that plain positional calls can be matched
/// against, in the order they were compiled.
class Dispatcher {
 public:
  /// Runs the first specialization whose checks `args` and its extra inputs pass (counted as a
  /// hit and remembered as the last one used): calls its target with the arguments followed by
  /// the extra inputs. Returns `miss` when none applies.
  nb::object call(nb::tuple args, bool grad_enabled, nb::handle miss) {
    PyObject* tuple = args.ptr();
    size_t n = static_cast<size_t>(PyTuple_GET_SIZE(tuple));
    std::vector<PyObject*> extras;
    for (auto& s : specs_) {
      if (s.grad_enabled != grad_enabled || s.checks.size() != n) continue;
      bool ok = true;
      for (size_t i = 0; ok && i < n; ++i) ok = matches(s.checks[i], PyTuple_GET_ITEM(tuple, i));
      extras.clear();
      for (size_t i = 0; ok && i < s.extras.size(); ++i) {
        PyObject* t = s.extras[i].read();
        ok = t && matches(s.extras[i].check, t);
        extras.push_back(t);
      }
      if (!ok) continue;
      ++hits_;
      last_ = s.entry;
      s.last_used = ++clock_;
      if (extras.empty()) {
        PyObject* out = PyObject_Call(s.target.ptr(), tuple, nullptr);
        if (!out) throw nb::python_error();
        return nb::steal(out);
      }
      PyObject* all = PyTuple_New(static_cast<Py_ssize_t>(n + extras.size()));
      for (size_t i = 0; i < n; ++i) {
        PyObject* a = PyTuple_GET_ITEM(tuple, i);
        Py_INCREF(a);
        PyTuple_SET_ITEM(all, i, a);
      }
      for (size_t i = 0; i < extras.size(); ++i) {
        Py_INCREF(extras[i]);
        PyTuple_SET_ITEM(all, n + i, extras[i]);
      }
      PyObject* out = PyObject_Call(s.target.ptr(), all, nullptr);
      Py_DECREF(all);
      if (!out) throw nb::python_error();
      return nb::steal(out);
    }
    return nb::borrow(miss);
  }

  /// Adds a specialization. `inputs` holds, per positional argument, one of
  /// ("tensor", (types...), shape, dtype, device, requires_grad), ("value", value) or
  /// ("type", type) (a symbolic number: any value of that exact type). `extras` holds, per extra
  /// input, (source, holder, key, types, shape, dtype, device, requires_grad) with source "dict",
  /// "cell" or "object".
  void add(nb::list inputs, bool grad_enabled, nb::object entry, nb::object target, nb::list extras) {
    Specialization s{{}, grad_enabled, std::move(entry), std::move(target), ++clock_, {}};
    for (nb::handle item : extras) {
      nb::tuple t = nb::borrow<nb::tuple>(item);
      std::string source = nb::cast<std::string>(t[0]);
      ExtraInput e{source == "dict"   ? ExtraInput::Source::DictItem
                   : source == "cell" ? ExtraInput::Source::Cell
                                      : ExtraInput::Source::Object,
                   nb::borrow(t[1]), nb::borrow(t[2]), tensor_check(t[3], t[4], t[5], t[6], t[7])};
      s.extras.push_back(std::move(e));
    }
    for (nb::handle item : inputs) {
      nb::tuple t = nb::borrow<nb::tuple>(item);
      InputCheck c;
      std::string what = nb::cast<std::string>(t[0]);
      if (what == "tensor") {
        c = tensor_check(t[1], t[2], t[3], t[4], t[5]);
      } else if (what == "type") {
        c.value = nb::borrow(t[1]);
        c.type = reinterpret_cast<PyTypeObject*>(t[1].ptr());
        c.type_only = true;
      } else {
        c.value = nb::borrow(t[1]);
        c.type = Py_TYPE(c.value.ptr());
      }
      s.checks.push_back(std::move(c));
    }
    specs_.push_back(std::move(s));
  }

  void clear() {
    specs_.clear();
    last_ = nb::none();
  }

  /// Visits every Python object held, for the garbage collector (entries refer back to the
  /// compiled function that owns this dispatcher).
  int traverse(visitproc visit, void* arg) const {
    for (const auto& s : specs_) {
      Py_VISIT(s.entry.ptr());
      Py_VISIT(s.target.ptr());
      for (const auto& c : s.checks) Py_VISIT(c.value.ptr());
      for (const auto& e : s.extras) Py_VISIT(e.holder.ptr());
    }
    Py_VISIT(last_.ptr());
    return 0;
  }
  size_t size() const { return specs_.size(); }
  int64_t hits() const { return hits_; }
  /// Advances the clock and marks `entry` (if held) as used now; returns the new time.
  uint64_t touch(nb::handle entry) {
    ++clock_;
    for (auto& s : specs_)
      if (s.entry.ptr() == entry.ptr()) s.last_used = clock_;
    return clock_;
  }
  /// When `entry` was last matched (0 when not held).
  uint64_t last_used(nb::handle entry) const {
    for (const auto& s : specs_)
      if (s.entry.ptr() == entry.ptr()) return s.last_used;
    return 0;
  }
  void remove(nb::handle entry) {
    std::erase_if(specs_, [&](const Specialization& s) { return s.entry.ptr() == entry.ptr(); });
  }
  /// Undoes the count of a hit whose target then declined the call (a guard failed).
  void uncount() { --hits_; }
  nb::object last() const { return last_; }
  void set_last(nb::object e) { last_ = std::move(e); }

 private:
  std::vector<Specialization> specs_;
  int64_t hits_ = 0;
  uint64_t clock_ = 0;
  nb::object last_ = nb::none();
};

int dispatcher_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(self)) return 0;
  return nb::inst_ptr<Dispatcher>(self)->traverse(visit, arg);
}

int dispatcher_clear(PyObject* self) {
  nb::inst_ptr<Dispatcher>(self)->clear();
  return 0;
}

PyType_Slot dispatcher_slots[] = {
    {Py_tp_traverse, reinterpret_cast<void*>(dispatcher_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(dispatcher_clear)},
    {0, nullptr},
};

}  // namespace

void register_prologue(nb::module_& m) {
  s_shape = PyUnicode_InternFromString("shape");
  s_dtype = PyUnicode_InternFromString("dtype");
  s_device = PyUnicode_InternFromString("device");
  s_requires_grad = PyUnicode_InternFromString("requires_grad");
  s_is_cpu = PyUnicode_InternFromString("is_cpu");
  nb::class_<Dispatcher>(m, "Dispatcher", nb::type_slots(dispatcher_slots),
                         "Matches a call's positional arguments against compiled specializations (the "
                         "prologue's checks of tensor metadata and constant values).")
      .def(nb::init<>())
      .def("call", &Dispatcher::call, nb::arg("args"), nb::arg("grad_enabled"), nb::arg("miss"))
      .def("add", &Dispatcher::add, nb::arg("inputs"), nb::arg("grad_enabled"), nb::arg("entry"), nb::arg("target"),
           nb::arg("extras"))
      .def("clear", &Dispatcher::clear)
      .def_prop_ro("hits", &Dispatcher::hits)
      .def("touch", &Dispatcher::touch)
      .def("last_used", &Dispatcher::last_used)
      .def("remove", &Dispatcher::remove)
      .def("uncount", &Dispatcher::uncount)
      .def_prop_rw("last", &Dispatcher::last, &Dispatcher::set_last)
      .def("__len__", &Dispatcher::size);
}

}  // namespace thunder::bindings
