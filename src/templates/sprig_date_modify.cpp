// Sprig's dateModify family: a time moved by a Go duration ("1.5h", "-90m").

#include "templates/go_duration.h"
#include "templates/sprig.h"
#include "templates/time_value.h"

namespace gatehouse::templates {

namespace {

// The function's time.Time parameter; text/template refuses anything else before calling.
const Value& timeArg(const Args& a, const char* fn) {
  if (a.size() != 2) {
    throw TemplateError(std::string("wrong number of args for ") + fn + ": want 2 got " +
                        std::to_string(a.size()));
  }
  if (!timeNanos(a[1])) {
    throw TemplateError(std::string("wrong type for value; expected time.Time; got ") + kindName(a[1]));
  }
  return a[1];
}

// dateModify keeps the time unchanged when the duration does not parse.
Value dateModify(Args& a) {
  const Value& t = timeArg(a, "dateModify");
  int64_t delta = 0;
  try {
    delta = goParseDuration(strval(a[0]));
  } catch (const TemplateError&) {
    return t;
  }
  return *addToTime(t, delta);
}

Value mustDateModify(Args& a) {
  const Value& t = timeArg(a, "mustDateModify");
  return *addToTime(t, goParseDuration(strval(a[0])));
}

}  // namespace

void addSprigDateModify(FuncMap& f) {
  f["dateModify"] = dateModify;
  f["date_modify"] = dateModify;
  f["mustDateModify"] = mustDateModify;
  f["must_date_modify"] = mustDateModify;
}

}  // namespace gatehouse::templates
