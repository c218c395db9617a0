#pragma once
// Templates are parsed and run by recursive descent, and Go lets a page nest deeply: caddy
// 2.6.2 takes 50,000 nested parentheses or {{if}}s and stops a recursive {{template}} only
// at depth 100,000. A pool thread's 8 MiB stack overflowed (the server died) long before
// that, so a template runs on a thread of its own with a large stack (address space only:
// pages are used as the recursion reaches them), and the recursive steps check the room
// left, failing the template instead of the process when a hostile page nests deeper still.

#include <functional>

namespace gatehouse::templates {

// Runs `fn` on a thread with a large stack and waits for it; what `fn` throws is rethrown
// here. Runs `fn` in place when no such thread can be made.
void runOnDeepStack(const std::function<void()>& fn);

// Whether the calling thread's stack is nearly used up (less than a safety margin left).
bool stackNearlyExhausted();

}  // namespace gatehouse::templates
