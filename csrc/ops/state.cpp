// Ops about where values live and what changes outside the trace: moves between devices, the
// write-back of in-place updates into a trace's inputs, and switches of torch's grad mode.
#include "ir/error.h"
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
         }});

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
