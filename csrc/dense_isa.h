/* Instantiates the dense kernels of dense_impl.h for one instruction set, in both precisions,
 * and defines the kernel set fastgd_kernels_<ISA>. The including file sets ISA, VBYTES, TILE_M
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
    .vector_bytes = VBYTES,
    .forward_d = FG_FN(forward_t, d, ISA),
    .update_d = FG_FN(update_t, d, ISA),
    .nonzero_inputs_d = FG_FN(nonzero_inputs, d, ISA),
    .backward_d = FG_FN(backward_t, d, ISA),
    .sigmoid_d = FG_FN(sigmoid, d, ISA),
    .tanh_d = FG_FN(tanh, d, ISA),
    .forward_s = FG_FN(forward_t, s, ISA),
    .update_s = FG_FN(update_t, s, ISA),
    .nonzero_inputs_s = FG_FN(nonzero_inputs, s, ISA),
    .backward_s = FG_FN(backward_t, s, ISA),
    .sigmoid_s = FG_FN(sigmoid, s, ISA),
    .tanh_s = FG_FN(tanh, s, ISA),
    .forward_u8_d = FG_FN(forward_t_u8, d, ISA),
    .update_u8_d = FG_FN(update_t_u8, d, ISA),
    .forward_u8_s = FG_FN(forward_t_u8, s, ISA),
    .update_u8_s = FG_FN(update_t_u8, s, ISA),
    .nonzero_inputs_u8 = FG_FN(nonzero_inputs, u8, ISA),
};
