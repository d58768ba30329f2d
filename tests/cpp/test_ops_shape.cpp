// Shape, slicing and indexing ops: meta rules and error messages, with torch's results as the
// expected values.
#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;
using D = DType;

namespace {

class Shapes : public TraceTest {};

Value tup(std::vector<Value> items) { return Value::sequence(std::move(items)); }
Value list(std::vector<Value> items) { return Value::sequence(std::move(items), true); }
Value ints(std::initializer_list<int64_t> v) {
  std::vector<Value> items;
  for (int64_t x : v) items.push_back(i(x));
  return tup(items);
}
Value b(bool v) { return Value::constant(v); }
Value none() { return Value::none(); }
Value ellipsis() { return Value::constant(EllipsisType{}); }
Value slice(std::optional<int64_t> start, std::optional<int64_t> stop, std::optional<int64_t> step = std::nullopt) {
  return Value::constant(Slice{start, stop, step});
}

}  // namespace

TEST(SliceConstants, PrintAsPython) {
  EXPECT_EQ(python_repr(Value::constant(Slice{1, std::nullopt, 2})), "slice(1, None, 2)");
  EXPECT_EQ(python_repr(Value::constant(EllipsisType{})), "...");
  EXPECT_EQ(type_name(Value::constant(Slice{})), "slice");
  EXPECT_EQ(type_name(Value::constant(EllipsisType{})), "ellipsis");
}

TEST_F(Shapes, FlattenUnflattenMovedim) {
  Value x = input("x", {2, 3, 4, 5});
  EXPECT_EQ(op("flatten", {x, i(1), i(2)}).shape(), (Shape{2, 12, 5}));
  EXPECT_EQ(op("flatten", {input("s", {})}).shape(), (Shape{1}));
  EXPECT_EQ(user_error([&] { op("flatten", {x, i(2), i(1)}); }),
            "flatten() has invalid args: start_dim cannot come after end_dim");
  EXPECT_EQ(op("unflatten", {x, i(-1), ints({-1, 1})}).shape(), (Shape{2, 3, 4, 5, 1}));
  EXPECT_EQ(user_error([&] { op("unflatten", {x, i(1), ints({2, 2})}); }),
            "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (3) in the input tensor");
  EXPECT_EQ(user_error([&] { op("unflatten", {x, i(1), ints({})}); }), "unflatten: sizes must be non-empty");
  EXPECT_EQ(op("movedim", {x, ints({0, 1}), ints({3, 0})}).shape(), (Shape{3, 4, 5, 2}));
  EXPECT_EQ(op("movedim", {x, i(-1), i(0)}).shape(), (Shape{5, 2, 3, 4}));
  EXPECT_EQ(user_error([&] { op("movedim", {x, ints({0}), ints({0, 1})}); }),
            "movedim: Invalid source or destination dims: source ([0] dims) should contain the same number of dims as "
            "destination ([0, 1] dims)");
  EXPECT_EQ(user_error([&] { op("movedim", {x, ints({0, 0}), ints({0, 1})}); }),
            "movedim: repeated dim in `source` ([0, 0])");
  EXPECT_EQ(user_error([&] { op("movedim", {x, ints({0, 1}), ints({1, 1})}); }),
            "movedim: repeated dim in `destination` ([1, 1])");
}

TEST_F(Shapes, TransposesAndBroadcasts) {
  Value x = input("x", {2, 3, 4});
  EXPECT_EQ(op("T", {x}).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(op("mT", {x}).shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(user_error([&] { op("mT", {input("v", {3})}); }),
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.");
  EXPECT_EQ(user_error([&] { op("t", {x}); }), "t() expects a tensor with <= 2 dimensions, but self is 3D");
  EXPECT_EQ(op("t", {input("w", {3})}).shape(), (Shape{3}));
  EXPECT_EQ(op("expand_as", {input("y", {3, 1}), x}).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(op("broadcast_to", {input("z", {3, 1}), ints({-1, 5})}).shape(), (Shape{3, 5}));
  EXPECT_EQ(op("repeat", {input("r", {2, 3}), i(2), i(1), i(2)}).shape(), (Shape{2, 2, 6}));
  EXPECT_EQ(user_error([&] { op("repeat", {x, i(2)}); }),
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
}

TEST_F(Shapes, StackPromotesAndChecksShapes) {
  Value x = input("x", {2, 3}), y = input("y", {2, 3}, D::Int64);
  Value s = op("stack", {list({x, y}), i(-1)});
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.dtype(), D::Float32);
  EXPECT_EQ(user_error([&] { op("stack", {list({})}); }), "stack expects a non-empty TensorList");
  EXPECT_EQ(user_error([&] { op("stack", {list({x, input("z", {2, 4})})}); }),
            "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1");
  EXPECT_EQ(user_error([&] { op("stack", {list({x, x}), i(3)}); }, ErrorKind::Index),
            "Dimension out of range (expected to be in range of [-3, 2], but got 3)");
}

TEST_F(Shapes, SplitChunkUnbindNarrow) {
  Value x = input("x", {5, 4});
  Value parts = op("split", {x, i(2)});
  ASSERT_EQ(parts.items().size(), 3u);
  EXPECT_EQ(parts.items()[2].shape(), (Shape{1, 4}));
  EXPECT_EQ(op("split", {x, list({i(1), i(3)}), i(1)}).items()[1].shape(), (Shape{5, 3}));
  EXPECT_EQ(user_error([&] { op("split", {x, i(0)}); }),
            "split_size can only be 0 if dimension size is 0, but got dimension size of 5");
  EXPECT_EQ(user_error([&] { op("split", {x, list({i(1), i(1)})}); }),
            "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at dimension 0), but got "
            "split_sizes=[1, 1]");
  EXPECT_EQ(op("chunk", {input("c", {6}), i(5)}).items().size(), 3u);
  EXPECT_EQ(op("chunk", {input("e", {0, 2}), i(3)}).items().size(), 3u);
  EXPECT_EQ(user_error([&] { op("chunk", {x, i(0)}); }), "chunk expects `chunks` to be greater than 0, got: 0");
  EXPECT_EQ(op("unbind", {x, i(1)}).items()[0].shape(), (Shape{5}));
  EXPECT_EQ(user_error([&] { op("unbind", {input("s", {})}); }, ErrorKind::Index),
            "Dimension specified as 0 but tensor has no dimensions");
  EXPECT_EQ(op("narrow", {x, i(1), i(-3), i(2)}).shape(), (Shape{5, 2}));
  EXPECT_EQ(user_error([&] { op("narrow", {x, i(1), i(5), i(1)}); }, ErrorKind::Index),
            "start out of range (expected to be in range of [-4, 4], but got 5)");
  EXPECT_EQ(user_error([&] { op("narrow", {x, i(1), i(1), i(5)}); }), "start (1) + length (5) exceeds dimension size (4).");
  EXPECT_EQ(user_error([&] { op("narrow", {input("t", {}), i(0), i(0), i(1)}); }),
            "narrow() cannot be applied to a 0-dim tensor.");
}

TEST_F(Shapes, FlipRollTrilPadDiagonal) {
  Value x = input("x", {2, 3});
  EXPECT_EQ(user_error([&] { op("flip", {x, ints({0, -2})}); }), "dim 0 appears multiple times in the list of dims");
  EXPECT_EQ(op("roll", {x, ints({1, -5}), ints({0, 1})}).shape(), (Shape{2, 3}));
  EXPECT_EQ(user_error([&] { op("roll", {x, ints({1, 2}), ints({0})}); }),
            "shifts and dimensions must align. shifts: 2, dims:1");
  EXPECT_EQ(user_error([&] { op("roll", {x, ints({}), ints({})}); }), "`shifts` required");
  EXPECT_EQ(op("tril", {input("b", {3, 3}, D::Bool), i(1)}).dtype(), D::Bool);
  EXPECT_EQ(user_error([&] { op("triu", {input("v", {3})}); }), "triu: input tensor must have at least 2 dimensions");
  EXPECT_EQ(op("pad", {x, ints({1, 2, -1, 0})}).shape(), (Shape{1, 6}));
  EXPECT_EQ(user_error([&] { op("pad", {x, ints({1})}); }), "Padding length must be divisible by 2");
  EXPECT_EQ(user_error([&] { op("pad", {x, ints({1, 1, 1, 1, 1, 1})}); }),
            "Padding length should be less than or equal to two times the input dimension but got padding length 6 "
            "and input of dimension 2");
  EXPECT_EQ(user_error([&] { op("pad", {x, ints({-2, -2})}); }),
            "The input size 3, plus negative padding -2 and -2 resulted in a negative output size, which is invalid. "
            "Check dimension 1 of your input.");
  EXPECT_EQ(user_error([&] { op("pad", {input("u", {2}, D::UInt8), ints({1, 1})}, {{"value", i(-1)}}); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(user_error([&] { op("pad", {x, ints({1, 1}), Value::constant(std::string("foo"))}); },
                       ErrorKind::NotImplemented),
            "Unrecognised padding mode foo");
  EXPECT_EQ(op("diagonal", {input("d", {2, 3, 4}), i(-1), i(2), i(0)}).shape(), (Shape{3, 2}));
  EXPECT_EQ(op("diagonal", {x, i(5)}).shape(), (Shape{0}));
  EXPECT_EQ(user_error([&] { op("diagonal", {x, i(0), i(1), i(-1)}); }), "diagonal dimensions cannot be identical 1, -1");
}

TEST_F(Shapes, GatherScatterAndIndexOps) {
  Value x = input("x", {2, 3});
  Value i64 = input("i", {2, 2}, D::Int64), vec = input("v", {2}, D::Int64);
  EXPECT_EQ(op("gather", {x, i(1), i64}).shape(), (Shape{2, 2}));
  EXPECT_EQ(op("gather", {input("s", {}), i(0), vec}).shape(), (Shape{2}));
  EXPECT_EQ(user_error([&] { op("gather", {x, i(1), vec}); }),
            "Index tensor must have the same number of dimensions as input tensor");
  EXPECT_EQ(user_error([&] { op("gather", {x, i(1), input("big", {3, 3}, D::Int64)}); }),
            "Size does not match at dimension 0 expected index [3, 3] to be no larger than self [2, 3] apart from "
            "dimension 1");
  EXPECT_EQ(user_error([&] { op("scatter", {x, i(1), i64, input("d", {2, 2}, D::Float64)}); }),
            "scatter(): Expected self.dtype to be equal to src.dtype");
  EXPECT_EQ(user_error([&] { op("scatter", {x, i(1), i64, input("small", {2, 1})}); }),
            "Expected index [2, 2] to be no larger than self [2, 3] apart from dimension 1 and to be no larger size "
            "than src [2, 1]");
  EXPECT_EQ(op("scatter", {x, i(1), i64}, {{"value", f(2.5)}}).shape(), (Shape{2, 3}));
  EXPECT_EQ(op("scatter_add", {x, i(1), input("i32s", {2, 2}, D::Int32), x}).shape(), (Shape{2, 3}));
  EXPECT_EQ(user_error([&] { op("scatter", {x, i(1), input("fs", {2, 2}), x}); }),
            "scatter(): Expected dtype int32/int64 for index");
  EXPECT_EQ(user_error([&] { op("index_select", {x, i(0), i64}); }, ErrorKind::Index),
            "index_select(): Index is supposed to be a vector");
  EXPECT_EQ(user_error([&] { op("index_select", {x, i(0), input("fi", {2})}); }),
            "index_select(): Expected dtype int32 or int64 for index");
  EXPECT_EQ(op("index_select", {x, i(1), input("i32", {4}, D::Int32)}).shape(), (Shape{2, 4}));
  EXPECT_EQ(user_error([&] { op("index_add", {x, i(0), vec, input("d2", {2, 3}, D::Float64)}); }),
            "index_add_(): self (Float) and source (Double) must have the same scalar type");
  EXPECT_EQ(user_error([&] { op("index_add", {x, i(0), vec, input("s2", {2, 4})}); }),
            "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = "
            "[2, 3] source.shape = [2, 4]");
  EXPECT_EQ(user_error([&] { op("index_add", {x, i(0), vec, input("s3", {3, 3})}); }),
            "index_add_(): Number of indices (2) should be equal to source.size(dim): (3), for dim: 0");
  EXPECT_EQ(user_error([&] { op("index_copy", {x, i(0), input("i32b", {2}, D::Int32), x}); }),
            "index_copy_(): Expected a long tensor for index, but got Int");
  EXPECT_EQ(user_error([&] { op("index_copy", {input("c3", {2, 3, 4}), i(0), vec, input("s4", {2, 3, 5})}); }),
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: 3 4 at "
            "dimension 0 and source slice shape: 3 5 at dimension 0.");
  EXPECT_EQ(user_error([&] { op("index_copy", {x, i(0), vec, input("s5", {6})}); }, ErrorKind::Index),
            "index_copy_(): When source and destination are not scalars, their dimensionality must match. Source "
            "dimensionality (1), destination dimensionality (2)");
  EXPECT_EQ(user_error([&] { op("index_copy", {x, i(0), vec, input("s6", {3, 3})}); }, ErrorKind::Index),
            "index_copy_(): Number of indices (2) should be equal to source.size(dim) (3)");
  EXPECT_EQ(user_error([&] { op("index_add", {x, i(0), input("i2", {1, 1}, D::Int64), input("s7", {1, 3})}); },
                       ErrorKind::Index),
            "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long and size: [1, 1]");
  EXPECT_EQ(user_error([&] { op("take_along_dim", {x, vec, i(1)}); }),
            "torch.take_along_dim(): input and indices should have the same number of dimensions, but got 2 dimensions "
            "for input, and 1 dimensions for indices");
  EXPECT_EQ(op("take_along_dim", {input("t", {2, 1, 4}), input("ti", {1, 3, 2}, D::Int64), i(2)}).shape(),
            (Shape{2, 3, 2}));
  EXPECT_EQ(op("take_along_dim", {x, i64}).shape(), (Shape{4}));
}

TEST_F(Shapes, BasicIndexing) {
  Value x = input("x", {2, 3, 4});
  EXPECT_EQ(op("__getitem__", {x, i(1)}).shape(), (Shape{3, 4}));
  EXPECT_EQ(op("__getitem__", {x, tup({slice(1, std::nullopt), none(), ellipsis(), slice(std::nullopt, std::nullopt, 2)})})
                .shape(),
            (Shape{1, 1, 3, 2}));
  EXPECT_EQ(op("__getitem__", {x, tup({i(-1), slice(-2, std::nullopt), slice(1, 3, 5)})}).shape(), (Shape{2, 1}));
  EXPECT_EQ(op("__getitem__", {x, tup({slice(-10, 10), slice(5, 10)})}).shape(), (Shape{2, 0, 4}));
  EXPECT_EQ(op("__getitem__", {input("s", {}), tup({none(), b(true), ellipsis()})}).shape(), (Shape{1, 1}));
  EXPECT_EQ(user_error([&] { op("__getitem__", {x, tup({i(0), i(0), i(0), i(0)})}); }, ErrorKind::Index),
            "too many indices for tensor of dimension 3");
  EXPECT_EQ(user_error([&] { op("__getitem__", {x, tup({slice(std::nullopt, 5), i(3)})}); },
                       ErrorKind::Index),
            "index 3 is out of bounds for dimension 1 with size 3");
  EXPECT_EQ(user_error([&] { op("__getitem__", {x, slice(std::nullopt, std::nullopt, -1)}); }, ErrorKind::Value),
            "step must be greater than zero");
  EXPECT_EQ(user_error([&] { op("__getitem__", {x, f(1.5)}); }, ErrorKind::Index),
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got "
            "float)");
  EXPECT_EQ(user_error([&] { op("__getitem__", {input("t", {}), i(0)}); }, ErrorKind::Index),
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a "
            "0-dim tensor to a number");
}

TEST_F(Shapes, AdvancedIndexing) {
  Value x = input("x", {2, 3, 4});
  auto idx = [&](const char* name, Shape s, D t = D::Int64) { return input(name, std::move(s), t); };
  // one index: its dims replace the indexed dim
  EXPECT_EQ(op("__getitem__", {x, tup({slice(std::nullopt, std::nullopt), idx("a", {5, 2})})}).shape(),
            (Shape{2, 5, 2, 4}));
  // adjacent indices broadcast together in place; apart, the broadcast dims go first
  EXPECT_EQ(op("__getitem__", {x, tup({slice(std::nullopt, std::nullopt), idx("b", {2, 1}), idx("c", {5})})}).shape(),
            (Shape{2, 2, 5}));
  EXPECT_EQ(op("__getitem__", {x, tup({idx("d", {5}), slice(std::nullopt, std::nullopt), idx("e", {5})})}).shape(),
            (Shape{5, 3}));
  // constant lists are index tensors; a list of lists reads as a tuple; a bool list is a mask
  EXPECT_EQ(op("__getitem__", {x, list({i(1), i(0), i(1)})}).shape(), (Shape{3, 3, 4}));
  EXPECT_EQ(op("__getitem__", {x, list({list({i(0), i(1)}), list({i(1), i(0)})})}).shape(), (Shape{2, 4}));
  EXPECT_EQ(op("__getitem__", {x, list({b(true), b(false)})}).shape(), (Shape{1, 3, 4}));
  EXPECT_EQ(op("__getitem__", {x, b(false)}).shape(), (Shape{0, 2, 3, 4}));
  EXPECT_EQ(user_error([&] { op("__getitem__", {x, list({i(0), i(2)})}); }, ErrorKind::Index),
            "index 2 is out of bounds for dimension 0 with size 2");
  EXPECT_EQ(user_error([&] { op("__getitem__", {x, list({b(true), b(false), b(true)})}); }, ErrorKind::Index),
            "The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, 3, 4] at index 0");
  EXPECT_EQ(user_error([&] { op("__getitem__", {x, tup({idx("f", {2}), idx("g", {3})})}); }, ErrorKind::Index),
            "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]");
  EXPECT_EQ(user_error([&] { op("__getitem__", {x, idx("h", {2}, D::Float32)}); }, ErrorKind::Index),
            "tensors used as indices must be long, int, byte or bool tensors");
  EXPECT_NE(user_error([&] { op("__getitem__", {x, idx("m", {2}, D::Bool)}); }, ErrorKind::NotImplemented)
                .find("depends on the mask's values"),
            std::string::npos);
}

TEST_F(Shapes, IndexingPrintsSlicesAndEllipsis) {
  Value x = input("x", {2, 3});
  op("__getitem__", {x, tup({ellipsis(), slice(1, std::nullopt, 2)})});
  std::string text = builder.finish().str();
  EXPECT_NE(text.find("torch.Tensor.__getitem__(x, (..., slice(1, None, 2)))"), std::string::npos) << text;
}

TEST_F(Shapes, StackVariantsLiftRanksThenConcatenate) {
  Value v = input("v", {3}), m = input("m", {2, 3}), s = input("s", {});
  EXPECT_EQ(op("hstack", {list({v, s, v})}).shape(), (Shape{7}));
  EXPECT_EQ(op("hstack", {list({m, input("n", {2, 1}, D::Int64)})}).shape(), (Shape{2, 4}));
  EXPECT_EQ(op("hstack", {list({m, input("n", {2, 1}, D::Int64)})}).dtype(), D::Float32);
  EXPECT_EQ(op("vstack", {list({v, m})}).shape(), (Shape{3, 3}));
  EXPECT_EQ(op("vstack", {list({s, s})}).shape(), (Shape{2, 1}));
  EXPECT_EQ(op("dstack", {list({v, v})}).shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(op("dstack", {list({m, input("d", {2, 3, 2})})}).shape(), (Shape{2, 3, 3}));
  EXPECT_EQ(op("column_stack", {list({v, input("c", {3, 2})})}).shape(), (Shape{3, 3}));
  EXPECT_EQ(user_error([&] { op("hstack", {list({})}); }), "hstack expects a non-empty TensorList");
  EXPECT_EQ(user_error([&] { op("column_stack", {list({})}); }), "column_stack expects a non-empty TensorList");
  EXPECT_EQ(user_error([&] { op("hstack", {list({m, v})}); }), "Tensors must have same number of dimensions: got 2 and 1");
  EXPECT_EQ(user_error([&] { op("vstack", {list({v, input("w", {4})})}); }),
            "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in "
            "the list.");
}

TEST_F(Shapes, RepeatInterleave) {
  Value x = input("x", {2, 3});
  EXPECT_EQ(op("repeat_interleave", {x, i(2)}).shape(), (Shape{12}));
  EXPECT_EQ(op("repeat_interleave", {x, i(3), i(-1)}).shape(), (Shape{2, 9}));
  EXPECT_EQ(op("repeat_interleave", {x, i(0), i(0)}).shape(), (Shape{0, 3}));
  EXPECT_EQ(op("repeat_interleave", {input("s", {}), i(3)}).shape(), (Shape{3}));
  EXPECT_EQ(op("repeat_interleave", {x, i(2), i(0)}, {{"output_size", i(4)}}).shape(), (Shape{4, 3}));
  EXPECT_EQ(user_error([&] { op("repeat_interleave", {x, i(-1), i(1)}); }), "Repeats must be non-negative");
  EXPECT_EQ(user_error([&] { op("repeat_interleave", {x, i(2), i(2)}); }, ErrorKind::Index),
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_EQ(user_error([&] { op("repeat_interleave", {input("t", {}), i(3), i(-1)}); }, ErrorKind::Index),
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  EXPECT_EQ(user_error([&] { op("repeat_interleave", {x, i(2), i(0)}, {{"output_size", i(5)}}); }),
            "repeat_interleave: Invalid output_size, expected 4 but got 5");
  // a tensor of repeats: only with output_size, as one opaque call
  Value reps = input("r", {2}, D::Int64);
  Value y = op("repeat_interleave", {x, reps, i(0)}, {{"output_size", i(3)}});
  EXPECT_EQ(y.shape(), (Shape{3, 3}));
  EXPECT_EQ(y.dtype(), D::Float32);
  EXPECT_EQ(op("repeat_interleave", {x, input("r0", {}, D::Int32)}, {{"output_size", i(12)}}).shape(), (Shape{12}));
  EXPECT_EQ(op("repeat_interleave", {input("q", {3}, D::Int32)}, {{"output_size", i(5)}}).dtype(), D::Int32);
  EXPECT_NE(user_error([&] { op("repeat_interleave", {x, reps, i(0)}); }, ErrorKind::NotImplemented)
                .find("depends on the repeats' values"),
            std::string::npos);
  EXPECT_EQ(user_error([&] { op("repeat_interleave", {x, input("r2", {1, 2}, D::Int64), i(0)}); }),
            "repeats must be 0-dim or 1-dim tensor");
  EXPECT_EQ(user_error([&] { op("repeat_interleave", {x, input("r3", {3}, D::Int64), i(0)}); }),
            "repeats must have the same size as input along dim, but got repeats.size(0) = 3 and input.size(0) = 2");
  EXPECT_EQ(user_error([&] { op("repeat_interleave", {x, input("rf", {2}), i(0)}, {{"output_size", i(3)}}); },
                       ErrorKind::NotImplemented),
            "\"repeat_interleave\" not implemented for 'Float'");
  EXPECT_EQ(user_error([&] { op("repeat_interleave", {input("q2", {2, 2}, D::Int64)}); }),
            "repeat_interleave only accept 1D vector as repeat");
}
