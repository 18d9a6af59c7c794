/* Instantiates the dense kernels of dense_impl.h for one instruction set, in both precisions,
 * and defines the kernel set FASTGD_SET_NAME. The including file sets ISA, VBYTES, TILE_I, TILE_J
 * (and a #pragma GCC target before including, where the ISA needs one).
 */
#include <stdint.h>

#include "dense.h"

#define T double
#define IT int64_t
#define SFX d
#define FG_DOUBLE 1
#include "dense_impl.h"
#undef T
#undef IT
#undef SFX
#undef FG_DOUBLE

#define T float
#define IT int32_t
#define SFX s
#define FG_DOUBLE 0
#include "dense_impl.h"
#undef T
#undef IT
#undef SFX
#undef FG_DOUBLE

#define FG_SET_(isa) fastgd_kernels_##isa
#define FG_SET(isa) FG_SET_(isa)
#define FG_STR_(x) #x
#define FG_STR(x) FG_STR_(x)
#define FG_FN_(name, sfx, isa) name##_##sfx##_##isa
#define FG_FN(name, sfx, isa) FG_FN_(name, sfx, isa)

const fastgd_kernels FG_SET(ISA) = {
    .name = FG_STR(ISA),
    .update_forward_d = FG_FN(update_forward, d, ISA),
    .combine_rows_d = FG_FN(combine_rows, d, ISA),
    .sigmoid_d = FG_FN(sigmoid, d, ISA),
    .update_forward_s = FG_FN(update_forward, s, ISA),
    .combine_rows_s = FG_FN(combine_rows, s, ISA),
    .sigmoid_s = FG_FN(sigmoid, s, ISA),
};
