// Neural-network ops: activations, written as decompositions in the computation dtype.
#include <cmath>
#include <numbers>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

void register_nn(Registry& r) {
  r.add({.schema = "relu(input, inplace=False)",
         .print_name = "torch.relu",
         .torch_names = {"torch.relu", "torch.Tensor.relu", "torch.nn.functional.relu"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(!a.bool_(1), NotImplemented, "relu: inplace=True is not supported yet");
           THUNDER_CHECK(x.dtype() != DType::Bool, Runtime, "Boolean inputs not supported for relu");
           using namespace pm;
           // le, not gt, so that NaN passes through as torch.relu lets it
           return where(le(x, num(0)), num(0), x);
         }});

  r.add({.schema = "gelu(input, *, approximate='none')",
         .print_name = "torch.nn.functional.gelu",
         .torch_names = {"torch.nn.functional.gelu", "torch._C._nn.gelu"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& in = a.tensor(0);
           std::string approx = a.str(1);
           THUNDER_CHECK(approx == "none" || approx == "tanh", Runtime,
                         "approximate argument must be either none or tanh.");
           THUNDER_CHECK(is_floating(in.dtype()), NotImplemented, "gelu: expected a floating-point tensor, got ",
                         dtype_name(in.dtype()));
           using namespace pm;
           Value x = convert(in, opmath_type(in.dtype()));
           Value y;
           if (approx == "none") {
             y = x * 0.5 * (1.0 + erf(x * (1.0 / std::numbers::sqrt2)));
           } else {
             const double k = std::sqrt(2.0 / std::numbers::pi);
             y = 0.5 * x * (1.0 + tanh(k * (x + 0.044715 * (x * x * x))));
           }
           return convert(y, in.dtype());
         }});

  r.add({.schema = "sigmoid(input)",
         .print_name = "torch.sigmoid",
         .torch_names = {"torch.sigmoid", "torch.Tensor.sigmoid", "torch.special.expit", "torch.nn.functional.sigmoid"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& in = a.tensor(0);
           PromotedTypes t = promote({in}, Promotion::IntToFloat);
           using namespace pm;
           Value x = convert(in, t.computation);
           return convert(1.0 / (1.0 + exp(-x)), t.result);
         }});
}

}  // namespace thunder::ops
