#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;

namespace {
Symbol make(const char* schema) {
  return Symbol(OpSpec{.schema = schema, .impl = [](const Args&) { return Value::none(); }});
}
}  // namespace

TEST(Schema, ParsesNameAndParams) {
  Symbol s = make("sum(input, dim=None, keepdim=False, *, dtype=None)");
  EXPECT_EQ(s.name(), "sum");
  ASSERT_EQ(s.params().size(), 4u);
  EXPECT_FALSE(s.params()[0].default_value);
  EXPECT_TRUE(s.params()[2].default_value.as_bool() == false);
  EXPECT_TRUE(s.params()[3].keyword_only);
  EXPECT_FALSE(s.is_prim());
  EXPECT_TRUE(make("prims.add(a, b)").is_prim());
}

TEST(Schema, BindsPositionalKeywordAndDefaults) {
  Symbol s = make("add(input, other, *, alpha=1)");
  Args a = s.bind({i(1), i(2)}, {{"alpha", f(0.5)}});
  EXPECT_EQ(a[1].as_int(), 2);
  EXPECT_EQ(a[2].as_double(), 0.5);
  Args b = s.bind({i(1)}, {{"other", i(5)}});
  EXPECT_EQ(b[1].as_int(), 5);
  EXPECT_EQ(b[2].as_int(), 1);
}

TEST(Schema, VarargsTakeIntsOrOneSequence) {
  Symbol s = make("view(input, *shape)");
  EXPECT_EQ(s.bind({i(0), i(2), i(3)}, {}).int_list(1), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(s.bind({i(0), Value::sequence({i(2), i(3)})}, {}).int_list(1), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(s.bind({i(0)}, {{"shape", Value::sequence({i(6)})}}).int_list(1), (std::vector<int64_t>{6}));
}

TEST(Schema, BindErrors) {
  Symbol s = make("add(input, other, *, alpha=1)");
  EXPECT_EQ(user_error([&] { s.bind({i(1), i(2)}, {{"beta", i(1)}}); }, ErrorKind::Type),
            "add() got an unexpected keyword argument 'beta'");
  EXPECT_EQ(user_error([&] { s.bind({i(1)}, {}); }, ErrorKind::Type), "add() missing required argument 'other'");
  EXPECT_EQ(user_error([&] { s.bind({i(1), i(2), i(3)}, {}); }, ErrorKind::Type),
            "add() takes 2 positional arguments but 3 were given");
  EXPECT_EQ(user_error([&] { s.bind({i(1), i(2)}, {{"input", i(3)}}); }, ErrorKind::Type),
            "add() got multiple values for argument 'input'");
}

TEST(Schema, TypedAccessorsNameTheParameter) {
  Symbol s = make("sum(input, dim=None)");
  Args a = s.bind({Value::constant(std::string("x"))}, {});
  EXPECT_EQ(user_error([&] { a.tensor(0); }, ErrorKind::Type), "sum: expected 'input' to be a tensor, got str");
}

TEST(Registry, AllOpsHaveUniqueNamesAndPrintNames) {
  const Registry& r = ops::op_table();
  EXPECT_GE(r.all().size(), 50u);
  for (const Symbol* s : r.all()) {
    EXPECT_EQ(r.find(s->name()), s);
    EXPECT_FALSE(s->print_name().empty()) << s->name();
    // every torch-level op is reachable from some torch callable, or (decompose_only: the
    // philox forms) is the form another op takes in a tracing mode
    if (!s->is_prim() && !s->decompose_only()) {
      EXPECT_FALSE(s->torch_names().empty() && s->inplace_names().empty()) << s->name();
    }
  }
  EXPECT_EQ(r.find("no_such_op"), nullptr);
}
