#pragma once
// The Sprig functions Caddy's templates carry (Masterminds/sprig v3): the string, list,
// dict, default, math, encoding, regex, JSON, path and date families that pages use. A
// Sprig function not implemented here is refused at parse time with a "not supported yet"
// message, never run as an empty value.

#include <string_view>

#include "templates/executor.h"

namespace gatehouse::templates {

void addSprigStrings(FuncMap& f);
void addSprigCollections(FuncMap& f);  // dicts, defaults, conversions
void addSprigLists(FuncMap& f);        // list functions and their must* variants
void addSprigJson(FuncMap& f);
void addSprigMath(FuncMap& f);
void addSprigTime(FuncMap& f);
void addSprigDateModify(FuncMap& f);  // dateModify, mustDateModify
void addSprigUrl(FuncMap& f);         // urlParse, urlJoin
void addSprigSemver(FuncMap& f);      // semver, semverCompare
void addSprigPasswords(FuncMap& f);   // bcrypt, htpasswd, derivePassword
void addSprigAes(FuncMap& f);         // encryptAES, decryptAES, randBytes
void addSprigKeys(FuncMap& f);        // genPrivateKey
void addSprigBase32(FuncMap& f);      // b32enc, b32dec
void addSprigGoutils(FuncMap& f);     // wrap, wrapWith, abbrevboth
void addSprigTypes(FuncMap& f);       // typeIs, typeIsLike, toDecimal
void addSprigCerts(FuncMap& f);       // genCA, genSelfSignedCert, genSignedCert (+WithKey), buildCustomCert
void addSprigMisc(FuncMap& f);        // encoding, hashes, paths, random
void addSprigRegex(FuncMap& f);       // regexMatch, regexFindAll, regexSplit ... and must* variants
// Whether `name` is a Sprig function Caddy 2.6.2 has that gatehouse does not implement.
bool sprigUnsupported(std::string_view name);

// Go's JSON text of a value (encoding/json: sorted keys; `escapeHtml` as json.Marshal).
std::string toJsonText(const Value& v, bool escapeHtml, const std::string& indent = "");
// Sprig's strval: strings as they are, everything else as fmt's %v.
std::string strval(const Value& v);
// Go's reflect.Kind name of a value ("int", "string", "map", "slice" ...), as Sprig's
// type errors print it; nil panics in Go, reported as the runtime error Go prints.
std::string reflectKind(const Value& v);
// reflect.DeepEqual over template values.
bool deepEqual(const Value& a, const Value& b);
// Go's strings.Split.
List goSplit(const std::string& s, const std::string& sep);

}  // namespace gatehouse::templates
