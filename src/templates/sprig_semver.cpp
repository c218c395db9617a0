// Sprig's semver (a *semver.Version with its methods) and semverCompare.

#include "templates/semver.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

// A semver.Version; `pointer` distinguishes *semver.Version (from semver) from the values
// IncMajor and friends return, which only changes the printed type name.
class VersionObject final : public Object {
 public:
  VersionObject(SemVersion v, bool pointer) : v_(std::move(v)), pointer_(pointer) {}
  [[nodiscard]] std::string typeName() const override {
    return pointer_ ? "*semver.Version" : "semver.Version";
  }
  [[nodiscard]] bool stringer() const override { return true; }
  [[nodiscard]] std::string print() const override { return v_.str(); }
  [[nodiscard]] const SemVersion& version() const { return v_; }

  std::optional<Value> get(std::string_view name, const Args& args) override {
    if (name == "IncMajor" || name == "IncMinor" || name == "IncPatch") {
      noArgs(args);
      return increment(name);
    }
    if (name == "String") {
      noArgs(args);
      return Value(v_.str());
    }
    // The other methods have pointer receivers: a Version value (what Inc* return) lacks them.
    if (!pointer_) {
      return std::nullopt;
    }
    if (name == "Major" || name == "Minor" || name == "Patch") {
      noArgs(args);
      return Value(name == "Major" ? v_.major : name == "Minor" ? v_.minor : v_.patch);
    }
    if (name == "Prerelease" || name == "Metadata" || name == "Original") {
      noArgs(args);
      return Value(name == "Prerelease" ? v_.pre : name == "Metadata" ? v_.metadata : v_.original);
    }
    if (name == "Compare" || name == "LessThan" || name == "GreaterThan" || name == "Equal") {
      const int c = v_.compare(other(args, name));
      if (name == "Compare") {
        return Value(c);
      }
      return Value(name == "LessThan" ? c < 0 : name == "GreaterThan" ? c > 0 : c == 0);
    }
    return std::nullopt;
  }

 private:
  static void noArgs(const Args& args) {
    if (!args.empty()) {
      throw TemplateError("wrong number of args: got " + std::to_string(args.size()) + " but expected 0");
    }
  }

  static const SemVersion& other(const Args& args, std::string_view name) {
    if (args.size() != 1) {
      throw TemplateError("wrong number of args for " + std::string(name) + ": want 1 got " +
                          std::to_string(args.size()));
    }
    auto* o = args[0].isObject() ? dynamic_cast<VersionObject*>(&args[0].asObject()) : nullptr;
    if (o == nullptr) {
      throw TemplateError("wrong type for value; expected *semver.Version; got " + kindName(args[0]));
    }
    return o->version();
  }

  // Inc*: a pre-release's IncPatch drops the pre-release only; metadata is always dropped.
  Value increment(std::string_view name) const {
    SemVersion next = v_;
    next.metadata.clear();
    if (name == "IncMajor") {
      ++next.major;
      next.minor = next.patch = 0;
      next.pre.clear();
    } else if (name == "IncMinor") {
      ++next.minor;
      next.patch = 0;
      next.pre.clear();
    } else if (v_.pre.empty()) {
      ++next.patch;
    } else {
      next.pre.clear();
    }
    const bool vPrefix = !v_.original.empty() && (v_.original[0] == 'v' || v_.original[0] == 'V');
    next.original = (vPrefix ? "v" : "") + next.str();
    return Value(std::shared_ptr<Object>(std::make_shared<VersionObject>(next, false)));
  }

  SemVersion v_;
  bool pointer_;
};

Value semver(Args& a) {
  if (a.size() != 1) {
    throw TemplateError("wrong number of args for semver: want 1 got " + std::to_string(a.size()));
  }
  return Value(std::shared_ptr<Object>(std::make_shared<VersionObject>(parseSemVersion(strval(a[0])), true)));
}

Value semverCompare(Args& a) {
  if (a.size() != 2) {
    throw TemplateError("wrong number of args for semverCompare: want 2 got " + std::to_string(a.size()));
  }
  const std::string constraint = strval(a[0]);
  const std::string version = strval(a[1]);
  // NewConstraint runs first, so a bad constraint is reported before a bad version.
  SemVersion dummy;
  semverSatisfies(constraint, dummy);
  return Value(semverSatisfies(constraint, parseSemVersion(version)));
}

}  // namespace

void addSprigSemver(FuncMap& f) {
  f["semver"] = semver;
  f["semverCompare"] = semverCompare;
}

}  // namespace gatehouse::templates
