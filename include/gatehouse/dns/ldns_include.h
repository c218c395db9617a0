#pragma once
// ldns's common.h defines bool/true/false as macros unless stdbool.h came first, which
// breaks C++ headers included after it (std::optional's operator<=>). Include ldns only
// through here.

#include <ldns/ldns.h>
#include <stdbool.h>  // NOLINT: sets __bool_true_false_are_defined for ldns
