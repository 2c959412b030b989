// CPU feature detection through the compiler's cpuid builtins (which also check that the OS
// saves the AVX registers).
#include "CPUFeatures.h"

int segsweep_cpu_supports_x86_64_v3(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("x86-64-v3") ? 1 : 0;
#else
  return 0;
#endif
}

int segsweep_cpu_supports_x86_64_v4(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("x86-64-v4") ? 1 : 0;
#else
  return 0;
#endif
}
