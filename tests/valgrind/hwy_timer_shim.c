/* Preloaded (LD_PRELOAD) into the unit tests that scripts/test runs under valgrind, and only on a
 * CPU whose cpuid hides RDTSCP (seen on AMD EPYC virtual machines; /proc/cpuinfo has no "rdtscp").
 *
 * Debian's libavcodec links libjxl, which links Highway (libhwy.so.1). Highway's static
 * constructor calls hwy::platform::TimerResolution(), which executes RDTSCP whatever cpuid says.
 * Valgrind 3.19 emulates RDTSCP only when cpuid reports it, so on such a CPU every test that
 * loads FFmpeg dies with SIGILL before main. This definition of TimerResolution answers instead
 * (the constructor calls it through the PLT, so the preloaded one wins). The value only feeds
 * Highway's benchmarking helpers, which neither FFmpeg's decoders we use nor HallWatch call. */
#include <stdint.h>

uint64_t _ZN3hwy8platform15TimerResolutionEv(void); /* hwy::platform::TimerResolution() */

uint64_t _ZN3hwy8platform15TimerResolutionEv(void) { return 1; }
