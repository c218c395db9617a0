#pragma once
// The unmarshallers of the HTTP handler family of directives, one file each
// (parser/directives/<name>.cpp); handler_specs.cpp lists them in the directive table.
//
// Handler directives (Caddy's RegisterHandlerDirective) get a Helper whose matcher token was
// already extracted, with the cursor before the directive name, and return their handler.
// General directives (RegisterDirective) read the whole segment, matcher included.

#include <vector>

#include "gatehouse/parser/helper.h"

namespace gatehouse::parser {

// Handler directives.
config::Handler parseRespond(Helper& h);
config::Handler parseRedir(Helper& h);
config::Handler parseError(Helper& h);
config::Handler parseAbort(Helper& h);
config::Handler parseUri(Helper& h);
config::Handler parseMethod(Helper& h);
config::Handler parseVars(Helper& h);
config::Handler parseMap(Helper& h);
config::Handler parseEncode(Helper& h);
config::Handler parseFileServer(Helper& h);
config::Handler parseTemplates(Helper& h);
config::Handler parseBasicAuth(Helper& h);
config::Handler parseRequestBody(Helper& h);
config::Handler parsePush(Helper& h);
config::Handler parseTracing(Helper& h);
config::Handler parseMetrics(Helper& h);
config::Handler parseFs(Helper& h);
config::Handler parseLogSkip(Helper& h);
config::Handler parseLogName(Helper& h);
config::Handler parseLogAppend(Helper& h);

// General directives.
std::vector<ConfigValue> parseHeader(Helper& h);
std::vector<ConfigValue> parseRequestHeader(Helper& h);
std::vector<ConfigValue> parseRewrite(Helper& h);
std::vector<ConfigValue> parseRoot(Helper& h);
std::vector<ConfigValue> parseTryFiles(Helper& h);
std::vector<ConfigValue> parseAcmeServer(Helper& h);

}  // namespace gatehouse::parser
