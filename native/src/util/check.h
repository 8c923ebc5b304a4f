// SM_CHECK: argument and state validation with messages in the project's one shape:
//   "<what failed>: <why> (got <actual>, expected <expected>). Hint: <fix>"
// Built on TORCH_CHECK so libtorch callers see a c10::Error; the facade (api.cpp) strips the
// backtrace before the message crosses into Java.
#pragma once

#include <c10/util/Exception.h>  // provides: TORCH_CHECK

#define SM_CHECK(cond, ...) TORCH_CHECK(cond, __VA_ARGS__)
