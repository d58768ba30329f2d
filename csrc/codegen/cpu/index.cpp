// Index tuples: the C index expressions kernels read and write values at.
#include "codegen/cpu/internal.h"

#include "ir/error.h"

namespace thunder::codegen::cpu {

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

// row-major strides
Shape contiguous_strides(const Shape& s) {
  Shape st(s.size(), 1);
  for (int64_t d = static_cast<int64_t>(s.size()) - 2; d >= 0; --d) st[d] = st[d + 1] * s[d + 1];
  return st;
}

// sum of idx * stride over dims, skipping zeros and unit factors
Ix linearize(const std::vector<Ix>& ix, const std::vector<std::string>& strides) {
  std::vector<std::string> terms;
  bool inner = false;
  for (size_t d = 0; d < ix.size(); ++d) {
    if (ix[d].code == "0" || strides[d] == "0") continue;
    inner = inner || ix[d].inner;
    terms.push_back(strides[d] == "1" ? ix[d].code : cat(ix[d].code, " * ", strides[d]));
  }
  if (terms.empty()) return {"0", false};
  if (terms.size() == 1) return {terms[0], inner};
  return {cat("(", join(terms, " + "), ")"), inner};
}

// (lin / stride) % size, leaving out what is not needed
Ix component(const Ix& lin, int64_t stride, int64_t size, bool first) {
  std::string c = lin.code;
  if (stride != 1) c = cat("(", c, " / ", stride, ")");
  if (!first) c = cat("(", c, " % ", size, ")");
  return {c, lin.inner};
}

// The tuple of `to` reaching the same element as `t` of `from` (same numel), dim group by group.
Tuple reshape_map(const Tuple& t, const Shape& from, const Shape& to) {
  if (from == to) return t;
  Tuple r;
  r.linear = t.linear;
  r.ix.assign(to.size(), Ix{"0", false});
  std::vector<size_t> fa, tb;
  for (size_t k = 0; k < from.size(); ++k)
    if (from[k] != 1) fa.push_back(k);
  for (size_t k = 0; k < to.size(); ++k)
    if (to[k] != 1) tb.push_back(k);
  auto spread = [&](const Ix& lin, size_t j, size_t j2) {
    Shape sizes;
    for (size_t k = j; k < j2; ++k) sizes.push_back(to[tb[k]]);
    if (!lin.joined.empty() && lin.joined_sizes == sizes) {
      for (size_t k = j; k < j2; ++k) r.ix[tb[k]] = lin.joined[k - j];
      return;
    }
    if (j2 - j == 1) {  // one dim: the index itself, keeping what it was joined from
      r.ix[tb[j]] = lin;
      return;
    }
    int64_t stride = 1;
    for (size_t k = j2; k-- > j;) {
      r.ix[tb[k]] = component(lin, stride, to[tb[k]], k == j);
      r.ix[tb[k]].whole = lin.code;
      r.ix[tb[k]].parts = static_cast<int>(j2 - j);
      r.ix[tb[k]].part = static_cast<int>(k - j);
      stride *= to[tb[k]];
    }
  };
  auto group_linear = [&](size_t i, size_t i2) {
    std::vector<Ix> ix;
    std::vector<std::string> strides;
    int64_t stride = 1;
    for (size_t k = i2; k-- > i;) {
      ix.insert(ix.begin(), t.ix[fa[k]]);
      strides.insert(strides.begin(), cat(stride));
      stride *= from[fa[k]];
    }
    if (t.linear && i == 0 && i2 == fa.size()) return *t.linear;
    if (i2 - i == 1) return t.ix[fa[i]];  // one dim: its index, keeping what it was joined from
    // the group is exactly what one index was spread over: that index
    const Ix& first = t.ix[fa[i]];
    bool whole = !first.whole.empty() && first.parts == static_cast<int>(i2 - i);
    for (size_t k = i; k < i2 && whole; ++k)
      whole = t.ix[fa[k]].whole == first.whole && t.ix[fa[k]].part == static_cast<int>(k - i);
    if (whole) {
      bool inner = false;
      for (size_t k = i; k < i2; ++k) inner = inner || t.ix[fa[k]].inner;
      return Ix{first.whole, inner};
    }
    Ix joined = linearize(ix, strides);
    joined.joined = ix;
    for (size_t k = i; k < i2; ++k) joined.joined_sizes.push_back(from[fa[k]]);
    return joined;
  };
  if (numel(from) == 0) {
    if (!tb.empty()) spread(group_linear(0, fa.size()), 0, tb.size());
    return r;
  }
  size_t i = 0, j = 0;
  while (i < fa.size() && j < tb.size()) {
    size_t i2 = i + 1, j2 = j + 1;
    int64_t pa = from[fa[i]], pb = to[tb[j]];
    while (pa != pb) {
      if (pa < pb) pa *= from[fa[i2++]];
      else pb *= to[tb[j2++]];
    }
    if (i2 - i == 1 && j2 - j == 1) r.ix[tb[j]] = t.ix[fa[i]];
    else spread(group_linear(i, i2), j, j2);
    i = i2, j = j2;
  }
  return r;
}

}  // namespace thunder::codegen::cpu
