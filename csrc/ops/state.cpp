// Ops about where values live and what changes outside the trace: moves between devices, the
// write-back of in-place updates into a trace's inputs, and switches of torch's grad mode.
#include "ir/error.h"
#include "ir/shape.h"
#include "ops/ops.h"

namespace thunder::ops {

void register_state(Registry& r) {
  // dst (an input of the trace) takes src's values; what in-place updates of inputs become once
  // the traced program has been made functional
  r.add({.schema = "prims.copy_(dst, src)",
         .fusion = FusionClass::Opaque,
         .aten = "torch.Tensor.copy_",
         .side_effect = true,
         .impl = [](const Args& a) {
           const Value& dst = a.tensor(0);
           const Value& src = a.tensor(1);
           THUNDER_ASSERT(dst.shape() == src.shape() && dst.dtype() == src.dtype(), "prims.copy_: ", src.meta().str(),
                          " does not fit ", dst.meta().str());
           return Value::none();
         }});

  // Methods torch offers only in place, as functions: the frontend writes the result into the
  // first argument. x.copy_(src): src broadcast to x's shape, cast to its dtype, moved to its
  // device (aten::copy is the functional form torch itself uses)
  r.add({.schema = "copy(input, src, non_blocking=False)",
         .print_name = "torch.ops.aten.copy",
         .inplace_names = {"torch.Tensor.copy_"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& src = a.tensor(1);
           THUNDER_CHECK(broadcast_shapes(src.shape(), x.shape()) == x.shape(), Runtime, "copy_: source of shape ",
                         shape_str(src.shape()), " cannot be broadcast to the destination's shape ",
                         shape_str(x.shape()));
           return broadcast_to(convert(to_device(src, x.meta().device), x.dtype()), x.shape());
         }});
  // x.fill_(value): a number, or a zero-dim tensor
  r.add({.schema = "fill(input, value)",
         .print_name = "torch.fill",
         .torch_names = {"torch.fill"},
         .inplace_names = {"torch.Tensor.fill_", "torch.fill_"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& value = a.tensor_or_number(1);
           if (value.is_number()) return call("full_like", {x, value});
           THUNDER_CHECK(value.rank() == 0, Runtime, "fill_ only supports 0-dimension value tensor but got tensor with ",
                         value.rank(), " dimensions.");
           return broadcast_to(convert(to_device(value, x.meta().device), x.dtype()), x.shape());
         }});
  r.add({.schema = "zero(input)",
         .print_name = "torch.zeros_like",
         .inplace_names = {"torch.Tensor.zero_", "torch.zero_"},
         .impl = [](const Args& a) { return call("zeros_like", {a.tensor(0)}); }});

  // a tensor moved to another device (a zero-dim CPU tensor joining CUDA tensors, say)
  r.add({.schema = "prims.device_put(a, device)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, device: a.to(device)",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           const Value& d = a[1];
           THUNDER_ASSERT(d.is_constant() && std::holds_alternative<Device>(d.constant_value()),
                          "prims.device_put: expected a device");
           return new_tensor(t.shape(), t.dtype(), std::get<Device>(d.constant_value()));
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {to_device(g, a[0].meta().device), Value()};
         }});

  // The gradient of an opaque call without a VJP rule, for backward traces: the call (a lambda
  // of the tensors it reads, printed as code) runs again under torch.autograd with those tensors;
  // returns the gradients of the tensors `needs` marks, one each
  r.add({.schema = "prims.recompute_vjp(fn, inputs, cotangents, needs)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda *a: __import__('thunder.runtime.autograd', fromlist=['recompute_vjp']).recompute_vjp(*a)",
         .print = [](const std::vector<Value>& args) {
           return cat("prims.recompute_vjp(", std::get<std::string>(args.at(0).constant_value()), ", ",
                      python_repr(args.at(1)), ", ", python_repr(args.at(2)), ", ", python_repr(args.at(3)), ")");
         },
         .impl = [](const Args& a) {
           std::vector<Value> grads;
           const auto& inputs = a.tensor_list(1);
           const auto& needs = a[3].items();
           for (size_t i = 0; i < inputs.size(); ++i)
             if (needs.at(i).as_bool()) grads.push_back(new_tensor(inputs[i].shape(), inputs[i].dtype(), inputs[i].meta().device));
           return Value::sequence(std::move(grads));
         },
         .differentiable = false});

  // the same values, cut from autograd: its result never carries a gradient
  r.add({.schema = "detach(input)",
         .print_name = "torch.Tensor.detach",
         .torch_names = {"torch.Tensor.detach", "torch.detach"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) { return a.tensor(0); },
         .differentiable = false});

  // torch.no_grad() / torch.enable_grad() blocks inside traced code: the switch happens at the
  // same point of the execution trace as in the user's program
  r.add({.schema = "prims.set_grad_enabled(mode)",
         .torch_names = {"torch._C._set_grad_enabled"},
         .fusion = FusionClass::Opaque,
         .aten = "torch._C._set_grad_enabled",
         .side_effect = true,
         .impl = [](const Args& a) {
           a.bool_(0);
           return Value::none();
         }});
}

}  // namespace thunder::ops
