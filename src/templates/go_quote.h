#pragma once
// Go's strconv quoting, as fmt's %q and %#q and Go's error texts write values.

#include <cstdint>
#include <string>

namespace gatehouse::templates {

// strconv.Quote (%q of a string); strconv.QuoteToASCII with `asciiOnly` (%+q).
std::string goQuote(const std::string& s, bool asciiOnly = false);
// strconv.QuoteRune (%q of an integer); QuoteRuneToASCII with `asciiOnly` (%+q).
std::string goQuoteRune(int64_t r, bool asciiOnly);
// strconv.CanBackquote (%#q): no control byte but tab, no backquote, valid UTF-8, no U+FEFF.
bool canBackquote(const std::string& s);

}  // namespace gatehouse::templates
