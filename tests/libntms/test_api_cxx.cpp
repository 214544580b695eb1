// The same program as C++: the header must compile there too (char16_t WCHAR, reinterpret_cast
// INVALID_HANDLE_VALUE). The test's own C idioms are not what is checked here.
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#include "test_api.c"
