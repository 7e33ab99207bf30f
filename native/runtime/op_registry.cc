// qint8 — op registry and attribute accessors.
#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "qint8/op.h"

namespace qint8 {

namespace {
std::map<std::pair<std::string, std::string>, OpFactory>& registry() {
  static std::map<std::pair<std::string, std::string>, OpFactory> r;
  return r;
}
[[noreturn]] void missing(const std::string& k) { throw std::invalid_argument("attribute '" + k + "' is required"); }
const Attr* find(const Attrs& a, const std::string& k) {
  auto it = a.map.find(k);
  return it == a.map.end() ? nullptr : &it->second;
}
}  // namespace

void registerOp(const char* domain, const char* name, OpFactory factory) {
  auto& r = registry();
  const auto key = std::make_pair(std::string(domain), std::string(name));
  if (r.count(key)) throw std::logic_error(std::string("op registered twice: ") + domain + "::" + name);
  r[key] = factory;
}

std::unique_ptr<Op> createOp(const std::string& domain, const std::string& name, const OpContext& ctx) {
  auto it = registry().find({domain, name});
  if (it == registry().end())
    throw std::invalid_argument("no native op '" + (domain.empty() ? name : domain + "::" + name) + "'");
  return it->second(ctx);
}

std::vector<std::pair<std::string, std::string>> registeredOps() {
  std::vector<std::pair<std::string, std::string>> v;
  for (auto& kv : registry()) v.push_back(kv.first);
  return v;
}

int64_t Attrs::getInt(const std::string& k, int64_t dflt) const {
  const Attr* a = find(*this, k);
  if (!a) return dflt;
  if (a->kind != Attr::kInt) throw std::invalid_argument("attribute '" + k + "' must be an int");
  return a->i;
}
int64_t Attrs::getInt(const std::string& k) const {
  if (!has(k)) missing(k);
  return getInt(k, 0);
}
double Attrs::getFloat(const std::string& k, double dflt) const {
  const Attr* a = find(*this, k);
  if (!a) return dflt;
  if (a->kind == Attr::kInt) return static_cast<double>(a->i);
  if (a->kind != Attr::kFloat) throw std::invalid_argument("attribute '" + k + "' must be a float");
  return a->f;
}
std::vector<int64_t> Attrs::getInts(const std::string& k, const std::vector<int64_t>& dflt) const {
  const Attr* a = find(*this, k);
  if (!a) return dflt;
  if (a->kind != Attr::kInts) throw std::invalid_argument("attribute '" + k + "' must be a list of ints");
  return a->ints;
}
std::vector<double> Attrs::getFloats(const std::string& k, const std::vector<double>& dflt) const {
  const Attr* a = find(*this, k);
  if (!a) return dflt;
  if (a->kind != Attr::kFloats) throw std::invalid_argument("attribute '" + k + "' must be a list of floats");
  return a->floats;
}
std::string Attrs::getString(const std::string& k, const std::string& dflt) const {
  const Attr* a = find(*this, k);
  if (!a) return dflt;
  if (a->kind != Attr::kString) throw std::invalid_argument("attribute '" + k + "' must be a string");
  return a->s;
}
const Attr* Attrs::tensor(const std::string& k) const {
  const Attr* a = find(*this, k);
  if (a && a->kind != Attr::kTensor) throw std::invalid_argument("attribute '" + k + "' must be a tensor");
  return a;
}

}  // namespace qint8
