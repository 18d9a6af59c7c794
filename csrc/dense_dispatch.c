/* Which kernel set this CPU runs: the widest whose instructions it (and its OS) supports. */
#include "dense.h"

extern const fastgd_kernels fastgd_kernels_baseline;
#if defined(__x86_64__) && defined(__GNUC__)
extern const fastgd_kernels fastgd_kernels_avx2;
extern const fastgd_kernels fastgd_kernels_avx512;
#endif

int fastgd_kernel_sets(const fastgd_kernels **sets, int capacity)
{
    int n = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (n < capacity && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq"))
        sets[n++] = &fastgd_kernels_avx512;
    if (n < capacity && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        sets[n++] = &fastgd_kernels_avx2;
#endif
    if (n < capacity)
        sets[n++] = &fastgd_kernels_baseline;
    return n;
}

const fastgd_kernels *fastgd_best_kernels(void)
{
    const fastgd_kernels *best = &fastgd_kernels_baseline;
    fastgd_kernel_sets(&best, 1);
    return best;
}
