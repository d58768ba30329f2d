// Claiming: which executor runs each call, with the decomposition fallback.
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "exec/executor.h"
#include "ir/error.h"

namespace thunder::exec {

namespace {

struct Owned {
  std::string executor;
  const Symbol* original = nullptr;
};

// Symbols made at run time (executors' symbols, fusion regions) live as long as the process:
// traces point at them.
struct SymbolTable {
  std::mutex mu;
  std::map<std::pair<std::string, const Symbol*>, std::unique_ptr<Symbol>> derived;
  std::unordered_map<std::string, std::unique_ptr<Symbol>> regions;
  std::unordered_map<const Symbol*, Owned> owner;
};

SymbolTable& table() {
  static SymbolTable t;
  return t;
}

// The op an executor registers for: custom operators' symbols carry their keyword names after
// the op's ("custom.myop.eps"), one symbol per set of keywords.
std::string base_name(const Symbol& sym) {
  const std::string& name = sym.name();
  if (!name.starts_with("custom.")) return name;
  size_t dot = name.find('.', 7);
  return dot == std::string::npos ? name : name.substr(0, dot);
}

std::string identifier(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (c == '.') c = '_';
  return out;
}

// Every argument, positionals by position and keyword-only ones by name.
std::string full_call(const std::string& callee, const Symbol& sym, const std::vector<Value>& args) {
  std::string s = callee + "(";
  const auto& params = sym.params();
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) s += ", ";
    if (i < params.size() && (params[i].keyword_only || params[i].varargs)) s += params[i].name + "=";
    s += python_repr(args[i]);
  }
  return s + ")";
}

// `sym` as run by executor `ex`: the same signature, meta rule and decomposition, called as
// `ex.<op>(...)`.
const Symbol& derived_symbol(const Executor& ex, const Symbol& sym) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto key = std::make_pair(ex.name, &sym);
  auto it = t.derived.find(key);
  if (it != t.derived.end()) return *it->second;
  std::string callee = ex.name + "." + identifier(base_name(sym));
  const std::string& schema = sym.schema();
  OpSpec spec{
      .schema = callee + schema.substr(schema.find('(')),
      .print_name = callee,
      .fusion = sym.fusion(),
      .aten = callee,
      .view = sym.view(),
      .side_effect = sym.side_effect(),
      .impl = sym.impl(),
  };
  if (sym.statement_printer()) {
    // Calls that print in their own form (fallbacks, softmax): the same text with our callee,
    // where the form is a call of the op's print name; every argument otherwise.
    const Symbol* orig = &sym;
    spec.print = [orig, callee](const std::vector<Value>& args) {
      std::string s = orig->statement_printer()(args);
      const std::string& prefix = orig->print_name();
      if (s.starts_with(prefix + "(")) return callee + s.substr(prefix.size());
      return full_call(callee, *orig, args);
    };
  }
  auto owned = std::make_unique<Symbol>(std::move(spec));
  const Symbol& out = *owned;
  t.owner[&out] = Owned{ex.name, &sym};
  t.derived.emplace(key, std::move(owned));
  return out;
}

bool claims_op(const Executor& ex, const BoundSymbol& b) {
  if (b.sym->decompose_only()) return false;
  bool listed = ex.ops.empty() ? !b.sym->aten().empty() : ex.ops.count(base_name(*b.sym)) > 0;
  return listed && (!ex.checker || ex.checker(b));
}

// Whether a fusion executor takes the call whole: a prim it fuses, or a torch-level op all of
// whose prims it fuses.
bool fuses(const Executor& ex, const BoundSymbol& b) {
  if (has_side_effect(b)) return false;  // side effects keep their place in program order
  if (b.sym->is_prim() || b.subsymbols.empty()) return ex.checker(b);
  for (const auto& sub : b.subsymbols)
    if (!fuses(ex, sub)) return false;
  return true;
}

void flatten_into(const Executor& ex, const BoundSymbol& b, std::vector<BoundSymbol>& out) {
  if (b.sym->is_prim() || b.subsymbols.empty()) {
    BoundSymbol c = b;
    c.sym = &derived_symbol(ex, *b.sym);
    out.push_back(std::move(c));
    return;
  }
  for (const auto& sub : b.subsymbols) flatten_into(ex, sub, out);
}

void claim_one(const BoundSymbol& b, const std::vector<Executor>& executors, std::vector<BoundSymbol>& out) {
  for (const auto& ex : executors) {
    if (ex.kind == Executor::Kind::Fusion) {
      if (fuses(ex, b)) {
        flatten_into(ex, b, out);
        return;
      }
      continue;
    }
    if (!claims_op(ex, b)) continue;
    BoundSymbol c = b;
    if (!ex.is_aten()) c.sym = &derived_symbol(ex, *b.sym);
    out.push_back(std::move(c));
    return;
  }
  if (!b.sym->is_prim() && !b.subsymbols.empty()) {
    // nobody runs the torch-level op: run its decomposition
    for (const auto& sub : b.subsymbols) claim_one(sub, executors, out);
    return;
  }
  std::string names;
  for (const auto& ex : executors) names += (names.empty() ? "" : ", ") + ex.name;
  throw UserError(ErrorKind::NotImplemented,
                  cat("no executor can run ", b.sym->name(), (b.loc.line ? cat(" (at ", b.loc.file, ":", b.loc.line, ")") : ""),
                      "; executors tried, in order: ", names.empty() ? "none" : names,
                      ". Add one that implements it (\"aten\" runs every op)"));
}

}  // namespace

namespace {

std::unordered_map<std::string, std::function<bool(const BoundSymbol&)>>& builtin_checkers() {
  static std::unordered_map<std::string, std::function<bool(const BoundSymbol&)>> checkers;
  return checkers;
}

}  // namespace

void register_builtin_checker(const std::string& executor, std::function<bool(const BoundSymbol&)> checker,
                              bool region) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  builtin_checkers()[(region ? "region:" : "") + executor] = std::move(checker);
}

const std::function<bool(const BoundSymbol&)>* builtin_checker(const std::string& executor, bool region) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = builtin_checkers().find((region ? "region:" : "") + executor);
  return it == builtin_checkers().end() ? nullptr : &it->second;
}

Executor Executor::aten() { return Executor{.name = "aten", .kind = Kind::Operator}; }

Trace claim(const Trace& t, const std::vector<Executor>& executors) {
  Trace out = t;
  out.header = "Claim by executors";
  out.bound_symbols.clear();
  for (const auto& b : t.bound_symbols) claim_one(b, executors, out.bound_symbols);
  return out;
}

std::string executor_of(const Symbol& sym) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.owner.find(&sym);
  return it == t.owner.end() ? std::string() : it->second.executor;
}

namespace detail {

const Symbol* original_of(const Symbol& sym) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.owner.find(&sym);
  return it == t.owner.end() ? nullptr : it->second.original;
}

const Symbol& region_symbol(const std::string& name, const std::string& executor, const std::vector<Value>& outs) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  std::string key = name;
  std::vector<TensorMeta> metas;
  for (const auto& o : outs) {
    THUNDER_ASSERT(o.is_tensor(), "fusion region ", name, ": output ", o.name(), " is not a tensor");
    key += "|" + o.meta().str() + (o.meta().requires_grad ? "g" : "");
    metas.push_back(o.meta());
  }
  auto it = t.regions.find(key);
  if (it != t.regions.end()) return *it->second;
  auto sym = std::make_unique<Symbol>(OpSpec{
      .schema = name + "(*args)",
      .fusion = FusionClass::Opaque,
      .print =
          [name](const std::vector<Value>& args) {
            std::string s = name + "(";
            for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + python_repr(args[i]);
            return s + ")";
          },
      .impl =
          [metas](const Args&) {
            std::vector<Value> outs;
            for (const auto& m : metas) outs.push_back(TraceBuilder::current().new_tensor(m));
            return Value::sequence(std::move(outs), /*is_list=*/true);
          },
  });
  const Symbol& out = *sym;
  t.owner[&out] = Owned{executor, nullptr};
  t.regions.emplace(key, std::move(sym));
  return out;
}

}  // namespace detail

}  // namespace thunder::exec
