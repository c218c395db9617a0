#include "templates/time_value.h"

#include <chrono>
#include <ctime>

#include "log/go_time_text.h"

namespace gatehouse::templates {

namespace {

class TimeObject final : public Object {
 public:
  TimeObject(int64_t nanos, bool local) : nanos_(nanos), local_(local) {}
  [[nodiscard]] std::string typeName() const override { return "time.Time"; }
  [[nodiscard]] bool stringer() const override { return true; }
  [[nodiscard]] int64_t nanos() const { return nanos_; }
  [[nodiscard]] bool local() const { return local_; }
  [[nodiscard]] bool equals(const Object& other) const override {
    const auto& t = static_cast<const TimeObject&>(other);  // (the caller compared the types)
    return t.nanos_ == nanos_ && t.local_ == local_;
  }

  std::optional<Value> get(std::string_view name, const Args& args) override {
    if (name == "Format") {
      if (args.size() != 1 || !args[0].isString()) {
        throw TemplateError("wrong number of args for Format: want 1 got " + std::to_string(args.size()));
      }
      std::string out;
      log::appendGoTime(out, args[0].asString(), nanos_, local_);
      return Value(out);
    }
    if (!args.empty()) {
      return std::nullopt;
    }
    std::tm tm{};
    const std::time_t secs = static_cast<std::time_t>(floorDiv(nanos_, 1000000000));
    if (local_) {
      localtime_r(&secs, &tm);
    } else {
      gmtime_r(&secs, &tm);
    }
    if (name == "Unix") {
      return Value(static_cast<int64_t>(secs));
    }
    if (name == "UnixNano") {
      return Value(nanos_);
    }
    if (name == "UnixMilli") {
      return Value(floorDiv(nanos_, 1000000));
    }
    if (name == "Year") {
      return Value(tm.tm_year + 1900);
    }
    if (name == "Month") {
      static const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December"};
      return Value(kMonths[tm.tm_mon]);
    }
    if (name == "Day") {
      return Value(tm.tm_mday);
    }
    if (name == "Hour") {
      return Value(tm.tm_hour);
    }
    if (name == "Minute") {
      return Value(tm.tm_min);
    }
    if (name == "Second") {
      return Value(tm.tm_sec);
    }
    if (name == "YearDay") {
      return Value(tm.tm_yday + 1);
    }
    if (name == "Weekday") {
      static const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                    "Thursday", "Friday", "Saturday"};
      return Value(kDays[tm.tm_wday]);
    }
    if (name == "UTC") {
      return makeTime(nanos_, false);
    }
    if (name == "Local") {
      return makeTime(nanos_, true);
    }
    if (name == "String") {
      return Value(print());
    }
    return std::nullopt;
  }

  [[nodiscard]] std::string print() const override {
    std::string out;
    log::appendGoTime(out, "2006-01-02 15:04:05.999999999 -0700 MST", nanos_, local_);
    return out;
  }
  // Time.MarshalJSON: RFC 3339 with the nanoseconds it has.
  [[nodiscard]] JsonForm json() const override {
    std::string out;
    log::appendGoTime(out, "2006-01-02T15:04:05.999999999Z07:00", nanos_, local_);
    return {Value(out), {}};
  }

 private:
  static int64_t floorDiv(int64_t a, int64_t b) {
    return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
  }
  int64_t nanos_;
  bool local_;
};

}  // namespace

Value makeTime(int64_t unixNanos, bool local) {
  return Value(std::shared_ptr<Object>(std::make_shared<TimeObject>(unixNanos, local)));
}

std::optional<int64_t> timeNanos(const Value& v) {
  if (!v.isObject()) {
    return std::nullopt;
  }
  auto* t = dynamic_cast<TimeObject*>(&v.asObject());
  if (t == nullptr) {
    return std::nullopt;
  }
  return t->nanos();
}

std::optional<Value> addToTime(const Value& t, int64_t deltaNanos) {
  auto* time = t.isObject() ? dynamic_cast<TimeObject*>(&t.asObject()) : nullptr;
  if (time == nullptr) {
    return std::nullopt;
  }
  return makeTime(time->nanos() + deltaNanos, time->local());
}

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace gatehouse::templates
